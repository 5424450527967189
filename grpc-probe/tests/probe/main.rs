//! Integration tests for the `grpc-probe` binary: each spawns the binary
//! against an in-process peer and asserts the exit code and message.
