//! Helpers shared by every test suite of the workspace, written once.
//!
//! - [`bins`]: the workspace's binaries, as `cargo test --workspace` builds them.
//! - [`carbon`]: a throwaway carbon-cache (Graphite) and its points read back.
//! - [`daemon`]: a server process a test starts, ready once it says so.
//! - [`demo`]: a running `health-demo` process and the addresses it printed.
//! - [`health`]: a tonic health client and Check/Watch helpers with hang guards.
//! - [`http`]: a hyper HTTP/1.1 client for the admin endpoints.
//! - [`pki`]: an rcgen CA with server and client certificates as PEM files.
//! - [`postgres`], [`redis`]: throwaway PostgreSQL and Redis servers that stop and restart on one port.
//! - [`kubelet_env`]: what `cargo xtask test` tells the kubelet suite about its node.
//! - [`manifests`]: rendering the templates with `health-manifests`, as a user would.
//! - [`process`]: running a binary to completion, signals, free ports.
//! - [`procfs`]: a process's memory, CPU time and open descriptors, from `/proc`.
//! - [`server`]: in-process health servers over TCP, any connection stream, or memory.
//! - [`system`]: Debian packages a suite needs, installed when missing.
//! - [`verbose`]: a `?verbose` answer without its timings, to compare (no `harness` needed).
//! - [`eventually`]: polling a condition that no event announces.
//!
//! Every wait here is on a real event, bounded by [`HANG_GUARD`]: the bound only
//! turns a hang into a failure and never judges speed.

#[cfg(feature = "harness")]
pub mod bins;
#[cfg(feature = "harness")]
pub mod carbon;
#[cfg(feature = "harness")]
pub mod daemon;
#[cfg(feature = "harness")]
pub mod demo;
#[cfg(feature = "harness")]
pub mod health;
#[cfg(feature = "harness")]
pub mod http;
pub mod kubelet_env;
#[cfg(feature = "harness")]
pub mod manifests;
#[cfg(feature = "harness")]
pub mod pki;
#[cfg(feature = "harness")]
pub mod postgres;
#[cfg(feature = "harness")]
pub mod process;
pub mod procfs;
#[cfg(feature = "harness")]
pub mod redis;
#[cfg(feature = "harness")]
pub mod server;
pub mod system;
pub mod verbose;

use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a test waits for an event that normally takes milliseconds before
/// it calls it a hang. Generous, so that a loaded machine never fails a test.
pub const HANG_GUARD: Duration = Duration::from_secs(30);

#[cfg(feature = "harness")]
/// Polls `condition` every millisecond until it holds; fails the test after
/// [`HANG_GUARD`] of (possibly paused) Tokio time.
pub async fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + HANG_GUARD;
    while !condition() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// The workspace root, where `Cargo.toml`, `proto/` and the READMEs are.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("test-support sits in the workspace root")
        .to_path_buf()
}
