//! The checked values the templates see. Everything here is already valid;
//! the templates only lay it out. Fields that would only repeat a Kubernetes
//! default are left empty (`None`, an empty list or mapping), and Kubernetes
//! objects come in the shape Kubernetes reads.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value as Json;

/// Where `probe.install: initContainer` puts grpc-probe in the pod.
pub(crate) const PROBE_MOUNT_PATH: &str = "/opt/grpc-probe";

/// The name of the emptyDir volume that carries grpc-probe.
pub(crate) const PROBE_VOLUME: &str = "grpc-probe";

/// Label (or annotation) keys to values.
pub(crate) type Labels = BTreeMap<String, String>;

/// The template context.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Config {
    /// Name of the Deployment, Service and container.
    pub(crate) name: String,
    /// Namespace of every object, if set.
    pub(crate) namespace: Option<String>,
    /// The server's image.
    pub(crate) image: String,
    /// The gRPC port, named `grpc`.
    pub(crate) port: i64,
    /// The HTTP admin port, named `admin`, if set.
    pub(crate) admin_port: Option<i64>,
    /// Pod replicas, if set.
    pub(crate) replicas: Option<i64>,
    /// Container imagePullPolicy, if set.
    pub(crate) image_pull_policy: Option<String>,
    /// Every label: the app.kubernetes.io/* ones and the user's.
    pub(crate) labels: Labels,
    /// The labels that select the pods (name and instance).
    pub(crate) selector: Labels,
    /// Annotations of every object.
    pub(crate) annotations: Labels,
    /// Annotations of the pod template, Prometheus' included.
    pub(crate) pod_annotations: Labels,
    /// Pod serviceAccountName, if set.
    pub(crate) service_account_name: Option<String>,
    /// The Kubernetes objects and lists taken from the values as written.
    #[serde(flatten)]
    pub(crate) pod: PodValues,
    /// Every pod volume: the user's, then grpc-probe's emptyDir when installed by an init container.
    pub(crate) volumes: Vec<Json>,
    /// Every volumeMount of the server container, grpc-probe's last.
    pub(crate) volume_mounts: Vec<Json>,
    /// The container ports: `grpc`, and `admin` when set.
    pub(crate) ports: Vec<ContainerPort>,
    /// `preStopSleepSeconds + drainDelaySeconds + shutdownGraceSeconds`.
    pub(crate) termination_grace_period_seconds: i64,
    /// The container's lifecycle (a preStop sleep), if any.
    pub(crate) lifecycle: Option<Json>,
    /// `--kube-version`, e.g. `1.33`.
    pub(crate) kube_version: String,
    /// How the probes run.
    pub(crate) probe: ProbeSetup,
    /// The three probes, as the Container fields read them; templates reach
    /// them through the helpers (`probes()`, ...), which share the name.
    #[serde(skip)]
    pub(crate) probes: Probes,
    /// The Service.
    pub(crate) service: ServiceSetup,
    /// The PodDisruptionBudget's spec, when enabled.
    pub(crate) pdb: Option<Pdb>,
    /// The alert rules, when `alerts.grpcService` is set.
    pub(crate) alerts: Option<Alerts>,
    /// Free-form values for a team's own templates.
    pub(crate) extra: Json,
}

/// `alerts.*`: the rule groups both alert templates lay out.
#[derive(Debug, Serialize)]
pub(crate) struct Alerts {
    /// Whether the PrometheusRule joins the full render.
    pub(crate) enabled: bool,
    /// The rule groups, as Prometheus reads them.
    pub(crate) groups: Json,
}

/// Kubernetes objects and lists from the values, checked against the Kubernetes
/// types; `null`, `{}` or `[]` when not set.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PodValues {
    /// Container args.
    pub(crate) args: Json,
    /// Container env.
    pub(crate) env: Json,
    /// Container resources.
    pub(crate) resources: Json,
    /// Container securityContext (server and init container).
    pub(crate) security_context: Json,
    /// Pod securityContext.
    pub(crate) pod_security_context: Json,
    /// Pod imagePullSecrets.
    pub(crate) image_pull_secrets: Json,
    /// Pod nodeSelector.
    pub(crate) node_selector: Json,
    /// Pod tolerations.
    pub(crate) tolerations: Json,
    /// Pod affinity.
    pub(crate) affinity: Json,
    /// Pod topologySpreadConstraints.
    pub(crate) topology_spread_constraints: Json,
    /// Deployment strategy.
    pub(crate) strategy: Json,
}

/// A container port.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ContainerPort {
    /// `grpc` or `admin`.
    pub(crate) name: &'static str,
    /// The port number.
    pub(crate) container_port: i64,
}

/// `probe.*`: how the probes reach the server.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ProbeSetup {
    /// `exec`, `grpc` or `http`.
    pub(crate) mode: String,
    /// `image` or `initContainer` (exec mode).
    pub(crate) install: String,
    /// The init container that installs grpc-probe, when `install: initContainer`.
    pub(crate) init_container: Option<Json>,
    /// Its emptyDir volume.
    pub(crate) volume: Option<Json>,
    /// The server container's read-only mount of that volume.
    pub(crate) volume_mount: Option<Json>,
}

/// The three probes.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Probes {
    /// Container.readinessProbe.
    pub(crate) readiness_probe: Probe,
    /// Container.livenessProbe.
    pub(crate) liveness_probe: Probe,
    /// Container.startupProbe.
    pub(crate) startup_probe: Probe,
}

/// One probe in Kubernetes' shape: the handler first, then the timings that
/// differ from Kubernetes' defaults.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Probe {
    /// What it checks, for comments: the health service, or the HTTP path.
    #[serde(skip)]
    pub(crate) checks: String,
    /// exec mode: the grpc-probe command.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) exec: Option<Exec>,
    /// grpc mode: kubelet's gRPC check.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) grpc: Option<Grpc>,
    /// http mode: kubelet's GET on the admin port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) http_get: Option<HttpGet>,
    /// Seconds before the first probe (default 0).
    #[serde(skip_serializing_if = "is::<0>")]
    pub(crate) initial_delay_seconds: i64,
    /// Seconds between probes (default 10).
    #[serde(skip_serializing_if = "is::<10>")]
    pub(crate) period_seconds: i64,
    /// Seconds before a probe counts as failed (default 1).
    #[serde(skip_serializing_if = "is::<1>")]
    pub(crate) timeout_seconds: i64,
    /// Successes to pass (default 1).
    #[serde(skip_serializing_if = "is::<1>")]
    pub(crate) success_threshold: i64,
    /// Failures to fail (default 3).
    #[serde(skip_serializing_if = "is::<3>")]
    pub(crate) failure_threshold: i64,
}

/// Kubernetes' default, left out of the output.
fn is<const DEFAULT: i64>(value: &i64) -> bool {
    *value == DEFAULT
}

/// ExecAction.
#[derive(Debug, Serialize)]
pub(crate) struct Exec {
    /// grpc-probe and its flags.
    pub(crate) command: Vec<String>,
}

/// GRPCAction.
#[derive(Debug, Serialize)]
pub(crate) struct Grpc {
    /// The numeric gRPC port (kubelet takes no names here).
    pub(crate) port: i64,
    /// The health service checked.
    pub(crate) service: String,
    /// `TLS` (Kubernetes 1.37+, no certificate verification); plaintext when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) mode: Option<&'static str>,
}

/// HTTPGetAction on the named admin port.
#[derive(Debug, Serialize)]
pub(crate) struct HttpGet {
    /// `/readyz` or `/livez`.
    pub(crate) path: &'static str,
    /// Always the container port named `admin`.
    pub(crate) port: &'static str,
}

/// The Service.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ServiceSetup {
    /// `clusterIP: None`, so DNS returns every pod.
    pub(crate) headless: bool,
    /// Its ports: `grpc`, and `admin` when set.
    pub(crate) ports: Vec<ServicePort>,
}

/// A Service port, targeting the container port of the same name.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ServicePort {
    /// `grpc` or `admin`.
    pub(crate) name: &'static str,
    /// The port number (the container's).
    pub(crate) port: i64,
    /// The container port's name.
    pub(crate) target_port: &'static str,
    /// `grpc` (HTTP/2) or `http`.
    pub(crate) app_protocol: &'static str,
}

/// PodDisruptionBudgetSpec without the selector: one of the two bounds.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Pdb {
    /// Pods (or a percentage) that must stay up.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) min_available: Option<Json>,
    /// Pods (or a percentage) that may be down at once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) max_unavailable: Option<Json>,
}
