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

/// Creates a cluster with user `postgres` (no password) and starts the server
/// on a free port (stopped with SIGINT, PostgreSQL's fast shutdown); its URL is
/// `postgres://postgres@127.0.0.1:PORT/postgres`.
pub fn start() -> Restartable {
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
    // The command owns the cluster's directory, so it lives as long as the server.
    let dir = std::sync::Arc::new(dir);
    let command = move |port: u16| {
        let mut command = Command::new(&program);
        command
            .arg("-D")
            .arg(&data)
            .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-k"])
            .arg(dir.path())
            .args(["-c", "fsync=off", "-c", "full_page_writes=off"])
            .uid(user.0)
            .gid(user.1);
        command
    };
    let url = |port| format!("postgres://postgres@127.0.0.1:{port}/postgres");
    Restartable::start("postgres", READY, Signal::SIGINT, url, command)
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
