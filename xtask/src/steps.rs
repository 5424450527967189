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

impl StepError {
    /// A failure of step `step` because of `cause`.
    pub(crate) fn new(step: &str, cause: impl Into<String>) -> Self {
        Self {
            step: step.to_owned(),
            cause: cause.into(),
        }
    }
}

/// The workspace root (the parent of this crate's directory).
pub(crate) fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), PathBuf::from)
}

/// Cargo's target directory.
pub(crate) fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| workspace_root().join("target"), PathBuf::from)
}

/// The cargo that runs this xtask, so that toolchain overrides carry over.
pub(crate) fn cargo() -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command.current_dir(workspace_root());
    command
}

/// Runs `command` as the step called `step`, with its output on the terminal.
pub(crate) fn run(step: &str, command: &mut Command) -> Result<(), StepError> {
    timed(step, || {
        eprintln!("xtask: {command:?}");
        let status = command
            .status()
            .map_err(|error| StepError::new(step, format!("cannot start it: {error}")))?;
        if status.success() {
            Ok(())
        } else {
            Err(StepError::new(step, format!("it exited with {status}")))
        }
    })
}

/// Runs `command` quietly for step `step` and returns its standard output;
/// its standard error is part of the failure.
pub(crate) fn output(step: &str, command: &mut Command) -> Result<String, StepError> {
    let output = command
        .output()
        .map_err(|error| StepError::new(step, format!("cannot start {command:?}: {error}")))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(StepError::new(
            step,
            format!(
                "{command:?} exited with {}: {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ),
        ))
    }
}

/// Runs `body` as the step called `step`, saying when it starts and how long
/// it took.
pub(crate) fn timed(
    step: &str,
    body: impl FnOnce() -> Result<(), StepError>,
) -> Result<(), StepError> {
    eprintln!("xtask: step `{step}`");
    let started = Instant::now();
    let outcome = body();
    eprintln!(
        "xtask: step `{step}` {} after {:.0?}",
        if outcome.is_ok() { "passed" } else { "failed" },
        started.elapsed()
    );
    outcome
}
