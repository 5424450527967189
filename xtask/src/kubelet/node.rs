//! The standalone kubelet: no API server, static pods from a directory,
//! anonymous read access (`AlwaysAllow`) and the read-only port, so the
//! tests read pod status from `http://127.0.0.1:10255/pods`. When dropped it
//! first removes every static pod and waits for them to stop (each within
//! its grace period), then stops.

use std::fs;
use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use crate::steps::StepError;

use super::daemon::{Daemon, POLL};

const STEP: &str = "kubelet";

/// The node's name; static pods are named `<pod>-<node>`.
pub(super) const NODE_NAME: &str = "ghc-kubelet";

/// The ports the kubelet listens on (127.0.0.1 only): healthz, the API
/// (TLS) and the read-only API.
pub(super) const HEALTHZ_PORT: u16 = 10248;
pub(super) const API_PORT: u16 = 10250;
pub(super) const READ_ONLY_PORT: u16 = 10255;

/// How long the static pods may take to stop once their manifests are gone:
/// the longest grace period the tests use, and then some.
const PODS_STOP_GUARD: Duration = Duration::from_secs(90);

/// A running kubelet; its pods are removed and it is stopped when dropped.
#[derive(Debug)]
pub(super) struct Kubelet {
    manifests: PathBuf,
    log: PathBuf,
    /// Stopped when dropped, after the pods.
    _daemon: Daemon,
}

impl Kubelet {
    /// Writes the config under `dir` and starts the kubelet (its log in
    /// `logs`) on `runtime`
    /// (containerd's socket) with `pause` as the sandbox image; returns once
    /// it serves pod status.
    pub(super) fn start(
        binary: &Path,
        dir: &Path,
        logs: &Path,
        runtime: &Path,
        pause: &str,
    ) -> Result<Self, StepError> {
        let manifests = dir.join("manifests");
        let root = dir.join("kubelet");
        for sub in [&manifests, &root] {
            fs::create_dir_all(sub)
                .map_err(|error| StepError::new(STEP, format!("{}: {error}", sub.display())))?;
        }
        let config = dir.join("kubelet-config.yaml");
        fs::write(&config, config_text(&manifests))
            .map_err(|error| StepError::new(STEP, format!("{}: {error}", config.display())))?;
        let endpoint = format!("unix://{}", runtime.display());
        let mut command = Command::new(binary);
        command
            .arg(format!("--config={}", config.display()))
            .arg(format!("--root-dir={}", root.display()))
            .arg(format!("--cert-dir={}", root.join("pki").display()))
            .arg("--container-runtime=remote")
            .arg(format!("--container-runtime-endpoint={endpoint}"))
            .arg(format!("--image-service-endpoint={endpoint}"))
            .arg(format!("--pod-infra-container-image={pause}"))
            .arg(format!("--hostname-override={NODE_NAME}"))
            // 3: every probe's result is logged, the tests count them.
            .arg("--v=3");
        let log = logs.join("kubelet.log");
        let mut daemon = Daemon::start(STEP, &mut command, &log)?;
        daemon.wait_until("serving pod status", || {
            get(HEALTHZ_PORT, "/healthz").is_some() && get(READ_ONLY_PORT, "/pods").is_some()
        })?;
        Ok(Self {
            manifests,
            log,
            _daemon: daemon,
        })
    }

    /// The static pod directory.
    pub(super) fn manifests(&self) -> &Path {
        &self.manifests
    }

    /// Its log, where `--v=3` records every probe's result.
    pub(super) fn log(&self) -> &Path {
        &self.log
    }

    /// Removes every static pod and waits until the kubelet lists none.
    fn remove_pods(&self) {
        if let Ok(entries) = fs::read_dir(&self.manifests) {
            for entry in entries.filter_map(Result::ok) {
                let _ = fs::remove_file(entry.path());
            }
        }
        let started = Instant::now();
        while started.elapsed() < PODS_STOP_GUARD {
            if get(READ_ONLY_PORT, "/pods").is_some_and(|pods| lists_no_pod(&pods)) {
                return;
            }
            thread::sleep(POLL);
        }
        eprintln!("xtask: the kubelet still lists pods after {PODS_STOP_GUARD:?}; stopping it");
    }
}

impl Drop for Kubelet {
    fn drop(&mut self) {
        // The daemon field is stopped after this, when it is dropped.
        self.remove_pods();
    }
}

/// The body of `GET path` on 127.0.0.1:`port` if it answers 200.
pub(super) fn get(port: u16, path: &str) -> Option<String> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    // Go answers an HTTP/1.0 request as HTTP/1.0: only the code counts.
    (head.split_whitespace().nth(1) == Some("200")).then(|| body.to_owned())
}

/// Whether a `/pods` answer lists no pod (`"items":null` once all are gone).
fn lists_no_pod(pods: &str) -> bool {
    let compact: String = pods.split_whitespace().collect();
    compact.contains("\"items\":null") || compact.contains("\"items\":[]")
}

/// The kubelet's config: standalone, static pods, cgroupfs, loopback only.
fn config_text(manifests: &Path) -> String {
    format!(
        "apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
staticPodPath: {manifests}
fileCheckFrequency: 1s
syncFrequency: 10s
address: 127.0.0.1
port: {API_PORT}
readOnlyPort: {READ_ONLY_PORT}
healthzBindAddress: 127.0.0.1
healthzPort: {HEALTHZ_PORT}
authentication:
  anonymous: {{enabled: true}}
  webhook: {{enabled: false}}
authorization: {{mode: AlwaysAllow}}
cgroupDriver: cgroupfs
failSwapOn: false
# A test machine's disk may be fuller than the defaults allow; nothing is evicted.
evictionHard: {{memory.available: \"50Mi\", nodefs.available: \"1%\", imagefs.available: \"1%\"}}
# The imported images cannot be pulled again: never collect them.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
",
        manifests = manifests.display()
    )
}

#[cfg(test)]
mod tests {
    use super::lists_no_pod;

    #[test]
    fn an_empty_pod_list_is_recognised() {
        assert!(lists_no_pod(
            r#"{"kind":"PodList","metadata":{},"items":null}"#
        ));
        assert!(lists_no_pod(r#"{"items": []}"#));
        assert!(!lists_no_pod(r#"{"items":[{"metadata":{"name":"a"}}]}"#));
    }
}
