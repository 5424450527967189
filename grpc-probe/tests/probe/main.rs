//! Integration tests for the `grpc-probe` binary: each spawns the binary
//! against an in-process peer and asserts the exit code and the key words
//! of its message.

mod addresses;
mod args;
mod check;
mod connection;
mod evil_server;
mod extras;
mod hostile;
mod install;
mod support;
mod tls;
