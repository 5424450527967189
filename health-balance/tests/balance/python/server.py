"""A grpcio backend for the balance tests: helloworld.Greeter and, unless
--no-health, grpcio-health-checking's servicer answering for
"helloworld.Greeter" (SERVING at start). SIGUSR1 sets it NOT_SERVING,
SIGUSR2 SERVING. Prints `listening on 127.0.0.1:PORT` once serving."""

import signal
import sys
from concurrent import futures

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from greeter import decode, encode

SERVICE = "helloworld.Greeter"


def say_hello(request, _context):
    return encode(f"Hello, {decode(request)}!")


def main():
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    # No serializers: the handler sees and returns the raw message bytes.
    greeter = grpc.method_handlers_generic_handler(
        SERVICE, {"SayHello": grpc.unary_unary_rpc_method_handler(say_hello)}
    )
    server.add_generic_rpc_handlers((greeter,))
    if "--no-health" not in sys.argv:
        servicer = health.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
        status = health_pb2.HealthCheckResponse
        servicer.set(SERVICE, status.SERVING)
        signal.signal(signal.SIGUSR1, lambda *_: servicer.set(SERVICE, status.NOT_SERVING))
        signal.signal(signal.SIGUSR2, lambda *_: servicer.set(SERVICE, status.SERVING))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(f"listening on 127.0.0.1:{port}", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while True:
        signal.pause()


if __name__ == "__main__":
    main()
