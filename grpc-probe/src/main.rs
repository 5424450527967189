//! grpc-probe: a small, fast drop-in replacement for grpc-health-probe, with
//! the same flags and exit codes. Its reference (flags, exit codes,
//! installation, Kubernetes use) is this crate's `README.md`.

mod address;
mod cli;
mod commands;
mod config;
mod connect;
mod duration;
mod exit_code;
mod grpc;
mod install;
mod messages;
mod output;
#[cfg(test)]
mod readme_examples;
mod run;
mod server_text;
mod tls;

fn main() -> std::process::ExitCode {
    run::run(std::env::args_os()).into()
}
