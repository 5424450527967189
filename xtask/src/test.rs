//! `cargo xtask test`: the whole suite, as the README and CI run it.
//!
//! Step 1 is every crate's tests (`cargo test --workspace`). The slow suites
//! follow as their own steps so that their cost is explicit and paid once:
//! `package` (the three published crates packaged and verified as crates.io
//! would build them), `dist` (the static probes, their ELF checks and the
//! aarch64 probe under qemu, and the images), then the container suite, which
//! runs the rendered manifests with podman against those images.

use crate::dist;
use crate::packages::{self, Program};
use crate::steps::{self, StepError};

/// What the container suite runs: podman with the runc runtime (the
/// repository's `containers.conf` selects it) and catatonit (a pod's pause
/// process), and busybox's static shell for the image variant that podman's
/// healthcheck can run.
const CONTAINER_PROGRAMS: [Program; 4] = [
    Program::new("podman", "podman"),
    Program::new("runc", "runc"),
    Program::new("catatonit", "catatonit"),
    Program::new("busybox", "busybox-static"),
];

/// The crates published to crates.io, in dependency order.
const PUBLISHED: [&str; 3] = [
    "grpc-health-checks",
    "grpc-health-exec-probe",
    "grpc-health-manifests",
];

/// Runs every step in order, stopping at the first failure.
pub(crate) fn run() -> Result<(), StepError> {
    steps::run(
        "workspace tests",
        steps::cargo().args(["test", "--workspace"]),
    )?;
    let mut package = steps::cargo();
    package.args(["publish", "--dry-run", "--locked"]);
    for name in PUBLISHED {
        package.args(["--package", name]);
    }
    steps::run("package", &mut package)?;
    packages::require(&CONTAINER_PROGRAMS)?;
    steps::timed("dist", || dist::run(dist::Images::Required))?;
    steps::run(
        "containers",
        steps::cargo().args([
            "test",
            "--package",
            "tests",
            "--test",
            "containers",
            "--",
            // What each container did (started, healthy, drained in how long).
            "--nocapture",
        ]),
    )
}
