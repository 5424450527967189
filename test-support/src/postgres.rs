//! A throwaway PostgreSQL server (Debian's `postgresql` package, installed when
//! missing): a cluster made by `initdb` in a temporary directory, run as the
//! `postgres` system user (PostgreSQL refuses to run as root), listening on
//! 127.0.0.1 on a free port with its Unix socket in the same directory.

use std::os::unix::fs::chown;
use std::os::unix::process::CommandExt;
use std::process::Command;

use nix::sys::signal::Signal;

use crate::daemon::Restartable;
use crate::system;

/// The line PostgreSQL logs once it takes connections.
const READY: &str = "database system is ready to accept connections";

/// A running (or stopped) PostgreSQL server with user `postgres`, no password.
#[derive(Debug)]
pub struct Postgres {
    server: Restartable,
    /// The cluster; dropped after the server.
    _dir: std::sync::Arc<tempfile::TempDir>,
}

impl Postgres {
    /// Creates a cluster and starts the server on a free port.
    pub fn start() -> Self {
        let initdb = system::require("initdb", "postgresql");
        let program = initdb.with_file_name("postgres");
        let user = system_user("postgres");
        let dir = tempfile::tempdir().expect("temp dir");
        chown(dir.path(), Some(user.0), Some(user.1)).expect("hand the temp dir to postgres");
        let data = dir.path().join("data");
        let mut command = Command::new(&initdb);
        command
            .args([
                "--auth=trust",
                "--username=postgres",
                "--no-sync",
                "--locale=C",
                "-D",
            ])
            .arg(&data)
            .uid(user.0)
            .gid(user.1);
        let output = command.output().expect("run initdb");
        assert!(
            output.status.success(),
            "initdb failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let dir = std::sync::Arc::new(dir);
        let socket_dir = dir.clone();
        let command = move |port: u16| {
            let mut command = Command::new(&program);
            command
                .arg("-D")
                .arg(&data)
                .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-k"])
                .arg(socket_dir.path())
                .args(["-c", "fsync=off", "-c", "full_page_writes=off"])
                .uid(user.0)
                .gid(user.1);
            command
        };
        Self {
            server: Restartable::start("postgres", READY, Signal::SIGINT, command),
            _dir: dir,
        }
    }

    /// `postgres://postgres@127.0.0.1:PORT/postgres`.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port())
    }

    /// The TCP port, the same across restarts.
    pub const fn port(&self) -> u16 {
        self.server.port()
    }

    /// Fast shutdown (SIGINT): clients are disconnected and the server exits.
    pub fn stop(&mut self) {
        self.server.stop();
    }

    /// Starts the server again on the same port (a no-op while it runs).
    pub fn restart(&mut self) {
        self.server.restart();
    }
}

/// The uid and gid of system user `name`, from `/etc/passwd`.
fn system_user(name: &str) -> (u32, u32) {
    let passwd = std::fs::read_to_string("/etc/passwd").expect("read /etc/passwd");
    passwd
        .lines()
        .map(|line| line.split(':').collect::<Vec<_>>())
        .find(|fields| fields.first() == Some(&name))
        .and_then(|fields| Some((fields.get(2)?.parse().ok()?, fields.get(3)?.parse().ok()?)))
        .unwrap_or_else(|| panic!("no system user {name:?}: the postgresql package creates it"))
}
