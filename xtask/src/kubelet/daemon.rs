//! A long-running program the suite starts (containerd, kubelet): its output
//! in a log file, in its own process group, stopped by its PID (SIGTERM,
//! then SIGKILL) when dropped, so a failed test never leaves it running.

use std::fs::File;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::steps::StepError;

/// How long a daemon may take to exit after SIGTERM before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(15);

/// How long a daemon may take to come up: generous, it only turns a hang
/// into a failure.
pub(super) const START_GUARD: Duration = Duration::from_secs(120);

/// How often a condition with no event to wait on is polled.
pub(super) const POLL: Duration = Duration::from_millis(200);

/// A running daemon; stopped when dropped.
#[derive(Debug)]
pub(super) struct Daemon {
    name: &'static str,
    child: Child,
    log: PathBuf,
}

impl Daemon {
    /// Starts `command` as `name` with its output in `log`.
    pub(super) fn start(
        name: &'static str,
        command: &mut Command,
        log: &Path,
    ) -> Result<Self, StepError> {
        let file = File::create(log)
            .map_err(|error| StepError::new(name, format!("{}: {error}", log.display())))?;
        let errors = file
            .try_clone()
            .map_err(|error| StepError::new(name, format!("{}: {error}", log.display())))?;
        let child = command
            .stdin(Stdio::null())
            .stdout(file)
            .stderr(errors)
            .process_group(0)
            .spawn()
            .map_err(|error| StepError::new(name, format!("cannot start {command:?}: {error}")))?;
        eprintln!(
            "xtask: started {name} (pid {}), log {}",
            child.id(),
            log.display()
        );
        Ok(Self {
            name,
            child,
            log: log.to_owned(),
        })
    }

    /// Waits until `ready` holds, failing if the daemon exits first or
    /// [`START_GUARD`] passes.
    pub(super) fn wait_until(
        &mut self,
        what: &str,
        mut ready: impl FnMut() -> bool,
    ) -> Result<(), StepError> {
        let started = Instant::now();
        loop {
            if ready() {
                eprintln!(
                    "xtask: {} is {what} after {:.1?}",
                    self.name,
                    started.elapsed()
                );
                return Ok(());
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(self.failure(&format!("exited with {status} before it was {what}")));
            }
            if started.elapsed() > START_GUARD {
                return Err(self.failure(&format!("still not {what} after {START_GUARD:?}")));
            }
            thread::sleep(POLL);
        }
    }

    /// A failure of this daemon that points at its log.
    fn failure(&self, what: &str) -> StepError {
        StepError::new(self.name, format!("{what}; see {}", self.log.display()))
    }

    /// SIGTERM, then SIGKILL after [`STOP_GRACE`]; waits for the exit.
    fn stop(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + STOP_GRACE;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                eprintln!("xtask: stopped {} (pid {pid})", self.name);
                return;
            }
            thread::sleep(POLL);
        }
        eprintln!(
            "xtask: {} (pid {pid}) ignored SIGTERM: killing it",
            self.name
        );
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.stop();
    }
}
