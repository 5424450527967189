//! containerd as the kubelet's CRI runtime, apart from any containerd the
//! machine runs: its own socket, root, state and config; runc with cgroupfs
//! (`SystemdCgroup = false`); `restrict_oom_score_adj = true`, without which
//! runc cannot create a sandbox where a negative `oom_score_adj` is refused.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::steps::{self, StepError};

use super::daemon::Daemon;

const STEP: &str = "containerd";

/// The CRI plugin's namespace, where the kubelet's containers live.
const NAMESPACE: &str = "k8s.io";

/// A running containerd; its tasks and containers are removed and it is
/// stopped when dropped.
#[derive(Debug)]
pub(super) struct Containerd {
    socket: PathBuf,
    root: PathBuf,
    daemon: Daemon,
}

impl Containerd {
    /// Writes the config under `dir` and starts containerd with it (its log
    /// in `logs`), with `pause` as the sandbox image; returns once it answers.
    pub(super) fn start(
        dir: &Path,
        logs: &Path,
        pause: &str,
        runc: &Path,
    ) -> Result<Self, StepError> {
        let socket = dir.join("containerd.sock");
        let root = dir.join("containerd");
        let config = dir.join("containerd.toml");
        let cni = dir.join("cni");
        for sub in [&root, &cni] {
            fs::create_dir_all(sub).map_err(|error| io(sub, &error))?;
        }
        let text = config_text(
            &socket,
            &root,
            &dir.join("containerd-state"),
            &cni,
            pause,
            runc,
        );
        fs::write(&config, text).map_err(|error| io(&config, &error))?;
        let mut command = Command::new("containerd");
        command.arg("--config").arg(&config);
        let daemon = Daemon::start(STEP, &mut command, &logs.join("containerd.log"))?;
        let mut containerd = Self {
            socket,
            root,
            daemon,
        };
        let socket = containerd.socket.clone();
        containerd.daemon.wait_until("answering", || {
            ctr(&socket, &["version"])
                .output()
                .is_ok_and(|output| output.status.success())
        })?;
        Ok(containerd)
    }

    /// The socket the kubelet talks to.
    pub(super) fn socket(&self) -> &Path {
        &self.socket
    }

    /// containerd's root: the CRI plugin keeps each container's status
    /// (exit code, start and finish times) under it.
    pub(super) fn root(&self) -> &Path {
        &self.root
    }

    /// `ctr -n k8s.io images import archive`.
    pub(super) fn import(&self, archive: &Path) -> Result<(), StepError> {
        let archive = archive
            .to_str()
            .ok_or_else(|| io_text(archive, "not UTF-8"))?;
        steps::output(
            "import the images",
            &mut self.ctr_command(&["images", "import", archive]),
        )
        .map(|_| ())
    }

    /// `ctr` against this containerd.
    fn ctr_command(&self, args: &[&str]) -> Command {
        ctr(&self.socket, args)
    }

    /// The IDs `ctr … ls -q` lists for `object` (tasks or containers).
    fn list(&self, object: &str) -> Vec<String> {
        self.ctr_command(&[object, "ls", "-q"])
            .output()
            .map(|output| {
                String::from_utf8_lossy(&output.stdout)
                    .split_whitespace()
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Kills and deletes whatever task and container the kubelet left, so
    /// that their shims exit with them.
    fn remove_all(&self) {
        for task in self.list("tasks") {
            let _ = self
                .ctr_command(&["tasks", "kill", "--signal", "SIGKILL", &task])
                .output();
            let _ = self
                .ctr_command(&["tasks", "delete", "--force", &task])
                .output();
        }
        for container in self.list("containers") {
            let _ = self
                .ctr_command(&["containers", "delete", &container])
                .output();
        }
    }
}

impl Drop for Containerd {
    fn drop(&mut self) {
        // The daemon field is stopped after this, when it is dropped.
        self.remove_all();
    }
}

/// `ctr` against the containerd at `socket`, in the CRI namespace.
fn ctr(socket: &Path, args: &[&str]) -> Command {
    let mut command = Command::new("ctr");
    command
        .arg("--address")
        .arg(socket)
        .args(["--namespace", NAMESPACE])
        .args(args);
    command
}

/// containerd's config (version 2).
fn config_text(
    socket: &Path,
    root: &Path,
    state: &Path,
    cni: &Path,
    pause: &str,
    runc: &Path,
) -> String {
    let socket = socket.display();
    format!(
        r#"version = 2
root = "{root}"
state = "{state}"
[grpc]
  address = "{socket}"
[ttrpc]
  address = "{socket}.ttrpc"
[plugins]
  [plugins."io.containerd.internal.v1.opt"]
    path = "{opt}"
  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = "{pause}"
    # runc cannot lower oom_score_adj below containerd's own where the
    # capability to do so is missing; every sandbox would fail without this.
    restrict_oom_score_adj = true
    [plugins."io.containerd.grpc.v1.cri".containerd]
      snapshotter = "overlayfs"
      default_runtime_name = "runc"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
          BinaryName = "{runc}"
          SystemdCgroup = false
    [plugins."io.containerd.grpc.v1.cri".cni]
      conf_dir = "{cni}"
"#,
        root = root.display(),
        state = state.display(),
        opt = root.join("opt").display(),
        runc = runc.display(),
        cni = cni.display(),
    )
}

fn io(path: &Path, error: &std::io::Error) -> StepError {
    io_text(path, &error.to_string())
}

fn io_text(path: &Path, error: &str) -> StepError {
    StepError::new(STEP, format!("{}: {error}", path.display()))
}
