//! A throwaway Redis server (Debian's `redis-server` package, installed when
//! missing) on 127.0.0.1 and a free port, saving nothing to disk.

use std::process::Command;

use nix::sys::signal::Signal;

use crate::daemon::Restartable;
use crate::system;

/// The line redis-server logs once it takes connections.
const READY: &str = "Ready to accept connections";

/// Starts redis-server on a free port; its URL is `redis://127.0.0.1:PORT`.
pub fn start() -> Restartable {
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
    let url = |port| format!("redis://127.0.0.1:{port}");
    Restartable::start("redis-server", READY, Signal::SIGTERM, url, command)
}
