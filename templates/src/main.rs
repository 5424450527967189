//! `health-manifests`: renders Kubernetes manifests wiring grpc-probe in as
//! readiness, liveness and startup probes.
//!
//! Run as `health-manifests [--values FILE]... [--set key.path=value]... [--template NAME]
//! [--templates DIR] [--kube-version 1.N]`.
//! Values are merged (defaults, files, sets), checked, then rendered; any problem
//! exits 1 with a message naming the value.

mod catalog;
mod cli;
mod config;
mod error;
mod kube;
mod render;
mod validate;
mod values;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;

use crate::cli::Cli;
use crate::error::Error;
use crate::render::sources::Sources;

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(error) => {
            eprintln!("health-manifests: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<ExitCode, Error> {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // Usage errors exit 1 like every other refusal; --help and --version exit 0.
            let code = if error.use_stderr() { 1 } else { 0 };
            error.print().map_err(Error::Write)?;
            return Ok(ExitCode::from(code));
        }
    };
    let text = if cli.show_values {
        values::DEFAULTS.to_owned()
    } else {
        let values = values::load(&cli.values, &cli.set)?;
        let config = validate::config(&values, cli.kube_version)?;
        let sources = match &cli.templates {
            Some(dir) => Sources::dir(dir)?,
            None => Sources::built_in(),
        };
        render::render(config, &sources, cli.template.as_deref())?
    };
    io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .map_err(Error::Write)?;
    Ok(ExitCode::SUCCESS)
}
