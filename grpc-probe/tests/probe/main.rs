//! Integration tests for the `grpc-probe` binary: each spawns the binary
//! against an in-process peer and asserts the exit code and the key words
//! of its message.

mod args;
mod check;
mod connection;
mod extras;
mod install;
mod support;
mod tls;
