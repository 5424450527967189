//! The environment `cargo xtask test` gives the kubelet suite: where the
//! node it started keeps its static pods, how to read pod status, and the
//! images it imported. Written by the xtask, read by the tests.

/// The kubelet's static pod directory (`staticPodPath`).
pub const MANIFESTS: &str = "GHC_KUBELET_MANIFESTS";
/// containerd's root, where the CRI plugin keeps each container's status.
pub const CONTAINERD_ROOT: &str = "GHC_KUBELET_CONTAINERD_ROOT";
/// The kubelet's log, which records every probe's result (`--v=3`).
pub const KUBELET_LOG: &str = "GHC_KUBELET_LOG";
/// The node's name: a static pod `P` is listed as `P-<node>`.
pub const NODE: &str = "GHC_KUBELET_NODE";
/// The kubelet's read-only API (`host:port`), which serves `/pods`.
pub const READ_ONLY_ADDR: &str = "GHC_KUBELET_READ_ONLY_ADDR";
/// The release demo image: health-demo and grpc-probe, no shell.
pub const DEMO_IMAGE: &str = "GHC_KUBELET_DEMO_IMAGE";
/// The release probe image: grpc-probe alone.
pub const PROBE_IMAGE: &str = "GHC_KUBELET_PROBE_IMAGE";
/// health-demo alone: no probe, no shell.
pub const APP_IMAGE: &str = "GHC_KUBELET_APP_IMAGE";
/// health-demo and grpc-probe, started by a shell after `$START_DELAY` seconds.
pub const SLOW_IMAGE: &str = "GHC_KUBELET_SLOW_IMAGE";
