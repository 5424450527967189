//! Finding `grpc-probe` and `health-demo`, which other packages of the
//! workspace build. `env!("CARGO_BIN_EXE_…")` only reaches this package's own
//! binaries, so they are looked up next to this test binary
//! (`<target>/<profile>/deps/manifests-…` → `<target>/<profile>/<name>`).
//!
//! `cargo test --workspace` builds another package's binaries only when that
//! package has integration tests, so the first lookup runs `cargo build` for
//! both (a no-op when they are fresh) in the same target directory and profile.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The grpc-probe binary.
pub(crate) fn grpc_probe() -> PathBuf {
    sibling("grpc-probe")
}

/// The health-demo binary.
pub(crate) fn health_demo() -> PathBuf {
    sibling("health-demo")
}

/// `<target>/<profile>`, where this test binary's `deps/` directory is.
fn profile_dir() -> PathBuf {
    let exe = env::current_exe().expect("current test binary");
    exe.parent()
        .and_then(Path::parent)
        .expect("test binary lives in <target>/<profile>/deps")
        .to_path_buf()
}

fn sibling(name: &str) -> PathBuf {
    static BUILD: OnceLock<String> = OnceLock::new();
    let build = BUILD.get_or_init(build);
    let path = profile_dir().join(format!("{name}{}", env::consts::EXE_SUFFIX));
    assert!(
        path.is_file(),
        "{name} not found at {}: run `cargo build --workspace` (with the same target directory \
         and profile) before these tests.\n{build}",
        path.display()
    );
    path
}

/// Builds grpc-probe and health-demo; returns what cargo said, for the failure message.
fn build() -> String {
    let profile_dir = profile_dir();
    let Some(target_dir) = profile_dir.parent() else {
        return "no target directory above the profile directory".into();
    };
    let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") => "dev",
        Some(other) => other,
        None => "dev",
    };
    let cargo = env::var("CARGO").unwrap_or_else(|_| env!("CARGO").to_owned());
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let output = Command::new(cargo)
        .args([
            "build",
            "--profile",
            profile,
            "-p",
            "grpc-health-exec-probe",
            "--bin",
            "grpc-probe",
        ])
        .args(["-p", "examples", "--bin", "health-demo"])
        .env("CARGO_TARGET_DIR", target_dir)
        .current_dir(workspace)
        .output();
    match output {
        Ok(output) if output.status.success() => String::new(),
        Ok(output) => format!(
            "`cargo build -p grpc-health-exec-probe -p examples` failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        ),
        Err(error) => format!("cannot run cargo: {error}"),
    }
}
