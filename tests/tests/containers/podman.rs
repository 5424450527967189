//! Running podman with the repository's settings, one test at a time, and
//! removing what a test started even when it fails.

use std::path::PathBuf;
use std::time::Duration;

use test_support::process::{self, Run};
use test_support::{HANG_GUARD, system};

/// Podman serializes on its own locks, and the first pod builds the pause
/// image; one test at a time keeps every step's duration its own.
pub(crate) static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The repository's containers.conf, unless the caller chose one.
fn containers_conf() -> Option<PathBuf> {
    if std::env::var_os("CONTAINERS_CONF").is_some() {
        return None;
    }
    let conf = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../containers.conf");
    assert!(conf.is_file(), "{} is missing", conf.display());
    Some(conf)
}

/// podman, with runc and the pod pause process installed when missing.
fn program() -> PathBuf {
    system::require("runc", "runc");
    system::require("catatonit", "catatonit");
    system::require("podman", "podman")
}

/// A podman command with the repository's settings.
pub(crate) fn command<I: AsRef<std::ffi::OsStr>>(
    args: impl IntoIterator<Item = I>,
) -> tokio::process::Command {
    let mut command = process::command(&program(), args);
    if let Some(conf) = containers_conf() {
        command.env("CONTAINERS_CONF", conf);
    }
    command
}

/// Runs podman with `args` to completion.
pub(crate) async fn run(args: &[&str]) -> Run {
    process::run(command(args)).await
}

/// Runs podman with `args` and fails the test unless it exits 0; its stdout.
pub(crate) async fn ok(args: &[&str]) -> String {
    let run = run(args).await;
    assert_eq!(
        run.code, 0,
        "podman {args:?} failed:\n{}\n{}",
        run.stdout, run.stderr
    );
    run.stdout
}

/// One field of `podman inspect` for `container`, by Go template.
pub(crate) async fn inspect(container: &str, format: &str) -> String {
    ok(&["inspect", "--format", format, container])
        .await
        .trim()
        .to_owned()
}

/// `podman healthcheck run container`: its exit code (0 healthy, 1 not, 125
/// podman failed, with its message appended) and the health status podman
/// recorded (`healthy`, `unhealthy`, `starting`).
pub(crate) async fn healthcheck(container: &str) -> (i32, String) {
    let run = run(&["healthcheck", "run", container]).await;
    let status = inspect(container, "{{.State.Health.Status}}").await;
    if run.code > 1 {
        return (run.code, format!("{status}; {}", run.stderr.trim()));
    }
    (run.code, status)
}

/// Polls `podman logs` of `container` until it contains `text`.
pub(crate) async fn wait_for_log(container: &str, text: &str) {
    let deadline = tokio::time::Instant::now() + HANG_GUARD;
    loop {
        let run = run(&["logs", container]).await;
        let logs = format!("{}{}", run.stdout, run.stderr);
        if logs.contains(text) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{container} did not log {text:?} within {HANG_GUARD:?}; logs:\n{logs}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Removes, when dropped, the pods and containers a test names, so that a
/// failing test leaves nothing running; creating it removes leftovers of an
/// earlier run of the same test.
#[derive(Debug)]
pub(crate) struct Cleanup {
    pods: Vec<String>,
    containers: Vec<String>,
}

impl Cleanup {
    /// Removes `pods` and `containers` now and again when dropped.
    pub(crate) fn new(pods: &[&str], containers: &[&str]) -> Self {
        let cleanup = Self {
            pods: pods.iter().map(|&name| name.to_owned()).collect(),
            containers: containers.iter().map(|&name| name.to_owned()).collect(),
        };
        cleanup.remove();
        cleanup
    }

    fn remove(&self) {
        let conf = containers_conf();
        let podman = |args: &[&str]| {
            let mut command = std::process::Command::new(program());
            command.args(args).stdout(std::process::Stdio::null());
            command.stderr(std::process::Stdio::null());
            if let Some(conf) = &conf {
                command.env("CONTAINERS_CONF", conf);
            }
            // Best effort: what is not there needs no removing.
            let _ = command.status();
        };
        for pod in &self.pods {
            podman(&["pod", "rm", "--force", "--ignore", "--time", "0", pod]);
        }
        for container in &self.containers {
            podman(&["rm", "--force", "--ignore", "--time", "0", container]);
        }
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        self.remove();
    }
}
