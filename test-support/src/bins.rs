//! The workspace's binaries (`grpc-probe`, `health-demo`, `health-manifests`).
//!
//! `env!("CARGO_BIN_EXE_…")` reaches only a package's own binaries, so other
//! packages' binaries are found next to the running test binary
//! (`<target>/<profile>/deps/<test>` → `<target>/<profile>/<name>`).
//! `cargo test --workspace` builds all of them before it runs any test, since
//! each of their packages has integration tests; nothing here runs cargo.

use std::path::{Path, PathBuf};

/// `<target>/<profile>`, the directory above this test binary's `deps/`.
pub fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the current test binary has a path");
    exe.parent()
        .and_then(Path::parent)
        .expect("test binaries live in <target>/<profile>/deps")
        .to_path_buf()
}

/// The workspace binary `name`, failing the test with the command that builds
/// it when it is missing.
pub fn workspace_bin(name: &str) -> PathBuf {
    let path = profile_dir().join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.is_file(),
        "{name} not found at {}: `cargo test --workspace` builds it; when running one \
         package's tests, run `cargo build --workspace --bins` first (same profile and \
         target directory)",
        path.display()
    );
    path
}

/// The `grpc-probe` binary.
pub fn grpc_probe() -> PathBuf {
    workspace_bin("grpc-probe")
}

/// The `health-demo` binary.
pub fn health_demo() -> PathBuf {
    workspace_bin("health-demo")
}

/// The `health-manifests` binary.
pub fn health_manifests() -> PathBuf {
    workspace_bin("health-manifests")
}
