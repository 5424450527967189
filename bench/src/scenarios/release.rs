//! Release figures: each static probe `cargo xtask dist` wrote to `dist/`,
//! its size, how many crates are compiled into it (the components of the
//! CycloneDX SBOM shipped beside it, which dist checks against the crate
//! list embedded in the binary) and the wall time of one Check from start to
//! exit, natively or under the architecture's `qemu-*-static` emulator.
//!
//! The section measures what is shipped, so it needs `dist/`: without it the
//! run fails saying to run `cargo xtask dist` first.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::Result;
use crate::harness::artifacts::{Artifacts, workspace_root};
use crate::harness::child_server::ChildServer;
use crate::harness::report::{Figures, Measured};
use crate::harness::stats::median;

/// The file name of a shipped probe before its target triple.
const PREFIX: &str = "grpc-probe-";
/// Timed Checks per binary: few, since an emulated start takes tens of ms.
const RUNS: usize = 20;

/// One shipped binary.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Binary {
    /// Its target triple, e.g. `aarch64-unknown-linux-musl`.
    pub(crate) target: String,
    /// The file's size, in bytes.
    pub(crate) size_bytes: u64,
    /// The crates compiled into it.
    pub(crate) crates: usize,
    /// The emulator it ran under; `None` when it ran natively.
    pub(crate) emulator: Option<String>,
    /// The median wall time of a Check, start to exit, in ms.
    pub(crate) check_ms: f64,
}

/// What the release section measured: every binary in `dist/`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Release {
    pub(crate) binaries: Vec<Binary>,
}

impl Release {
    /// The largest binary's size: what the size ceiling applies to.
    fn largest_bytes(&self) -> u64 {
        self.binaries
            .iter()
            .map(|binary| binary.size_bytes)
            .max()
            .unwrap_or(0)
    }
}

impl Measured for Release {
    fn record(&self, figures: &mut Figures) {
        for binary in &self.binaries {
            let arch = arch(&binary.target);
            figures.push(
                format!("release_{arch}_size_bytes"),
                binary.size_bytes as f64,
                0,
            );
            figures.push(format!("release_{arch}_crates"), binary.crates as f64, 0);
            figures.push(format!("release_{arch}_check_ms"), binary.check_ms, 1);
        }
        figures.push("release_largest_size_bytes", self.largest_bytes() as f64, 0);
    }
}

/// The architecture part of a target triple.
fn arch(target: &str) -> &str {
    target.split('-').next().unwrap_or(target)
}

/// The qemu user-mode emulator for `target`, or `None` for this machine's
/// own architecture.
fn emulator(target: &str) -> Option<String> {
    match arch(target) {
        arch if arch == std::env::consts::ARCH => None,
        // qemu names 32-bit x86 after the i386.
        "i586" | "i686" => Some(String::from("qemu-i386-static")),
        arch => Some(format!("qemu-{arch}-static")),
    }
}

/// The shipped probes in `dist`, as (target, path), sorted by target.
fn shipped(dist: &Path) -> Result<Vec<(String, PathBuf)>> {
    let entries = std::fs::read_dir(dist).map_err(|error| {
        format!(
            "cannot read {}: {error}; run `cargo xtask dist` first, the release section \
             measures the binaries it ships",
            dist.display()
        )
    })?;
    let mut binaries = Vec::new();
    for entry in entries {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if let Some(target) = name.strip_prefix(PREFIX).filter(|rest| !rest.contains('.')) {
            binaries.push((target.to_owned(), dist.join(&name)));
        }
    }
    binaries.sort();
    if binaries.is_empty() {
        return Err(format!(
            "{} holds no {PREFIX}<target> binary; run `cargo xtask dist` first",
            dist.display()
        )
        .into());
    }
    Ok(binaries)
}

/// How many crates the CycloneDX SBOM beside `binary` lists: its
/// components, and the probe itself as the document's own component.
fn sbom_crates(binary: &Path) -> Result<usize> {
    let path = binary.with_extension("cdx.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|error| format!("cannot read the SBOM {}: {error}", path.display()))?;
    let sbom: serde_json::Value = serde_json::from_str(&text)
        .map_err(|error| format!("{} is not JSON: {error}", path.display()))?;
    let components = sbom
        .get("components")
        .and_then(serde_json::Value::as_array)
        .map(Vec::len)
        .ok_or_else(|| format!("{} has no `components` list", path.display()))?;
    let own = sbom.pointer("/metadata/component").map_or(0, |_| 1);
    Ok(components + own)
}

/// The median wall time of `RUNS` Checks by `binary` of `addr`.
fn time_checks(binary: &Path, emulator: Option<&str>, addr: &str) -> Result<f64> {
    let mut command = match emulator {
        Some(emulator) => {
            let mut command = Command::new(emulator);
            command.arg(binary);
            command
        }
        None => Command::new(binary),
    };
    command
        .arg(format!("-addr={addr}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut wall_ms = Vec::with_capacity(RUNS);
    // One untimed run, so that the binary and the emulator are in the page cache.
    for run in 0..=RUNS {
        let started = Instant::now();
        let status = command.status().map_err(|error| {
            format!("cannot run {command:?}: {error} (qemu-user-static provides the emulators)")
        })?;
        if !status.success() {
            return Err(format!("{command:?} failed: {status}").into());
        }
        if run > 0 {
            wall_ms.push(started.elapsed().as_secs_f64() * 1e3);
        }
    }
    Ok(median(&wall_ms))
}

/// Measures every shipped probe against health-demo.
pub(crate) fn measure(artifacts: &Artifacts) -> Result<Release> {
    let shipped = shipped(&workspace_root().join("dist"))?;
    let mut demo = Command::new(&artifacts.demo);
    demo.args(["--addr", "127.0.0.1:0"]);
    let demo = ChildServer::start(demo)?;
    let addr = demo.addr.to_string();
    let mut binaries = Vec::with_capacity(shipped.len());
    for (target, path) in shipped {
        let emulator = emulator(&target);
        eprintln!(
            "bench: {RUNS} Checks by {} ({})",
            path.display(),
            emulator.as_deref().unwrap_or("native")
        );
        binaries.push(Binary {
            size_bytes: std::fs::metadata(&path)?.len(),
            crates: sbom_crates(&path)?,
            check_ms: time_checks(&path, emulator.as_deref(), &addr)?,
            emulator,
            target,
        });
    }
    Ok(Release { binaries })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_architecture_has_its_emulator_and_the_host_none() {
        assert_eq!(
            emulator("x86_64-unknown-linux-musl").is_none(),
            cfg!(target_arch = "x86_64")
        );
        if cfg!(target_arch = "x86_64") {
            assert_eq!(
                emulator("aarch64-unknown-linux-musl").as_deref(),
                Some("qemu-aarch64-static")
            );
            assert_eq!(
                emulator("i686-unknown-linux-musl").as_deref(),
                Some("qemu-i386-static")
            );
        }
    }

    #[test]
    fn only_binaries_are_shipped_probes_and_an_empty_dist_is_an_error() {
        let dist = tempfile::tempdir().expect("temp dir");
        assert!(shipped(dist.path()).is_err());
        for name in [
            "grpc-probe-x86_64-unknown-linux-musl",
            "grpc-probe-x86_64-unknown-linux-musl.cdx.json",
            "grpc-probe-aarch64-unknown-linux-musl",
            "SHA256SUMS",
        ] {
            std::fs::write(dist.path().join(name), b"").expect("write");
        }
        let targets: Vec<String> = shipped(dist.path())
            .expect("two probes")
            .into_iter()
            .map(|(target, _)| target)
            .collect();
        assert_eq!(
            targets,
            ["aarch64-unknown-linux-musl", "x86_64-unknown-linux-musl"]
        );
    }

    #[test]
    fn the_sbom_components_are_counted() {
        let dist = tempfile::tempdir().expect("temp dir");
        let binary = dist.path().join("grpc-probe-x86_64-unknown-linux-musl");
        std::fs::write(
            binary.with_extension("cdx.json"),
            r#"{"metadata": {"component": {"name": "p"}}, "components": [{"name": "a"}, {"name": "b"}]}"#,
        )
        .expect("write");
        assert_eq!(sbom_crates(&binary).expect("a count"), 3);
    }
}
