"""helloworld.Greeter messages for grpcio without generated code: both
HelloRequest and HelloReply are one string in field 1, encoded by hand."""


def encode(text):
    """The message whose field 1 is `text`."""
    data = text.encode()
    length = bytearray()
    n = len(data)
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            length.append(byte | 0x80)
        else:
            length.append(byte)
            break
    return b"\x0a" + bytes(length) + data


def decode(message):
    """Field 1 of `message` ("" when absent)."""
    if not message or message[0] != 0x0A:
        return ""
    n, shift, i = 0, 0, 1
    while True:
        byte = message[i]
        n |= (byte & 0x7F) << shift
        shift += 7
        i += 1
        if not byte & 0x80:
            break
    return message[i : i + n].decode()
