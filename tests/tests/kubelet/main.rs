//! End to end under a real kubelet: the Deployments `health-manifests`
//! renders, their pod template run as static pods of a standalone kubelet
//! (v1.20.2, on containerd) with the images of `cargo xtask dist`, watched
//! through the kubelet's own pod status (`GET /pods` on its read-only port):
//! readiness follows SERVING in exec and http mode, a failing dependency
//! restarts nothing, a liveness failure restarts the container, the startup
//! probe holds liveness off through a slow start, the init container
//! installs the probe into an image with no shell, and removing the pod
//! sends SIGTERM, which drains the server to exit 0 within the grace period.
//!
//! Kubelet 1.20 has no native `grpc:` probe (it arrived in 1.23), so
//! `probe.mode: grpc` stays with the kubelet-like harness of the templates'
//! tests.
//!
//! Not part of `cargo test --workspace` (`test = false`): it needs the node
//! that the `kubelet` step of `cargo xtask test` builds, starts and takes
//! down (as root). Each test prints what its pod did (`--nocapture`).

mod drain;
mod node;
mod pod;
mod probes;
mod restarts;
