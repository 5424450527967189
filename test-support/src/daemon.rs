//! A server process a test starts (postgres, redis-server): ready once it
//! prints a given line, its output kept for failure messages, stopped with a
//! signal and waited for, killed if a test leaves it running.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Instant;

use nix::sys::signal::Signal;

use crate::{HANG_GUARD, process};

/// A running server process.
#[derive(Debug)]
pub struct Daemon {
    name: String,
    pid: u32,
    log: Arc<Mutex<String>>,
    exit: Receiver<ExitStatus>,
    exited: Option<ExitStatus>,
}

impl Daemon {
    /// Starts `command` and waits until a line of its stdout or stderr
    /// contains `ready`; fails the test with its output if it exits first or
    /// prints no such line within [`HANG_GUARD`].
    pub fn start(name: &str, mut command: Command, ready: &str) -> Self {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {name} ({command:?}): {error}"));
        let log = Arc::new(Mutex::new(String::new()));
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
                    if let Ok(mut text) = log.lock() {
                        text.push_str(&line);
                        text.push('\n');
                    }
                    let _ = lines_tx.send(line);
                }
            });
        }
        drop(lines_tx);
        let pid = child.id();
        let (exit_tx, exit) = mpsc::channel();
        thread::spawn(move || {
            if let Ok(status) = child.wait() {
                let _ = exit_tx.send(status);
            }
        });
        let daemon = Self {
            name: name.to_owned(),
            pid,
            log,
            exit,
            exited: None,
        };
        let deadline = Instant::now() + HANG_GUARD;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match lines.recv_timeout(left) {
                Ok(line) if line.contains(ready) => return daemon,
                Ok(_) => {}
                Err(RecvTimeoutError::Timeout) => panic!(
                    "{name} printed no {ready:?} within {HANG_GUARD:?}; output:\n{}",
                    daemon.log()
                ),
                Err(RecvTimeoutError::Disconnected) => panic!(
                    "{name} exited before printing {ready:?}; output:\n{}",
                    daemon.log()
                ),
            }
        }
    }

    /// The process id.
    pub const fn pid(&self) -> u32 {
        self.pid
    }

    /// Everything it printed so far.
    pub fn log(&self) -> String {
        self.log.lock().map(|text| text.clone()).unwrap_or_default()
    }

    /// Sends `signal` and waits for it to exit, failing the test after [`HANG_GUARD`].
    pub fn stop(&mut self, signal: Signal) -> ExitStatus {
        if let Some(status) = self.exited {
            return status;
        }
        process::signal(self.pid, signal);
        let status = self.exit.recv_timeout(HANG_GUARD).unwrap_or_else(|_| {
            panic!(
                "{} did not exit within {HANG_GUARD:?} of {signal}; output:\n{}",
                self.name,
                self.log()
            )
        });
        self.exited = Some(status);
        status
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if self.exited.is_none()
            && self.exit.try_recv().is_err()
            && let Ok(pid) = i32::try_from(self.pid)
        {
            // Not `process::signal`: it may be gone already, and Drop must not panic.
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), Signal::SIGKILL);
            let _ = self.exit.recv_timeout(HANG_GUARD);
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
