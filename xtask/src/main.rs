//! `cargo xtask`: the repository's chores, written once in Rust.
//!
//! Run with `cargo xtask test` (the whole suite, as CI runs it) or
//! `cargo xtask dist` (the static probes and the images) or `cargo xtask deny`
//! (the dependency policy).

mod cli;
mod deny;
mod dist;
mod kubelet;
mod packages;
mod steps;
mod test;
mod tools;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    match cli::Cli::parse().command.run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("xtask: {error}");
            ExitCode::FAILURE
        }
    }
}
