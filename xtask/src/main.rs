//! `cargo xtask`: the repository's chores, written once in Rust.
//!
//! Run with `cargo xtask test` (the whole suite, as CI runs it).

mod cli;
mod steps;
mod test;

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
