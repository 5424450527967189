//! What the chores need from outside the workspace: Rust targets (rustup) and
//! programs from Debian packages (apt-get). Anything missing is installed, and
//! the chore says so first; what cannot be installed fails the step with the
//! command a person would run.

use std::path::Path;
use std::process::Command;

use crate::steps::{self, StepError};

/// A program (or, given as an absolute path, any file) and the Debian package
/// that provides it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Program {
    /// The executable's name.
    pub(crate) name: &'static str,
    /// The Debian package that installs it.
    pub(crate) package: &'static str,
}

impl Program {
    /// `name`, as installed by Debian package `package`.
    pub(crate) const fn new(name: &'static str, package: &'static str) -> Self {
        Self { name, package }
    }

    /// Whether it is installed.
    fn present(&self) -> bool {
        if Path::new(self.name).is_absolute() {
            Path::new(self.name).is_file()
        } else {
            find(self.name).is_some()
        }
    }
}

/// Where `program` is: the test suites' own lookup, so that the chores and
/// the tests agree on what is installed.
pub(crate) use test_support::system::find;

/// Installs, in one `apt-get install`, the packages of every program in
/// `programs` that is not there yet.
pub(crate) fn require(programs: &[Program]) -> Result<(), StepError> {
    let mut missing: Vec<&str> = programs
        .iter()
        .filter(|program| !program.present())
        .map(|program| program.package)
        .collect();
    missing.dedup();
    if missing.is_empty() {
        return Ok(());
    }
    let step = "install Debian packages";
    eprintln!(
        "xtask: installing Debian packages {} (apt-get install)",
        missing.join(" ")
    );
    test_support::system::apt_install(&missing).map_err(|cause| StepError::new(step, cause))?;
    match programs.iter().find(|program| !program.present()) {
        None => Ok(()),
        Some(program) => Err(StepError::new(
            step,
            format!(
                "`{}` is still missing after installing `{}`",
                program.name, program.package
            ),
        )),
    }
}

/// Adds the Rust standard library of each target in `triples` that rustup has
/// not installed yet.
pub(crate) fn require_rust_targets(triples: &[&str]) -> Result<(), StepError> {
    let step = "add Rust targets";
    let installed = steps::output(
        step,
        Command::new("rustup").args(["target", "list", "--installed"]),
    )?;
    let missing: Vec<&str> = triples
        .iter()
        .copied()
        .filter(|triple| !installed.lines().any(|line| line.trim() == *triple))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    eprintln!(
        "xtask: adding Rust targets {} (rustup target add)",
        missing.join(" ")
    );
    steps::run(
        step,
        Command::new("rustup")
            .args(["target", "add"])
            .args(&missing),
    )
}

/// Installs the rustup toolchain `name` (its minimal profile) unless present.
pub(crate) fn require_toolchain(name: &str) -> Result<(), StepError> {
    let step = "add a Rust toolchain";
    let installed = steps::output(step, Command::new("rustup").args(["toolchain", "list"]))?;
    if installed
        .lines()
        .any(|line| line.starts_with(&format!("{name}-")))
    {
        return Ok(());
    }
    eprintln!("xtask: installing the Rust toolchain {name} (rustup toolchain install)");
    steps::run(
        step,
        Command::new("rustup").args(["toolchain", "install", name, "--profile", "minimal"]),
    )
}
