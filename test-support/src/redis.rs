//! A throwaway Redis server (Debian's `redis-server` package, installed when
//! missing) on 127.0.0.1 and a free port, saving nothing to disk.

use std::path::PathBuf;
use std::process::Command;

use nix::sys::signal::Signal;

use crate::daemon::Daemon;
use crate::{process, system};

/// The line redis-server logs once it takes connections.
const READY: &str = "Ready to accept connections";

/// A running (or stopped) Redis server.
#[derive(Debug)]
pub struct Redis {
    program: PathBuf,
    port: u16,
    server: Option<Daemon>,
}

impl Redis {
    /// Starts redis-server on a free port.
    pub fn start() -> Self {
        let mut redis = Self {
            program: system::require("redis-server", "redis-server"),
            port: process::free_port(),
            server: None,
        };
        redis.restart();
        redis
    }

    /// `redis://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// The TCP port, the same across restarts.
    pub const fn port(&self) -> u16 {
        self.port
    }

    /// Stops the server (SIGTERM) and waits for it to exit.
    pub fn stop(&mut self) {
        if let Some(mut server) = self.server.take() {
            let status = server.stop(Signal::SIGTERM);
            assert!(
                status.success(),
                "redis-server exited with {status}:\n{}",
                server.log()
            );
        }
    }

    /// Starts the server again on the same port (a no-op while it runs).
    pub fn restart(&mut self) {
        if self.server.is_some() {
            return;
        }
        let mut command = Command::new(&self.program);
        command.args([
            "--port",
            &self.port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
        ]);
        self.server = Some(Daemon::start("redis-server", command, READY));
    }
}
