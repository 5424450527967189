//! The smoke test of the built probes: each one, run natively or under its
//! user-mode emulator, checks a static health-demo on loopback and must exit 0
//! saying `status: SERVING`. How long each took, start to exit, is a figure
//! of the release (emulated ones are slow; there is no goal).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::packages;
use crate::steps::{self, StepError};

use super::targets::Target;

const STEP: &str = "smoke test";

/// How long the demo may take to print its address before it counts as hung;
/// generous, it only turns a hang into a failure.
const HANG_GUARD: Duration = Duration::from_secs(60);

/// Probe timeouts: generous, so that emulation on a loaded machine never
/// fails the check.
const PROBE_TIMEOUTS: [&str; 2] = ["-connect-timeout=30s", "-rpc-timeout=30s"];

/// A health-demo process, killed when dropped.
struct Demo {
    child: Child,
    addr: String,
}

impl Drop for Demo {
    fn drop(&mut self) {
        // The smoke test is over; how the demo stops is tested elsewhere.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Demo {
    /// Starts `demo` on 127.0.0.1:0 and waits for `listening on <addr>`.
    fn start(demo: &Path) -> Result<Self, StepError> {
        let mut child = Command::new(demo)
            .args(["--addr", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|error| StepError::new(STEP, format!("cannot start {demo:?}: {error}")))?;
        let stdout = child.stdout.take();
        let (lines_tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in stdout
                .into_iter()
                .flat_map(|out| BufReader::new(out).lines())
            {
                let Ok(line) = line else { break };
                if lines_tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut demo_process = Self {
            child,
            addr: String::new(),
        };
        loop {
            let line = lines.recv_timeout(HANG_GUARD).map_err(|_| {
                StepError::new(
                    STEP,
                    format!("{demo:?} printed no `listening on` line within {HANG_GUARD:?}"),
                )
            })?;
            if let Some(addr) = line.strip_prefix("listening on ") {
                addr.clone_into(&mut demo_process.addr);
                return Ok(demo_process);
            }
        }
    }
}

/// Checks every probe in `probes` against a health-demo started from `demo`;
/// returns how long each Check took, start to exit, in `probes`' order.
pub(crate) fn run(demo: &Path, probes: &[(Target, PathBuf)]) -> Result<Vec<Duration>, StepError> {
    let demo = Demo::start(demo)?;
    let mut took = Vec::new();
    for (target, probe) in probes {
        let mut command = match target.runner {
            None => Command::new(probe),
            Some(runner) => {
                let emulator = packages::find(runner.name).ok_or_else(|| {
                    StepError::new(
                        STEP,
                        format!(
                            "{} is missing: `apt-get install {}`",
                            runner.name, runner.package
                        ),
                    )
                })?;
                let mut command = Command::new(emulator);
                command.arg(probe);
                command
            }
        };
        command
            .arg(format!("-addr={}", demo.addr))
            .args(PROBE_TIMEOUTS)
            .stdin(Stdio::null());
        let started = Instant::now();
        let output = command
            .output()
            .map_err(|error| StepError::new(STEP, format!("cannot run {command:?}: {error}")))?;
        took.push(started.elapsed());
        let stderr = String::from_utf8_lossy(&output.stderr);
        if !output.status.success() || !stderr.contains("status: SERVING") {
            return Err(StepError::new(
                STEP,
                format!(
                    "{command:?} exited with {} and said {:?}; expected exit 0 and `status: SERVING`",
                    output.status,
                    stderr.trim()
                ),
            ));
        }
        eprintln!(
            "xtask: {} answered a Check{} in {:.1?}: {}",
            target.triple,
            target
                .runner
                .map(|runner| format!(" under {}", runner.name))
                .unwrap_or_default(),
            took.last().copied().unwrap_or_default(),
            stderr.trim()
        );
    }
    for (_, native) in probes.iter().filter(|(target, _)| target.runner.is_none()) {
        let version = steps::output(STEP, Command::new(native).arg("-version"))?;
        if !version.starts_with("grpc-probe ") {
            return Err(StepError::new(
                STEP,
                format!("-version printed {version:?}, expected `grpc-probe <version>`"),
            ));
        }
    }
    Ok(took)
}
