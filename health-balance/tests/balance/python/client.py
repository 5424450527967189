"""A grpcio client for the balance tests: round_robin with client-side
health checking (gRFC A17) for "helloworld.Greeter" over the backends given
as arguments (host:port ...). Sends SayHello one after another until
SIGTERM, then prints `ok=N failed=N`. Prints `client started` first."""

import json
import signal
import sys

import grpc

from greeter import decode, encode

CONFIG = {
    "loadBalancingConfig": [{"round_robin": {}}],
    "healthCheckConfig": {"serviceName": "helloworld.Greeter"},
}

stopping = False


def stop(*_):
    global stopping
    stopping = True


def main():
    signal.signal(signal.SIGTERM, stop)
    target = "ipv4:" + ",".join(sys.argv[1:])
    options = [
        ("grpc.service_config", json.dumps(CONFIG)),
        # The default :authority of a multi-address ipv4: target is the whole
        # comma-separated list, which HTTP/2 servers (hyper, tonic) reset as
        # malformed; name one host instead.
        ("grpc.default_authority", "localhost"),
    ]
    with grpc.insecure_channel(target, options=options) as channel:
        say_hello = channel.unary_unary("/helloworld.Greeter/SayHello")
        # RPCs wait (wait_for_ready) until a backend is connected and SERVING.
        print("client started", flush=True)
        ok = failed = 0
        while not stopping:
            try:
                reply = say_hello(encode("python"), timeout=5, wait_for_ready=True)
                ok += decode(reply) == "Hello, python!"
            except grpc.RpcError as error:
                failed += 1
                print(f"RPC failed: {error.code()} {error.details()}", flush=True)
        print(f"ok={ok} failed={failed}", flush=True)


if __name__ == "__main__":
    main()
