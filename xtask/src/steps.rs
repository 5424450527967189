//! Running one step (an external command) and saying which step failed.

use std::fmt;
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

/// A step that did not succeed.
#[derive(Debug)]
pub(crate) struct StepError {
    step: String,
    cause: String,
}

impl fmt::Display for StepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "step `{}` failed: {}", self.step, self.cause)
    }
}

impl std::error::Error for StepError {}

/// The workspace root (the parent of this crate's directory).
pub(crate) fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), PathBuf::from)
}

/// The cargo that runs this xtask, so that toolchain overrides carry over.
pub(crate) fn cargo() -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command.current_dir(workspace_root());
    command
}

/// Runs `command` as the step called `step`, with its output on the terminal.
pub(crate) fn run(step: &str, command: &mut Command) -> Result<(), StepError> {
    eprintln!("xtask: step `{step}`: {command:?}");
    let started = Instant::now();
    let status = command.status().map_err(|error| StepError {
        step: step.to_owned(),
        cause: format!("cannot start it: {error}"),
    })?;
    eprintln!(
        "xtask: step `{step}` {} after {:.0?}",
        if status.success() { "passed" } else { "failed" },
        started.elapsed()
    );
    if status.success() {
        Ok(())
    } else {
        Err(StepError {
            step: step.to_owned(),
            cause: format!("it exited with {status}"),
        })
    }
}
