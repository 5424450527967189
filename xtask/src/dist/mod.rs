//! `cargo xtask dist`: the static probe for x86_64 and aarch64 Linux (musl,
//! the `probe` profile: opt-level s, LTO, panic abort, stripped) in `dist/`
//! with `dist/SHA256SUMS`, each checked to be a static ELF for its machine and
//! to answer a Check (the aarch64 one under qemu); then, where podman or a
//! docker engine exists, the images `grpc-probe:VERSION` and
//! `health-demo:VERSION`.

mod elf;
pub(crate) mod images;
mod smoke;
mod targets;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::packages::{self, Program};
use crate::steps::{self, StepError, target_dir, workspace_root};

use targets::Target;

/// The probe's package, binary and release profile.
const PROBE_PACKAGE: &str = "grpc-health-exec-probe";
const PROBE_BIN: &str = "grpc-probe";
const PROBE_PROFILE: &str = "probe";

/// The demo server for the demo image, built with the ordinary release
/// profile: it serves the library, whose panicking checks must unwind.
const DEMO_PACKAGE: &str = "examples";
const DEMO_BIN: &str = "health-demo";

/// Whether `cargo xtask dist` must build the images.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Images {
    /// Build them where podman or a docker engine exists; say so where not.
    IfEngine,
    /// Build them; fail where no engine exists (the test suite needs them).
    Required,
}

/// Builds, checks and stages everything; see the module documentation.
pub(crate) fn run(images: Images) -> Result<(), StepError> {
    require_x86_64_linux()?;
    let engine = match (images::Engine::find(), images) {
        (Some(engine), _) => Some(engine),
        (None, Images::IfEngine) => {
            eprintln!(
                "xtask: neither podman nor a docker engine is here: building the binaries \
                 only, not the images (install podman to build them)"
            );
            None
        }
        (None, Images::Required) => {
            return Err(StepError::new(
                "images",
                "neither podman nor a docker engine is here: `apt-get install podman`",
            ));
        }
    };
    packages::require_rust_targets(&targets::ALL.map(|target| target.triple))?;
    let mut programs: Vec<Program> = targets::ALL.iter().flat_map(Target::programs).collect();
    programs.push(Program::new("sha256sum", "coreutils"));
    packages::require(&programs)?;

    build_probes()?;
    build_demo()?;
    let dist = workspace_root().join("dist");
    let probes = stage_probes(&dist)?;
    write_checksums(&dist, &probes)?;
    let demo = built(targets::X86_64, "release", DEMO_BIN);
    check_static("static checks", &demo, targets::X86_64)?;
    smoke::run(&demo, &probes)?;
    if let Some(engine) = engine {
        let context = stage_image_context(&demo, &dist)?;
        images::build(engine, &context, &[images::PROBE, images::DEMO])?;
    }
    eprintln!("xtask: dist/ holds {}", listing(&dist)?);
    Ok(())
}

/// The binaries run the x86_64 ones natively and the aarch64 one under
/// qemu-aarch64-static, which only an x86_64 Linux host does.
fn require_x86_64_linux() -> Result<(), StepError> {
    let (arch, os) = (std::env::consts::ARCH, std::env::consts::OS);
    if (arch, os) == ("x86_64", "linux") {
        Ok(())
    } else {
        Err(StepError::new(
            "host",
            format!(
                "cargo xtask dist runs on x86_64 Linux (it runs the x86_64 probe natively and \
                 the aarch64 one under qemu-aarch64-static); this host is {arch} {os}"
            ),
        ))
    }
}

/// One cargo build of the probe for both targets.
fn build_probes() -> Result<(), StepError> {
    let mut command = steps::cargo();
    command.args([
        "build",
        "--locked",
        "--profile",
        PROBE_PROFILE,
        "--package",
        PROBE_PACKAGE,
        "--bin",
        PROBE_BIN,
    ]);
    for target in targets::ALL {
        command
            .args(["--target", target.triple])
            .envs(target.cargo_env());
    }
    steps::run("build the static probes", command.env_remove("RUSTFLAGS"))
}

/// The static x86_64 demo for the demo image, stripped like the probe.
fn build_demo() -> Result<(), StepError> {
    let target = targets::X86_64;
    let mut command = steps::cargo();
    command
        .args([
            "build",
            "--locked",
            "--release",
            "--config",
            "profile.release.strip=true",
            "--package",
            DEMO_PACKAGE,
            "--bin",
            DEMO_BIN,
            "--target",
            target.triple,
        ])
        .envs(target.cargo_env())
        .env_remove("RUSTFLAGS");
    steps::run("build the static health-demo", &mut command)
}

/// Where cargo put `bin` of `target` in `profile`.
fn built(target: Target, profile: &str, bin: &str) -> PathBuf {
    target_dir().join(target.triple).join(profile).join(bin)
}

/// Copies each probe into a fresh `dist/` under its release name, after
/// checking that it is static and for the right machine.
fn stage_probes(dist: &Path) -> Result<Vec<(Target, PathBuf)>, StepError> {
    let step = "stage dist/";
    let io = |what: &str, error: std::io::Error| StepError::new(step, format!("{what}: {error}"));
    if dist.exists() {
        fs::remove_dir_all(dist).map_err(|error| io("remove the old dist/", error))?;
    }
    fs::create_dir_all(dist).map_err(|error| io("create dist/", error))?;
    targets::ALL
        .into_iter()
        .map(|target| {
            let built = built(target, PROBE_PROFILE, PROBE_BIN);
            check_static("static checks", &built, target)?;
            let staged = dist.join(target.probe_name());
            fs::copy(&built, &staged)
                .map_err(|error| io(&format!("copy {}", built.display()), error))?;
            Ok((target, staged))
        })
        .collect()
}

/// Fails unless `path` is a static executable for `target`'s machine.
fn check_static(step: &str, path: &Path, target: Target) -> Result<(), StepError> {
    let bytes = fs::read(path)
        .map_err(|error| StepError::new(step, format!("read {}: {error}", path.display())))?;
    elf::check_static(&bytes, target.elf_machine).map_err(|why| {
        StepError::new(
            step,
            format!(
                "{} is not a static {} executable: {why}",
                path.display(),
                target.triple
            ),
        )
    })?;
    eprintln!(
        "xtask: {} is a static {} executable of {} bytes",
        path.display(),
        target.triple,
        bytes.len()
    );
    Ok(())
}

/// `dist/SHA256SUMS` in `sha256sum` format, so `sha256sum -c SHA256SUMS` checks it.
fn write_checksums(dist: &Path, probes: &[(Target, PathBuf)]) -> Result<(), StepError> {
    let step = "SHA256SUMS";
    let mut command = Command::new("sha256sum");
    command
        .current_dir(dist)
        .args(probes.iter().map(|(target, _)| target.probe_name()));
    let sums = steps::output(step, &mut command)?;
    fs::write(dist.join("SHA256SUMS"), sums)
        .map_err(|error| StepError::new(step, format!("write dist/SHA256SUMS: {error}")))
}

/// A fresh build context holding exactly the binaries the Containerfiles copy.
fn stage_image_context(demo: &Path, dist: &Path) -> Result<PathBuf, StepError> {
    let step = "images";
    let io = |error: std::io::Error| StepError::new(step, format!("stage the context: {error}"));
    let context = target_dir().join("image-context");
    if context.exists() {
        fs::remove_dir_all(&context).map_err(io)?;
    }
    fs::create_dir_all(&context).map_err(io)?;
    let probe = targets::X86_64.probe_name();
    fs::copy(dist.join(&probe), context.join(&probe)).map_err(io)?;
    fs::copy(
        demo,
        context.join(format!("{DEMO_BIN}-{}", targets::X86_64.triple)),
    )
    .map_err(io)?;
    Ok(context)
}

/// The file names in `dir`, sorted, for the closing message.
fn listing(dir: &Path) -> Result<String, StepError> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .map_err(|error| StepError::new("dist", format!("list dist/: {error}")))?
        .filter_map(Result::ok)
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    Ok(names.join(", "))
}
