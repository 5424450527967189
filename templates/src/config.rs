//! The checked values the templates see. Everything here is already valid;
//! the templates only lay it out.

use std::collections::BTreeMap;

use serde::Serialize;

/// Where `probe.install: initContainer` puts grpc-probe in the app container.
pub(crate) const PROBE_MOUNT_PATH: &str = "/opt/grpc-probe";

/// The template context.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Config {
    /// Name of the Deployment, Service and container.
    pub(crate) name: String,
    /// The server's image.
    pub(crate) image: String,
    /// The gRPC port, named `grpc`.
    pub(crate) port: i64,
    /// Pod replicas.
    pub(crate) replicas: i64,
    /// Container imagePullPolicy.
    pub(crate) image_pull_policy: String,
    /// Every label: the app.kubernetes.io/* ones and the user's.
    pub(crate) labels: BTreeMap<String, String>,
    /// The labels that select the pods (name and instance).
    pub(crate) selector: BTreeMap<String, String>,
    /// `drainDelaySeconds + shutdownGraceSeconds`.
    pub(crate) termination_grace_period_seconds: i64,
    /// How the probes run.
    pub(crate) probe: ProbeSetup,
    /// Readiness, liveness and startup, in that order.
    pub(crate) probes: Vec<Probe>,
}

/// `probe.*`: how the probes reach the server.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ProbeSetup {
    /// `exec` or `grpc`.
    pub(crate) mode: String,
    /// `image` or `initContainer`.
    pub(crate) install: String,
    /// initContainer: the image grpc-probe is copied from.
    pub(crate) image: String,
    /// initContainer: grpc-probe's path inside that image.
    pub(crate) image_path: String,
    /// initContainer: where the shared emptyDir is mounted.
    pub(crate) mount_path: String,
    /// exec: grpc-probe's path in the app container.
    pub(crate) exec_path: String,
}

/// One probe, checked.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Probe {
    /// The Container field: `readinessProbe`, `livenessProbe` or `startupProbe`.
    pub(crate) field: &'static str,
    /// The health service checked.
    pub(crate) service: String,
    /// Seconds before the first probe.
    pub(crate) initial_delay_seconds: i64,
    /// Seconds between probes.
    pub(crate) period_seconds: i64,
    /// Seconds before a probe counts as failed.
    pub(crate) timeout_seconds: i64,
    /// Successes to pass.
    pub(crate) success_threshold: i64,
    /// Failures to fail.
    pub(crate) failure_threshold: i64,
    /// exec mode: the command; empty in grpc mode.
    pub(crate) command: Vec<String>,
}
