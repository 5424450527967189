//! The binaries under test: built with the cargo that runs the bench, in the
//! target directory the bench was built in.
//!
//! grpc-probe and `bare-client` are built with `--profile probe` (opt-level
//! "s", LTO, one codegen unit, `panic = "abort"`, stripped), in two cargo
//! invocations so that features are not unified between them: built together,
//! grpc-probe would get the bench's tonic and tokio features, and bare-client
//! grpc-probe's. health-demo and the `peak-rss` helper are built with `--release`.

use std::env;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::Result;

/// The cargo invocations, as arguments after `cargo build`.
const BUILDS: [&[&str]; 4] = [
    &[
        "--profile",
        "probe",
        "-p",
        "grpc-health-exec-probe",
        "--bin",
        "grpc-probe",
    ],
    &[
        "--profile",
        "probe",
        "-p",
        "bench",
        "--no-default-features",
        "--bin",
        "bare-client",
    ],
    &["--release", "-p", "examples", "--bin", "health-demo"],
    &["--release", "-p", "bench", "--bin", "peak-rss"],
];

/// Paths of the built binaries.
#[derive(Debug)]
pub(crate) struct Artifacts {
    /// grpc-probe, size profile.
    pub(crate) probe: PathBuf,
    /// The bare tonic client, size profile.
    pub(crate) bare_client: PathBuf,
    /// health-demo, release profile.
    pub(crate) demo: PathBuf,
    /// The peak-RSS helper, release profile.
    pub(crate) peak_rss: PathBuf,
    /// `true`, found on `PATH`.
    pub(crate) true_bin: PathBuf,
}

impl Artifacts {
    /// Builds every binary, then locates them.
    pub(crate) fn build() -> Result<Self> {
        let cargo = env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
        let manifest = workspace_root().join("Cargo.toml");
        let target = target_dir();
        for args in BUILDS {
            eprintln!("bench: cargo build {}", args.join(" "));
            let status = Command::new(&cargo)
                .arg("build")
                .arg("--manifest-path")
                .arg(&manifest)
                .arg("--target-dir")
                .arg(&target)
                .args(args)
                .status()
                .map_err(|error| format!("cannot run {}: {error}", cargo.to_string_lossy()))?;
            if !status.success() {
                return Err(format!("cargo build {} failed: {status}", args.join(" ")).into());
            }
        }
        Self::locate()
    }

    /// Locates binaries built earlier.
    pub(crate) fn locate() -> Result<Self> {
        let target = target_dir();
        let found = |path: PathBuf| {
            if path.is_file() {
                Ok(path)
            } else {
                Err(format!(
                    "{} is missing: run without --no-build",
                    path.display()
                ))
            }
        };
        Ok(Self {
            probe: found(target.join("probe").join("grpc-probe"))?,
            bare_client: found(target.join("probe").join("bare-client"))?,
            demo: found(target.join("release").join("health-demo"))?,
            peak_rss: found(target.join("release").join("peak-rss"))?,
            true_bin: which("true").ok_or("`true` is not on PATH")?,
        })
    }
}

/// The workspace this crate belongs to.
fn workspace_root() -> &'static Path {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir)
}

/// The target directory the bench itself was built in: it runs as
/// `<target>/release/bench`, whatever set that directory (`CARGO_TARGET_DIR`,
/// a cargo config, `--target-dir`). Else `CARGO_TARGET_DIR`, else the
/// workspace's `target`.
fn target_dir() -> PathBuf {
    let built_in = env::current_exe().ok().and_then(|exe| {
        let profile_dir = exe.parent()?;
        let target = profile_dir.parent()?;
        target
            .join("CACHEDIR.TAG")
            .is_file()
            .then(|| target.to_owned())
    });
    built_in.unwrap_or_else(|| match env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => env::current_dir()
            .map(|cwd| cwd.join(&dir))
            .unwrap_or_else(|_| PathBuf::from(dir)),
        _ => workspace_root().join("target"),
    })
}

/// The first `name` on `PATH`.
fn which(name: &str) -> Option<PathBuf> {
    env::split_paths(&env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workspace_root_holds_this_crate() {
        assert!(workspace_root().join("bench").join("Cargo.toml").is_file());
    }

    #[test]
    fn probe_and_bare_client_share_the_size_profile() {
        assert!(BUILDS[0].starts_with(&["--profile", "probe"]));
        assert!(BUILDS[1].starts_with(&["--profile", "probe"]));
        assert!(BUILDS[1].contains(&"--no-default-features"));
    }
}
