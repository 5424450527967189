//! What the kubelet and containerd change on the host outside their own
//! directories, recorded before they start and put back when dropped: the
//! sysctls the kubelet sets at start, the host directories kubelet 1.20 and
//! containerd 1.6 hard-code (removed only if the suite created them, else
//! only this node's pod logs), the `kubepods` cgroups, mounts under the
//! state directory and shims left by this containerd. Nothing else is
//! touched, and only processes of this node are stopped.

use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::steps::StepError;

use super::node::{API_PORT, HEALTHZ_PORT, NODE_NAME, READ_ONLY_PORT};

const STEP: &str = "kubelet host";

/// The sysctls the kubelet sets at start (no opt-out in 1.20).
const SYSCTLS: [&str; 3] = [
    "/proc/sys/vm/overcommit_memory",
    "/proc/sys/kernel/panic",
    "/proc/sys/kernel/panic_on_oops",
];

/// Host directories that kubelet 1.20 and containerd 1.6 write whatever
/// their configuration says.
const HARD_CODED: [&str; 4] = [
    "/var/lib/kubelet",
    "/var/log/pods",
    "/var/log/containers",
    "/run/containerd",
];

/// Where the cgroup hierarchies are mounted (cgroup v1 or hybrid).
const CGROUP_ROOT: &str = "/sys/fs/cgroup";

/// The host as it was before the node started; restored when dropped.
#[derive(Debug)]
pub(super) struct Host {
    state: PathBuf,
    socket: PathBuf,
    sysctls: Vec<(&'static str, String)>,
    created_dirs: Vec<&'static str>,
    created_cgroups: Vec<PathBuf>,
}

impl Host {
    /// Checks that the node can run (root, free ports), clears a stale
    /// `state` directory left by an interrupted run and records the host.
    /// `socket` is containerd's, which names its shims.
    pub(super) fn prepare(state: &Path, socket: &Path) -> Result<Self, StepError> {
        let uid = fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|status| {
                status
                    .lines()
                    .find_map(|line| line.strip_prefix("Uid:"))
                    .and_then(|ids| ids.split_whitespace().next().map(str::to_owned))
            });
        if uid.as_deref() != Some("0") {
            return Err(StepError::new(
                STEP,
                "the kubelet and containerd need root: run `cargo xtask test` as root",
            ));
        }
        for port in [HEALTHZ_PORT, API_PORT, READ_ONLY_PORT] {
            TcpListener::bind(("127.0.0.1", port)).map_err(|error| {
                StepError::new(
                    STEP,
                    format!(
                        "127.0.0.1:{port} is taken ({error}): is a kubelet running? Stop it \
                         and run the step again"
                    ),
                )
            })?;
        }
        if !Path::new(CGROUP_ROOT).join("memory").is_dir() {
            return Err(StepError::new(
                STEP,
                "kubelet 1.20 here needs cgroup v1 or hybrid (no /sys/fs/cgroup/memory)",
            ));
        }
        unmount_under(state);
        super::remove_dir(STEP, state)?;
        fs::create_dir_all(state)
            .map_err(|error| StepError::new(STEP, format!("{}: {error}", state.display())))?;
        let sysctls = SYSCTLS
            .iter()
            .map(|key| {
                fs::read_to_string(key)
                    .map(|value| (*key, value.trim().to_owned()))
                    .map_err(|error| StepError::new(STEP, format!("read {key}: {error}")))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            state: state.to_owned(),
            socket: socket.to_owned(),
            sysctls,
            created_dirs: HARD_CODED
                .into_iter()
                .filter(|dir| !Path::new(dir).exists())
                .collect(),
            created_cgroups: kubepods_cgroups()
                .into_iter()
                .filter(|dir| !dir.exists())
                .collect(),
        })
    }

    /// Kills the shims of this node's containerd that outlived it.
    fn stop_shims(&self) {
        let socket = self.socket.to_string_lossy();
        let Ok(processes) = fs::read_dir("/proc") else {
            return;
        };
        for entry in processes.filter_map(Result::ok) {
            let pid = entry.file_name().to_string_lossy().into_owned();
            if !pid.bytes().all(|byte| byte.is_ascii_digit()) {
                continue;
            }
            let Ok(cmdline) = fs::read(entry.path().join("cmdline")) else {
                continue;
            };
            let args: Vec<String> = cmdline
                .split(|byte| *byte == 0)
                .map(|arg| String::from_utf8_lossy(arg).into_owned())
                .collect();
            let ours = args
                .first()
                .is_some_and(|arg0| arg0.contains("containerd-shim"))
                && args
                    .windows(2)
                    .any(|pair| pair[0] == "-address" && pair[1] == socket);
            if ours {
                eprintln!("xtask: killing this node's leftover shim (pid {pid})");
                let _ = Command::new("kill").args(["-KILL", &pid]).status();
            }
        }
    }

    /// Removes the host directories the node created, or else its pod logs.
    fn remove_host_dirs(&self) {
        for dir in HARD_CODED {
            if self.created_dirs.contains(&dir) {
                unmount_under(Path::new(dir));
                let _ = fs::remove_dir_all(dir);
                continue;
            }
            if dir.starts_with("/var/log") {
                remove_pod_logs(Path::new(dir));
            }
        }
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        self.stop_shims();
        unmount_under(&self.state);
        for cgroup in &self.created_cgroups {
            remove_cgroup(cgroup);
        }
        self.remove_host_dirs();
        for (key, value) in &self.sysctls {
            if let Err(error) = fs::write(key, value) {
                eprintln!("xtask: could not restore {key} to {value}: {error}");
            }
        }
        if let Err(error) = super::remove_dir(STEP, &self.state) {
            eprintln!("xtask: {error}");
        }
    }
}

/// The `kubepods` cgroup of every hierarchy the kubelet (cgroupfs) uses.
fn kubepods_cgroups() -> Vec<PathBuf> {
    fs::read_dir(CGROUP_ROOT)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.path().join("kubepods"))
                .collect()
        })
        .unwrap_or_default()
}

/// Removes `cgroup` and the cgroups under it, deepest first (a cgroup is
/// removed with rmdir once its children are).
fn remove_cgroup(cgroup: &Path) {
    if let Ok(entries) = fs::read_dir(cgroup) {
        for entry in entries.filter_map(Result::ok) {
            if entry.file_type().is_ok_and(|kind| kind.is_dir()) {
                remove_cgroup(&entry.path());
            }
        }
    }
    let _ = fs::remove_dir(cgroup);
}

/// Pod logs of this node (`<namespace>_<pod>-<node>_<uid>` and container
/// links `<pod>-<node>_<namespace>_…`) in `dir`.
fn remove_pod_logs(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let marker = format!("-{NODE_NAME}_");
    for entry in entries.filter_map(Result::ok) {
        if entry.file_name().to_string_lossy().contains(&marker) {
            let path = entry.path();
            let _ = if path.is_dir() {
                fs::remove_dir_all(&path)
            } else {
                fs::remove_file(&path)
            };
        }
    }
}

/// Unmounts everything mounted under `dir`, deepest first.
fn unmount_under(dir: &Path) {
    let Ok(mounts) = fs::read_to_string("/proc/self/mounts") else {
        return;
    };
    let mut points: Vec<&str> = mounts
        .lines()
        .filter_map(|line| line.split_whitespace().nth(1))
        .filter(|point| Path::new(point).starts_with(dir))
        .collect();
    points.sort_unstable_by(|a, b| b.cmp(a));
    points.dedup();
    for point in points {
        let unmounted = Command::new("umount")
            .arg(point)
            .output()
            .is_ok_and(|output| output.status.success());
        if !unmounted {
            let _ = Command::new("umount").args(["--lazy", point]).output();
        }
    }
}
