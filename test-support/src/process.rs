//! Running binaries to completion, sending signals, and free loopback ports.

use std::ffi::OsStr;
use std::net::TcpListener;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

pub use nix::sys::signal::Signal;
use nix::sys::signal::kill;
use nix::unistd::Pid;
use tokio::process::Command;

use crate::HANG_GUARD;

/// A finished process: its exit code and what it printed.
#[derive(Debug, Clone)]
pub struct Run {
    /// The exit code (a process killed by a signal fails the run).
    pub code: i32,
    /// Standard output, lossily decoded.
    pub stdout: String,
    /// Standard error, lossily decoded.
    pub stderr: String,
    /// Wall time from spawn to exit.
    pub elapsed: Duration,
}

impl Run {
    /// Asserts the exit code and that stderr contains every one of `words`.
    #[track_caller]
    pub fn assert_exit(&self, code: i32, words: &[&str]) {
        assert_eq!(
            self.code, code,
            "exit code; stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        for word in words {
            assert!(
                self.stderr.contains(word),
                "stderr lacks {word:?}:\n{}",
                self.stderr
            );
        }
    }
}

/// A command for `program` with piped output and no input, killed if dropped.
pub fn command<I: AsRef<OsStr>>(program: &Path, args: impl IntoIterator<Item = I>) -> Command {
    let mut command = Command::new(program);
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

/// Runs a prepared command to completion, failing the test if it hangs.
pub async fn run(mut command: Command) -> Run {
    let started = Instant::now();
    let output = tokio::time::timeout(HANG_GUARD, command.output())
        .await
        .unwrap_or_else(|_| panic!("{command:?} hung for {HANG_GUARD:?}"))
        .unwrap_or_else(|error| panic!("cannot start {command:?}: {error}"));
    finished(&format!("{command:?}"), &output, started)
}

/// Runs a quick, non-interactive command (a renderer, say) to completion from
/// a test without a runtime.
pub fn run_blocking(mut command: std::process::Command) -> Run {
    let started = Instant::now();
    let output = command
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|error| panic!("cannot start {command:?}: {error}"));
    finished(&format!("{command:?}"), &output, started)
}

fn finished(what: &str, output: &std::process::Output, started: Instant) -> Run {
    Run {
        code: output
            .status
            .code()
            .unwrap_or_else(|| panic!("{what} was killed: {}", output.status)),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        elapsed: started.elapsed(),
    }
}

/// Sends `signal` to process `pid`.
pub fn signal(pid: u32, signal: Signal) {
    let pid = Pid::from_raw(i32::try_from(pid).expect("pids fit in i32"));
    kill(pid, signal).unwrap_or_else(|error| panic!("kill -{signal} {pid}: {error}"));
}

/// A loopback port that was free a moment ago and has no listener now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("bind 127.0.0.1:0")
        .port()
}
