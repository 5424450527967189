//! grpc-probe: a small, fast drop-in replacement for grpc-health-probe.
//!
//! Checks a gRPC server's health over `grpc.health.v1` with the same flags
//! and exit codes, plus `-wait`, `-watch`, `-list` and repeated `-service`.
//! See `README.md` beside this crate.

mod address;
mod cli;
mod commands;
mod config;
mod connect;
mod duration;
mod exit_code;
mod grpc;
mod output;
mod run;
mod tls;

fn main() -> std::process::ExitCode {
    run::run(std::env::args_os()).into()
}
