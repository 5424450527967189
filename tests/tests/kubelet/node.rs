//! The node `cargo xtask test` started for this suite, as its environment
//! describes it (`test_support::kubelet_env`), and the kubelet's own view of
//! the pods: `GET /pods` on its read-only port.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::Value;
use test_support::{http, kubelet_env as env};

/// How long a pod may take to reach a state the test waits for: starting a
/// container, a few probe periods, a restart or a grace period. Generous, so
/// that a loaded machine never fails a test; it only turns a hang into one.
pub(crate) const KUBELET_GUARD: Duration = Duration::from_secs(180);

/// How often the kubelet's status is read while waiting: nothing announces
/// a change of pod status to a client without an API server.
const POLL: Duration = Duration::from_millis(200);

/// Where the node keeps things and what it imported.
#[derive(Debug)]
pub(crate) struct Node {
    /// The static pod directory.
    pub(crate) manifests: PathBuf,
    /// containerd's root.
    pub(crate) containerd_root: PathBuf,
    /// The kubelet's log (`--v=3`: every probe's result).
    pub(crate) kubelet_log: PathBuf,
    /// The node name, which the kubelet appends to static pod names.
    pub(crate) name: String,
    /// The read-only API.
    pub(crate) read_only: SocketAddr,
    /// The release demo image (demo and probe, no shell).
    pub(crate) demo_image: String,
    /// The release probe image.
    pub(crate) probe_image: String,
    /// The demo alone: no probe, no shell.
    pub(crate) app_image: String,
    /// The demo and probe behind `sleep $START_DELAY`.
    pub(crate) slow_image: String,
}

/// The node, from the environment; fails the test saying how to run the
/// suite when it is not there.
pub(crate) fn node() -> &'static Node {
    static NODE: OnceLock<Node> = OnceLock::new();
    NODE.get_or_init(|| {
        let var = |name: &str| {
            std::env::var(name).unwrap_or_else(|_| {
                panic!(
                    "{name} is not set: this suite runs against the kubelet that \
                     `cargo xtask test` starts (its `kubelet` step), not on its own"
                )
            })
        };
        Node {
            manifests: var(env::MANIFESTS).into(),
            containerd_root: var(env::CONTAINERD_ROOT).into(),
            kubelet_log: var(env::KUBELET_LOG).into(),
            name: var(env::NODE),
            read_only: var(env::READ_ONLY_ADDR)
                .parse()
                .expect("the read-only address is host:port"),
            demo_image: var(env::DEMO_IMAGE),
            probe_image: var(env::PROBE_IMAGE),
            app_image: var(env::APP_IMAGE),
            slow_image: var(env::SLOW_IMAGE),
        }
    })
}

/// One container's status as the kubelet reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ContainerStatus {
    /// The container's name.
    pub(crate) name: String,
    /// `running`, `waiting` or `terminated`.
    pub(crate) state: String,
    /// Whether its readiness probe passes.
    pub(crate) ready: bool,
    /// Whether its startup probe has passed (absent before it ran).
    pub(crate) started: Option<bool>,
    /// How many times the kubelet restarted it.
    pub(crate) restart_count: u64,
    /// The exit code, once terminated.
    pub(crate) exit_code: Option<i64>,
    /// The previous instance's exit code, after a restart.
    pub(crate) last_exit_code: Option<i64>,
    /// containerd's ID of the current instance.
    pub(crate) id: Option<String>,
}

impl ContainerStatus {
    fn parse(status: &Value) -> Self {
        let state = status["state"]
            .as_object()
            .and_then(|state| state.keys().next().cloned())
            .unwrap_or_default();
        Self {
            name: status["name"].as_str().unwrap_or_default().to_owned(),
            ready: status["ready"].as_bool().unwrap_or(false),
            started: status["started"].as_bool(),
            restart_count: status["restartCount"].as_u64().unwrap_or(0),
            exit_code: status["state"][&state]["exitCode"].as_i64(),
            last_exit_code: status["lastState"]["terminated"]["exitCode"].as_i64(),
            id: status["containerID"]
                .as_str()
                .and_then(|id| id.strip_prefix("containerd://"))
                .map(str::to_owned),
            state,
        }
    }
}

impl fmt::Display for ContainerStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}, ready {}, started {}, restartCount {}",
            self.name,
            self.state,
            self.ready,
            self.started
                .map_or("-".to_owned(), |started| started.to_string()),
            self.restart_count
        )?;
        if let Some(code) = self.exit_code {
            write!(f, ", exit code {code}")?;
        }
        if let Some(code) = self.last_exit_code {
            write!(f, ", last exit code {code}")?;
        }
        Ok(())
    }
}

/// A pod's status as the kubelet reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PodStatus {
    /// The pod's UID.
    pub(crate) uid: String,
    /// `Pending`, `Running`, …
    pub(crate) phase: String,
    /// The pod's Ready condition.
    pub(crate) ready: bool,
    /// The init containers.
    pub(crate) init_containers: Vec<ContainerStatus>,
    /// The containers.
    pub(crate) containers: Vec<ContainerStatus>,
}

impl PodStatus {
    fn parse(pod: &Value) -> Self {
        let status = &pod["status"];
        let list = |key: &str| {
            status[key]
                .as_array()
                .map(|list| list.iter().map(ContainerStatus::parse).collect())
                .unwrap_or_default()
        };
        Self {
            uid: pod["metadata"]["uid"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            phase: status["phase"].as_str().unwrap_or_default().to_owned(),
            ready: status["conditions"].as_array().is_some_and(|conditions| {
                conditions
                    .iter()
                    .any(|condition| condition["type"] == "Ready" && condition["status"] == "True")
            }),
            init_containers: list("initContainerStatuses"),
            containers: list("containerStatuses"),
        }
    }

    /// The (only) application container.
    pub(crate) fn container(&self) -> &ContainerStatus {
        self.containers
            .first()
            .unwrap_or_else(|| panic!("the kubelet reports no container: {self}"))
    }
}

impl fmt::Display for PodStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "phase {}, Ready {}", self.phase, self.ready)?;
        for init in &self.init_containers {
            write!(f, "; init {init}")?;
        }
        for container in &self.containers {
            write!(f, "; {container}")?;
        }
        Ok(())
    }
}

/// The kubelet's status of the pod called `name` (the static pod's full
/// name), if it lists it.
pub(crate) async fn pod_status(name: &str) -> Option<PodStatus> {
    let answer = http::get(node().read_only, "/pods").await;
    assert_eq!(answer.status, 200, "GET /pods: {}", answer.body);
    let pods: Value = serde_json::from_str(&answer.body).expect("/pods is JSON");
    pods["items"]
        .as_array()?
        .iter()
        .find(|pod| pod["metadata"]["name"] == name)
        .map(PodStatus::parse)
}

/// Polls the kubelet until the pod `name` satisfies `condition`, failing
/// after [`KUBELET_GUARD`] with the last status seen.
pub(crate) async fn wait_for(
    name: &str,
    what: &str,
    mut condition: impl FnMut(&PodStatus) -> bool,
) -> PodStatus {
    let deadline = tokio::time::Instant::now() + KUBELET_GUARD;
    let mut last = None;
    loop {
        // Until its containers are reported, a pod has no state to judge.
        if let Some(status) = pod_status(name).await
            && !status.containers.is_empty()
        {
            if condition(&status) {
                return status;
            }
            last = Some(status);
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{name}: not {what} after {KUBELET_GUARD:?}; last status: {}",
            last.map_or_else(|| "not listed".to_owned(), |status| status.to_string())
        );
        tokio::time::sleep(POLL).await;
    }
}

/// Polls the kubelet until it no longer lists the pod `name`.
pub(crate) async fn wait_until_gone(name: &str) {
    let deadline = tokio::time::Instant::now() + KUBELET_GUARD;
    while let Some(status) = pod_status(name).await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{name}: still listed after {KUBELET_GUARD:?}: {status}"
        );
        tokio::time::sleep(POLL).await;
    }
}

/// How many probes of `probe_type` (`Startup`, `Readiness`, `Liveness`)
/// of the pod `name` ended in `result` (`succeeded` or `failed`), as the
/// kubelet logged them (kubelet 1.20 has no probe metrics; at `--v=3` it
/// logs every probe's result).
pub(crate) fn probe_count(name: &str, probe_type: &str, result: &str) -> usize {
    let log = std::fs::read_to_string(&node().kubelet_log).expect("read the kubelet's log");
    let subject = format!("{probe_type} probe for \"{name}_");
    // A failure is logged as `failed (failure)`, or `errored:` when the
    // probe could not run.
    let outcomes: &[&str] = match result {
        "succeeded" => &["\" succeeded"],
        _ => &["\" failed (", "\" errored: "],
    };
    log.lines()
        .filter(|line| {
            line.contains(&subject) && outcomes.iter().any(|outcome| line.contains(outcome))
        })
        .count()
}

/// Polls the kubelet's log until [`probe_count`] reaches `at_least`.
pub(crate) async fn wait_for_probe_count(
    name: &str,
    probe_type: &str,
    result: &str,
    at_least: usize,
) -> usize {
    let deadline = tokio::time::Instant::now() + KUBELET_GUARD;
    loop {
        let count = probe_count(name, probe_type, result);
        if count >= at_least {
            return count;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{name}: {count} {probe_type} probes {result} after {KUBELET_GUARD:?}, not {at_least}"
        );
        tokio::time::sleep(POLL).await;
    }
}
