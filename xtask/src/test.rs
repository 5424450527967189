//! `cargo xtask test`: the whole suite, as the README and CI run it.
//!
//! Step 1 is every crate's tests (`cargo test --workspace`). The slow suites
//! follow as their own steps so that their cost is explicit and paid once:
//! `package` (the published crates packaged and verified as crates.io
//! would build them), `dist` (the static, auditable probes for every
//! architecture built, their ELF, size and crate-list checks, SBOMs, each
//! probe answering a Check (under qemu where emulated), the second build that
//! must be byte-identical, and the images), then the container suite, which
//! runs the rendered manifests with podman against those images, and the
//! kubelet suite, which runs them as static pods of a real kubelet.

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
const PUBLISHED: [&str; 7] = [
    "grpc-health-proto",
    "grpc-health-checks",
    "grpc-health-contrib",
    "grpc-rpc-metrics",
    "grpc-health-balance",
    "grpc-health-exec-probe",
    "grpc-health-manifests",
];

/// One step of the suite: its name and what runs it.
type Step = (&'static str, fn(&str) -> Result<(), StepError>);

/// The suite's steps, in the order they run.
const STEPS: [Step; 5] = [
    ("workspace tests", workspace_tests),
    ("package", package),
    ("dist", dist),
    ("containers", containers),
    ("kubelet", kubelet),
];

/// Runs every step in order, stopping at the first failure.
pub(crate) fn run() -> Result<(), StepError> {
    run_steps(&STEPS)
}

/// Runs the step called `name` alone.
pub(crate) fn run_one(name: &str) -> Result<(), StepError> {
    let step = STEPS
        .iter()
        .find(|(step, _)| *step == name)
        .ok_or_else(|| {
            let names: Vec<&str> = STEPS.iter().map(|(step, _)| *step).collect();
            StepError::new(
                name,
                format!("there is no such step; the steps are: {}", names.join(", ")),
            )
        })?;
    run_steps(std::slice::from_ref(step))
}

/// Runs `steps` in order, stopping at the first failure and naming the steps
/// that did not run because of it, so that a red run never reads as a
/// shorter green one.
fn run_steps(steps: &[Step]) -> Result<(), StepError> {
    for (index, (name, step)) in steps.iter().enumerate() {
        if let Err(error) = step(name) {
            let skipped: Vec<&str> = steps[index + 1..].iter().map(|(name, _)| *name).collect();
            if !skipped.is_empty() {
                eprintln!(
                    "xtask: `{name}` failed, so these steps did not run: {}",
                    skipped.join(", ")
                );
            }
            return Err(error);
        }
    }
    eprintln!("xtask: all {} steps passed", steps.len());
    Ok(())
}

fn workspace_tests(name: &str) -> Result<(), StepError> {
    steps::run(name, steps::cargo().args(["test", "--workspace"]))
}

fn package(name: &str) -> Result<(), StepError> {
    forget_unpacked_workspace_crates(name)?;
    let mut package = steps::cargo();
    package.args(["publish", "--dry-run", "--locked"]);
    for name in PUBLISHED {
        package.args(["--package", name]);
    }
    steps::run(name, &mut package)
}

/// Removes what an earlier dry run unpacked of the published crates.
///
/// `cargo publish --dry-run` of several crates verifies each against the
/// others' packages, unpacked under `$CARGO_HOME/registry/src/*/NAME-VERSION`,
/// and reuses an unpacked directory that already exists: after a change to a
/// crate at the same version, the verification would build the old sources.
/// None of these crates is ever fetched from a registry into those places.
fn forget_unpacked_workspace_crates(step: &str) -> Result<(), StepError> {
    let cargo_home = std::env::var_os("CARGO_HOME").map_or_else(
        || std::env::home_dir().unwrap_or_default().join(".cargo"),
        std::path::PathBuf::from,
    );
    let Ok(registries) = std::fs::read_dir(cargo_home.join("registry").join("src")) else {
        return Ok(());
    };
    let version = env!("CARGO_PKG_VERSION");
    for registry in registries.flatten() {
        for crate_name in PUBLISHED {
            let unpacked = registry.path().join(format!("{crate_name}-{version}"));
            if unpacked.is_dir() {
                std::fs::remove_dir_all(&unpacked).map_err(|error| {
                    StepError::new(
                        step,
                        format!("cannot remove {}: {error}", unpacked.display()),
                    )
                })?;
            }
        }
    }
    Ok(())
}

fn dist(name: &str) -> Result<(), StepError> {
    packages::require(&CONTAINER_PROGRAMS)?;
    steps::timed(name, || dist::run(dist::Images::Required))
}

fn containers(name: &str) -> Result<(), StepError> {
    steps::run(
        name,
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

fn kubelet(name: &str) -> Result<(), StepError> {
    steps::timed(name, crate::kubelet::run)
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::{Step, StepError, run_steps};

    static RAN: Mutex<Vec<String>> = Mutex::new(Vec::new());

    fn pass(name: &str) -> Result<(), StepError> {
        RAN.lock().expect("lock").push(name.to_owned());
        Ok(())
    }

    fn fail(name: &str) -> Result<(), StepError> {
        RAN.lock().expect("lock").push(name.to_owned());
        Err(StepError::new(name, "it failed"))
    }

    #[test]
    fn a_failed_step_stops_the_run_and_is_the_error() {
        let steps: [Step; 3] = [("first", pass), ("second", fail), ("third", pass)];
        let error = run_steps(&steps).expect_err("the second step fails");
        assert_eq!(error.to_string(), "step `second` failed: it failed");
        assert_eq!(*RAN.lock().expect("lock"), ["first", "second"]);
    }
}
