//! The `kubelet` step: a real, standalone kubelet (v1.20.2, built from
//! Debian's source package and cached) on containerd, running the rendered
//! Deployments' pods as static pods with the dist images, while the
//! `kubelet` test target watches them through the kubelet's own pod status.
//!
//! One concern per module: [`source`] fetches the source package, [`build`]
//! builds and caches the kubelet, [`images`] makes and exports the images,
//! [`containerd`] and [`node`] run the two daemons (through [`daemon`]), and
//! [`host`] records and restores what they change on the host. Everything
//! the step starts is stopped by its PID and everything it made is removed,
//! also when a test fails: each part does it when dropped.

mod build;
mod containerd;
mod daemon;
mod host;
mod images;
mod node;
mod source;

use std::path::Path;

use test_support::kubelet_env as env;

use crate::packages::{self, Program};
use crate::steps::{self, StepError};

/// What the node needs: the runtime, busybox for the pause and slow images,
/// `kill` to stop daemons by PID, and (for the first build) Go, dpkg-source
/// and Debian's reflect2.
const PROGRAMS: [Program; 8] = [
    Program::new("containerd", "containerd"),
    Program::new("ctr", "containerd"),
    Program::new("runc", "runc"),
    Program::new("busybox", "busybox-static"),
    Program::new("kill", "procps"),
    Program::new("go", "golang-go"),
    Program::new("dpkg-source", "dpkg-dev"),
    Program::new(
        build::REFLECT2_SOURCE,
        "golang-github-modern-go-reflect2-dev",
    ),
];

/// A unix socket path's limit (`sun_path`), less the `.ttrpc` suffix.
const SOCKET_PATH_MAX: usize = 100;

/// Runs the node, the `kubelet` test target against it, and takes the node
/// down again whatever the tests did.
pub(crate) fn run() -> Result<(), StepError> {
    packages::require(&PROGRAMS)?;
    let kubelet = build::kubelet()?;
    let runc = packages::find("runc")
        .ok_or_else(|| StepError::new("kubelet", "runc is missing: apt-get install runc"))?;
    let state = steps::target_dir().join("kubelet-state");
    let socket = state.join("containerd.sock");
    if socket.as_os_str().len() > SOCKET_PATH_MAX {
        return Err(StepError::new(
            "kubelet",
            format!(
                "containerd's socket path {} is too long for a unix socket: use a shorter \
                 CARGO_TARGET_DIR",
                socket.display()
            ),
        ));
    }
    // The daemons' logs outlive the node, for a failure's post-mortem.
    let logs = steps::target_dir().join("kubelet-logs");
    remove_dir("kubelet", &logs)?;
    std::fs::create_dir_all(&logs)
        .map_err(|error| StepError::new("kubelet", format!("{}: {error}", logs.display())))?;
    // Dropped in reverse order: pods and kubelet, containerd, then the host.
    let host = host::Host::prepare(&state, &socket)?;
    let archive = state.join("images.tar");
    let images = images::build(&state, &archive)?;
    let containerd = containerd::Containerd::start(&state, &logs, &images.pause, &runc)?;
    containerd.import(&archive)?;
    let node = node::Kubelet::start(&kubelet, &state, &logs, containerd.socket(), &images.pause)?;
    let outcome = steps::run("kubelet tests", &mut tests(&node, &containerd, &images));
    drop(node);
    drop(containerd);
    drop(host);
    outcome
}

/// `cargo test --test kubelet`, told where the node is.
fn tests(
    node: &node::Kubelet,
    containerd: &containerd::Containerd,
    images: &images::Images,
) -> std::process::Command {
    let mut command = steps::cargo();
    command
        .args([
            "test",
            "--package",
            "tests",
            "--test",
            "kubelet",
            "--",
            // What each pod did: Ready transitions, restarts, exit and drain.
            "--nocapture",
        ])
        .env(env::MANIFESTS, node.manifests())
        .env(env::CONTAINERD_ROOT, containerd.root())
        .env(env::KUBELET_LOG, node.log())
        .env(env::NODE, node::NODE_NAME)
        .env(
            env::READ_ONLY_ADDR,
            format!("127.0.0.1:{}", node::READ_ONLY_PORT),
        )
        .env(env::DEMO_IMAGE, &images.demo)
        .env(env::PROBE_IMAGE, &images.probe)
        .env(env::APP_IMAGE, &images.app)
        .env(env::SLOW_IMAGE, &images.slow);
    command
}

/// Removes `dir` and everything in it, if it exists.
fn remove_dir(step: &str, dir: &Path) -> Result<(), StepError> {
    match std::fs::remove_dir_all(dir) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(StepError::new(
            step,
            format!("remove {}: {error}", dir.display()),
        )),
        _ => Ok(()),
    }
}
