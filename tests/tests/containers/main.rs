//! End to end in a real container runtime: the images that `cargo xtask dist`
//! builds (`grpc-probe:VERSION`, `health-demo:VERSION`), the Deployment that
//! `health-manifests` renders, run by `podman kube play`, its liveness probe
//! driven by `podman healthcheck run`, and SIGTERM with the manifest's grace
//! period (`podman pod stop`) draining the demo to exit 0. Also Docker's
//! `HEALTHCHECK` form (`podman run --health-cmd`), the user-facing
//! `examples/Dockerfile.example`, and the probe image as released: an OCI
//! image index over every architecture in `dist/`, running as 65532.
//!
//! Not part of `cargo test --workspace` (`test = false`): it needs the images,
//! so `cargo xtask test` runs it after `cargo xtask dist`. By hand:
//! `cargo xtask dist && cargo test -p tests --test containers`.
//! Podman, runc, catatonit (the pod's pause process) and busybox-static are
//! installed when missing; the repository's `containers.conf` selects runc.
//! Containers get no network but their pod's loopback.

mod fixtures;
mod health_cmd;
mod kube;
mod manifests;
mod podman;
mod release;
