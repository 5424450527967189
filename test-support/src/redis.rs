//! A throwaway Redis server (Debian's `redis-server` package, installed when
//! missing) on 127.0.0.1 and a free port, saving nothing to disk.

use std::process::Command;

use nix::sys::signal::Signal;

use crate::daemon::Restartable;
use crate::system;

/// The line redis-server logs once it takes connections.
const READY: &str = "Ready to accept connections";

/// A running (or stopped) Redis server.
#[derive(Debug)]
pub struct Redis {
    server: Restartable,
}

impl Redis {
    /// Starts redis-server on a free port.
    pub fn start() -> Self {
        let program = system::require("redis-server", "redis-server");
        let command = move |port: u16| {
            let mut command = Command::new(&program);
            command.args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ]);
            command
        };
        Self {
            server: Restartable::start("redis-server", READY, Signal::SIGTERM, command),
        }
    }

    /// `redis://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port())
    }

    /// The TCP port, the same across restarts.
    pub const fn port(&self) -> u16 {
        self.server.port()
    }

    /// Stops the server (SIGTERM) and waits for it to exit.
    pub fn stop(&mut self) {
        self.server.stop();
    }

    /// Starts the server again on the same port (a no-op while it runs).
    pub fn restart(&mut self) {
        self.server.restart();
    }
}
