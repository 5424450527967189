//! A server process a test starts (health-demo, postgres, redis-server):
//! ready once its output says so, its output kept for failure messages,
//! stopped with a signal and waited for, killed if a test leaves it running.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

use crate::{HANG_GUARD, process};

/// A running server process.
#[derive(Debug)]
pub struct Daemon {
    name: String,
    pid: u32,
    /// Everything it printed so far; receivers wake on each new line.
    log: Arc<tokio::sync::watch::Sender<String>>,
    exit: tokio::sync::watch::Receiver<Option<ExitStatus>>,
}

impl Daemon {
    /// Starts `command` and waits until a line of its stdout or stderr
    /// contains `ready`; see [`Daemon::start_until`].
    pub fn start(name: &str, command: Command, ready: &str) -> Self {
        Self::start_until(name, command, |line| line.contains(ready))
    }

    /// Starts `command` and hands each line of its stdout and stderr to
    /// `ready` until it returns true; fails the test with its output if it
    /// exits first or is not ready within [`HANG_GUARD`].
    pub fn start_until(
        name: &str,
        mut command: Command,
        mut ready: impl FnMut(&str) -> bool,
    ) -> Self {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {name} ({command:?}): {error}"));
        let log = Arc::new(tokio::sync::watch::Sender::new(String::new()));
        let (lines_tx, lines) = mpsc::channel();
        let pipes: [Box<dyn Read + Send>; 2] = [
            Box::new(child.stdout.take().expect("piped stdout")),
            Box::new(child.stderr.take().expect("piped stderr")),
        ];
        for pipe in pipes {
            let (log, lines_tx) = (log.clone(), lines_tx.clone());
            // Keep reading, so that the server never blocks on a full pipe.
            thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    log.send_modify(|text| {
                        text.push_str(&line);
                        text.push('\n');
                    });
                    let _ = lines_tx.send(line);
                }
            });
        }
        drop(lines_tx);
        let pid = child.id();
        let (exit_tx, exit) = tokio::sync::watch::channel(None);
        thread::spawn(move || {
            if let Ok(status) = child.wait() {
                exit_tx.send_replace(Some(status));
            }
        });
        let daemon = Self {
            name: name.to_owned(),
            pid,
            log,
            exit,
        };
        let deadline = Instant::now() + HANG_GUARD;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match lines.recv_timeout(left) {
                Ok(line) if ready(&line) => return daemon,
                Ok(_) => {}
                Err(RecvTimeoutError::Timeout) => panic!(
                    "{name} was not ready within {HANG_GUARD:?}; output:\n{}",
                    daemon.log()
                ),
                Err(RecvTimeoutError::Disconnected) => panic!(
                    "{name} exited before it was ready ({:?}); output:\n{}",
                    daemon.exit_status(),
                    daemon.log()
                ),
            }
        }
    }

    /// The process id.
    pub const fn pid(&self) -> u32 {
        self.pid
    }

    /// Everything it printed so far, stdout and stderr.
    pub fn log(&self) -> String {
        self.log.borrow().clone()
    }

    /// Waits until its output so far (stdout and stderr) satisfies
    /// `condition`, and returns it; fails the test with the output after
    /// [`HANG_GUARD`].
    pub async fn output_until(
        &self,
        what: &str,
        mut condition: impl FnMut(&str) -> bool,
    ) -> String {
        let mut log = self.log.subscribe();
        match tokio::time::timeout(HANG_GUARD, log.wait_for(|text| condition(text))).await {
            Ok(Ok(text)) => text.clone(),
            _ => panic!(
                "{} did not print {what} within {HANG_GUARD:?}; output:\n{}",
                self.name,
                self.log()
            ),
        }
    }

    /// Sends `signal`.
    pub fn signal(&self, signal: Signal) {
        process::signal(self.pid, signal);
    }

    /// Its exit status, if it has exited.
    pub fn exit_status(&self) -> Option<ExitStatus> {
        *self.exit.borrow()
    }

    /// Waits for it to exit, failing the test after [`HANG_GUARD`].
    pub async fn exited(&self) -> ExitStatus {
        let mut exit = self.exit.clone();
        let status = tokio::time::timeout(HANG_GUARD, exit.wait_for(Option::is_some))
            .await
            .unwrap_or_else(|_| panic!("{} did not exit within {HANG_GUARD:?}", self.name))
            .expect("the waiter thread reports the exit");
        status.expect("waited for Some")
    }

    /// [`Daemon::exited`] for tests without a runtime.
    pub fn wait_exit(&self) -> ExitStatus {
        let deadline = Instant::now() + HANG_GUARD;
        loop {
            if let Some(status) = self.exit_status() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "{} did not exit within {HANG_GUARD:?}; output:\n{}",
                self.name,
                self.log()
            );
            thread::sleep(Duration::from_millis(5));
        }
    }

    /// Sends `signal` unless it has exited, and waits for it to exit.
    pub fn stop(&mut self, signal: Signal) -> ExitStatus {
        if self.exit_status().is_none() {
            self.signal(signal);
        }
        self.wait_exit()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if self.exit_status().is_none()
            && let Ok(pid) = i32::try_from(self.pid)
        {
            // Not `process::signal`: it may be gone already, and Drop must not panic.
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), Signal::SIGKILL);
        }
    }
}

/// A server on a fixed loopback port that tests stop and start again, to show
/// a check failing while its dependency is down and recovering after.
pub struct Restartable {
    /// First, so that it is killed before `command` (which may own the
    /// server's files) is dropped.
    server: Option<Daemon>,
    name: &'static str,
    ready: &'static str,
    stop_signal: Signal,
    port: u16,
    url: fn(u16) -> String,
    command: Box<dyn Fn(u16) -> Command + Send + Sync>,
}

impl std::fmt::Debug for Restartable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Restartable")
            .field("name", &self.name)
            .field("port", &self.port)
            .field("server", &self.server)
            .finish_non_exhaustive()
    }
}

impl Restartable {
    /// Starts `command(port)` on a free port; it is ready once it prints
    /// `ready`, stops on `stop_signal`, and clients reach it at `url(port)`.
    pub fn start(
        name: &'static str,
        ready: &'static str,
        stop_signal: Signal,
        url: fn(u16) -> String,
        command: impl Fn(u16) -> Command + Send + Sync + 'static,
    ) -> Self {
        let mut server = Self {
            name,
            ready,
            stop_signal,
            url,
            port: process::free_port(),
            command: Box::new(command),
            server: None,
        };
        server.restart();
        server
    }

    /// The TCP port, the same across restarts.
    pub const fn port(&self) -> u16 {
        self.port
    }

    /// The URL clients connect to.
    pub fn url(&self) -> String {
        (self.url)(self.port)
    }

    /// Stops the server and waits for it to exit cleanly.
    pub fn stop(&mut self) {
        if let Some(mut server) = self.server.take() {
            let status = server.stop(self.stop_signal);
            assert!(
                status.success(),
                "{} exited with {status}:\n{}",
                self.name,
                server.log()
            );
        }
    }

    /// Starts the server again on the same port (a no-op while it runs).
    pub fn restart(&mut self) {
        if self.server.is_none() {
            let command = (self.command)(self.port);
            self.server = Some(Daemon::start(self.name, command, self.ready));
        }
    }
}
