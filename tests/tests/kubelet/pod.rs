//! A rendered Deployment run as a static pod: `health-manifests` renders it
//! as a user would, its pod template becomes a Pod with what this node
//! needs (`hostNetwork: true`, as no CNI is configured; `host: 127.0.0.1`
//! on HTTP probes), and the manifest goes into the kubelet's static pod
//! directory. Removed when dropped, so a failed test leaves no pod behind.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use tempfile::TempDir;
use test_support::{manifests, process};

use crate::node::{self, KUBELET_GUARD, PodStatus};

/// Where the ready file's host directory is mounted in the container.
pub(crate) const READY_DIR: &str = "/ready";

/// What a test chooses about its pod; the rest is common to every pod.
#[derive(Debug, Clone)]
pub(crate) struct Spec {
    /// The image.
    pub(crate) image: String,
    /// Arguments after `--addr 127.0.0.1:PORT --ready-file /ready/ok`.
    pub(crate) args: Vec<String>,
    /// The `liveness:` values.
    pub(crate) liveness: String,
    /// More values (YAML lines), for keys the common ones leave out.
    pub(crate) extra: String,
}

impl Spec {
    /// `image` with the common probe timings and nothing more.
    pub(crate) fn new(image: &str) -> Self {
        Self {
            image: image.to_owned(),
            args: Vec::new(),
            liveness: "{periodSeconds: 1, failureThreshold: 3, timeoutSeconds: 2}".to_owned(),
            extra: String::new(),
        }
    }
}

/// How the server stopped after its manifest was removed.
#[derive(Debug)]
pub(crate) struct Stopped {
    /// Its exit code, from containerd.
    pub(crate) exit_code: i64,
    /// From the manifest's removal to the process's exit.
    pub(crate) after: Duration,
    /// The pod's grace period.
    pub(crate) grace: Duration,
    /// What the server logged.
    pub(crate) log: String,
}

/// A static pod on the node; removed when dropped.
#[derive(Debug)]
pub(crate) struct StaticPod {
    /// The pod's name as the kubelet lists it (`<name>-<node>`).
    pub(crate) name: String,
    /// The pod as written, for the drain's grace period.
    pub(crate) manifest: Value,
    path: PathBuf,
    ready_dir: TempDir,
    removed: bool,
}

impl StaticPod {
    /// Renders `spec` as the Deployment `case-<unique>` and runs its pod.
    /// A fresh name per pod: the kubelet keeps the UID (and restartCount) of
    /// a manifest it has seen before.
    pub(crate) async fn start(case: &str, spec: &Spec) -> Self {
        static COUNT: AtomicU32 = AtomicU32::new(0);
        let node = node::node();
        let name = format!(
            "{case}-{}-{}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        );
        let port = process::free_port();
        let ready_dir = tempfile::tempdir().expect("a ready-file directory");
        // The server runs as an unprivileged user and must see the file.
        std::fs::set_permissions(ready_dir.path(), std::fs::Permissions::from_mode(0o755))
            .expect("make the ready-file directory readable");
        let values = values(spec, port, ready_dir.path());
        let deployment = manifests::deployment(&name, &spec.image, port, &values).await;
        let manifest = static_pod(&name, &deployment);
        let path = node.manifests.join(format!("{name}.json"));
        // Written aside and renamed: the kubelet must never read half a file
        // (it skips dot files).
        let partial = node.manifests.join(format!(".{name}.json"));
        std::fs::write(&partial, manifest.to_string()).expect("write the static pod");
        std::fs::rename(&partial, &path).expect("move the static pod into place");
        Self {
            name: format!("{name}-{}", node.name),
            manifest,
            path,
            ready_dir,
            removed: false,
        }
    }

    /// Creates the ready file the server's readiness check looks for.
    pub(crate) fn make_ready(&self) {
        std::fs::write(self.ready_dir.path().join("ok"), "").expect("create the ready file");
    }

    /// Removes the ready file.
    pub(crate) fn make_unready(&self) {
        std::fs::remove_file(self.ready_dir.path().join("ok")).expect("remove the ready file");
    }

    /// Waits until the kubelet reports `condition`; see [`node::wait_for`].
    pub(crate) async fn wait_for(
        &self,
        what: &str,
        condition: impl FnMut(&PodStatus) -> bool,
    ) -> PodStatus {
        let waiting = std::time::Instant::now();
        let status = node::wait_for(&self.name, what, condition).await;
        // The time is for the reader; no test judges it.
        eprintln!(
            "{}: {what} (seen after {:.1?}): {status}",
            self.name,
            waiting.elapsed()
        );
        status
    }

    /// Removes the manifest, as deleting the pod does, and reads from
    /// containerd how the server exited; waits until the kubelet no longer
    /// lists the pod.
    pub(crate) async fn remove(mut self) -> Stopped {
        let status = node::pod_status(&self.name)
            .await
            .unwrap_or_else(|| panic!("{} is not listed", self.name));
        let container = status.container().clone();
        let id = container
            .id
            .clone()
            .unwrap_or_else(|| panic!("{}: no container ID in {status}", self.name));
        let removed_at = SystemTime::now();
        std::fs::remove_file(&self.path).expect("remove the static pod");
        self.removed = true;
        let (exit_code, finished_at) = exit_of(&id).await;
        let after = finished_at
            .duration_since(removed_at)
            .unwrap_or(Duration::ZERO);
        let log = std::fs::read_to_string(format!(
            "/var/log/pods/default_{}_{}/{}/{}.log",
            self.name, status.uid, container.name, container.restart_count
        ))
        .unwrap_or_else(|error| format!("(no log: {error})"));
        node::wait_until_gone(&self.name).await;
        let grace = self.manifest["spec"]["terminationGracePeriodSeconds"]
            .as_u64()
            .expect("the rendered pod sets terminationGracePeriodSeconds");
        Stopped {
            exit_code,
            after,
            grace: Duration::from_secs(grace),
            log,
        }
    }
}

impl Drop for StaticPod {
    fn drop(&mut self) {
        if !self.removed {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// The values every pod gets: the test's image and choices, probes every
/// second, a drain of 2 s within a grace period of 10 s, the ready-file
/// directory from the host, and an emptyDir (kubelet 1.20 kills a removed
/// static pod's processes at once unless it has a mounted volume).
fn values(spec: &Spec, port: u16, ready_dir: &Path) -> String {
    let mut args = vec![
        "--addr".to_owned(),
        format!("127.0.0.1:{port}"),
        "--ready-file".to_owned(),
        format!("{READY_DIR}/ok"),
        "--drain-delay".to_owned(),
        "2s".to_owned(),
    ];
    args.extend(spec.args.iter().cloned());
    let args = serde_json::to_string(&args).expect("arguments as JSON");
    format!(
        "imagePullPolicy: Never\n\
         args: {args}\n\
         volumes:\n\
         - {{name: scratch, emptyDir: {{}}}}\n\
         - {{name: ready, hostPath: {{path: \"{ready}\", type: Directory}}}}\n\
         volumeMounts:\n\
         - {{name: scratch, mountPath: /scratch}}\n\
         - {{name: ready, mountPath: {READY_DIR}, readOnly: true}}\n\
         readiness: {{periodSeconds: 1, failureThreshold: 1, timeoutSeconds: 2}}\n\
         liveness: {}\n\
         drainDelaySeconds: 2\n\
         shutdownGraceSeconds: 8\n\
         {}",
        spec.liveness,
        spec.extra,
        ready = ready_dir.display(),
    )
}

/// The Deployment's pod template as the static Pod `name` for this node.
fn static_pod(name: &str, deployment: &str) -> Value {
    let deployment: Value = serde_norway::from_str(deployment).expect("the Deployment is YAML");
    let template = &deployment["spec"]["template"];
    let mut pod = json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": template["metadata"].clone(),
        "spec": template["spec"].clone(),
    });
    pod["metadata"]["name"] = json!(name);
    pod["metadata"]["namespace"] = json!("default");
    // No CNI here: the pod shares the host's network (and its loopback).
    pod["spec"]["hostNetwork"] = json!(true);
    for list in ["initContainers", "containers"] {
        let containers = pod["spec"].get_mut(list).and_then(Value::as_array_mut);
        for container in containers.into_iter().flatten() {
            for probe in ["startupProbe", "readinessProbe", "livenessProbe"] {
                let get = container
                    .get_mut(probe)
                    .and_then(|probe| probe.get_mut("httpGet"))
                    .and_then(Value::as_object_mut);
                if let Some(get) = get {
                    // Else the kubelet probes the node's address, and the
                    // server listens on loopback only.
                    get.insert("host".to_owned(), json!("127.0.0.1"));
                }
            }
        }
    }
    pod
}

/// The exit code and finish time of containerd's container `id`, once it
/// has exited: the CRI plugin's status record, which outlives the process
/// until the kubelet removes the container.
async fn exit_of(id: &str) -> (i64, SystemTime) {
    let path = node::node()
        .containerd_root
        .join("io.containerd.grpc.v1.cri/containers")
        .join(id)
        .join("status");
    let deadline = tokio::time::Instant::now() + KUBELET_GUARD;
    loop {
        let record: Option<Value> = std::fs::read_to_string(&path)
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok());
        if let Some(record) = &record
            && let Some(finished) = record["FinishedAt"].as_u64().filter(|at| *at > 0)
        {
            let code = record["ExitCode"]
                .as_i64()
                .unwrap_or_else(|| panic!("no exit code beside the finish time: {record}"));
            return (code, UNIX_EPOCH + Duration::from_nanos(finished));
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "container {id} did not exit within {KUBELET_GUARD:?}; {}: {record:?}",
            path.display()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[test]
fn the_pod_template_becomes_a_host_network_pod_with_loopback_http_probes() {
    let deployment = "spec:\n  template:\n    metadata: {labels: {a: b}}\n    spec:\n      \
                      containers:\n      - name: c\n        readinessProbe:\n          \
                      httpGet: {path: /readyz, port: 8080}\n";
    let pod = static_pod("p", deployment);
    assert_eq!(
        pod,
        json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"labels": {"a": "b"}, "name": "p", "namespace": "default"},
            "spec": {
                "hostNetwork": true,
                "containers": [{
                    "name": "c",
                    "readinessProbe": {
                        "httpGet": {"path": "/readyz", "port": 8080, "host": "127.0.0.1"}
                    }
                }]
            }
        })
    );
}
