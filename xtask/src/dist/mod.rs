//! `cargo xtask dist`: the release. The static probe for every architecture
//! of the table in `targets` (musl, the `probe` profile: opt-level s, LTO,
//! panic abort, stripped), built with `cargo auditable` and reproducibly, in
//! `dist/` with a CycloneDX SBOM beside each and `dist/SHA256SUMS` over both;
//! each checked to be a static, stripped ELF for its machine within the size
//! ceiling, to embed the crates `cargo tree` lists, and to answer a Check
//! (natively or under qemu); the x86_64 one built again from another
//! directory must be byte-identical. Then, where podman or a docker engine
//! exists, the images: the index `grpc-probe:VERSION` over one image per
//! architecture and `health-demo:VERSION`.

mod audit;
mod elf;
pub(crate) mod images;
mod repro;
mod sbom;
mod smoke;
mod source;
mod targets;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::packages::{self, Program};
use crate::steps::{self, StepError, target_dir, workspace_root};
use crate::tools;

use source::Source;
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

/// One released probe and its figures.
struct Released {
    target: Target,
    path: PathBuf,
    bytes: u64,
    crates: usize,
    check: Duration,
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
    let built = targets::built();
    for missing in targets::missing() {
        eprintln!("xtask: not built: {missing}");
    }
    tools::require(&[
        tools::CARGO_AUDITABLE,
        tools::CARGO_CYCLONEDX,
        tools::RUST_AUDIT_INFO,
    ])?;
    packages::require_rust_targets(&built.iter().map(|target| target.triple).collect::<Vec<_>>())?;
    packages::require_toolchain(SBOM_CARGO)?;
    let mut programs: Vec<Program> = built.iter().flat_map(Target::programs).collect();
    programs.push(Program::new("sha256sum", "coreutils"));
    packages::require(&programs)?;
    let source = Source::last_commit()?;

    let root = workspace_root();
    build_probes(&root, &target_dir(), &built, &source)?;
    build_demo(&source)?;
    let dist = root.join("dist");
    let staged = stage_probes(&dist, &built)?;
    let mut released = Vec::new();
    let mut sboms = Vec::new();
    for (target, path) in staged {
        let crates = audit::check(&path, target, PROBE_PACKAGE)?;
        sboms.push(sbom::write(&path, target, &crates, &source)?);
        let bytes = size("stage dist/", &path)?;
        released.push(Released {
            target,
            path,
            bytes,
            crates: crates.len(),
            check: Duration::ZERO,
        });
    }
    let mut summed: Vec<&Path> = released.iter().map(|probe| probe.path.as_path()).collect();
    summed.extend(sboms.iter().map(PathBuf::as_path));
    write_checksums(&dist, &summed)?;
    let demo = built_binary(targets::X86_64, "release", DEMO_BIN);
    check_static("static checks", &demo, targets::X86_64)?;
    let probes: Vec<(Target, PathBuf)> = released
        .iter()
        .map(|probe| (probe.target, probe.path.clone()))
        .collect();
    for (probe, took) in released.iter_mut().zip(smoke::run(&demo, &probes)?) {
        probe.check = took;
    }
    let again = repro::check(
        &dist.join(targets::X86_64.probe_name()),
        targets::X86_64,
        &source,
        |sources, target| {
            build_probes(sources, target, &[targets::X86_64], &source)?;
            Ok(target
                .join(targets::X86_64.triple)
                .join(PROBE_PROFILE)
                .join(PROBE_BIN))
        },
    )?;
    if let Some(engine) = engine {
        let context = stage_image_context(&demo, &dist, &built)?;
        images::build_probe_index(engine, &context, &built, &source)?;
        images::build_demo(engine, &context, &source)?;
        if engine == images::Engine::Podman {
            same_image_again(engine, &again, &source)?;
        }
    }
    report(&released);
    eprintln!("xtask: dist/ holds {}", listing(&dist)?);
    Ok(())
}

/// The x86_64 probe runs natively and the others under qemu-*-static, which
/// only an x86_64 Linux host does.
fn require_x86_64_linux() -> Result<(), StepError> {
    let (arch, os) = (std::env::consts::ARCH, std::env::consts::OS);
    if (arch, os) == ("x86_64", "linux") {
        Ok(())
    } else {
        Err(StepError::new(
            "host",
            format!(
                "cargo xtask dist runs on x86_64 Linux (it runs the x86_64 probe natively and \
                 the others under qemu-*-static); this host is {arch} {os}"
            ),
        ))
    }
}

/// The toolchain whose cargo drives the probe's build: only its cargo, for
/// the unstable `-Z sbom`, which tells `cargo auditable` exactly the crates
/// each binary is compiled from (without it, `cargo metadata` resolves
/// features over the whole workspace and the probe would claim the crates of
/// the other members too). The compiler stays the workspace's stable rustc.
pub(crate) const SBOM_CARGO: &str = "nightly";

/// One `cargo auditable build` of the probe for `targets`, from the sources
/// in `sources` into `target_dir`, reproducibly (paths remapped, timestamps
/// from the last commit).
fn build_probes(
    sources: &Path,
    target_dir: &Path,
    targets: &[Target],
    source: &Source,
) -> Result<(), StepError> {
    let step = format!("build the static probes in {}", target_dir.display());
    let remap = repro::remap_flags(sources, target_dir)?;
    let rustc = steps::output(
        &step,
        Command::new("rustup")
            .current_dir(workspace_root())
            .args(["which", "rustc"]),
    )?;
    let mut command = Command::new("rustup");
    command
        .current_dir(sources)
        .env("RUSTC", rustc.trim())
        .env("CARGO_BUILD_SBOM", "true")
        .env("CARGO_TARGET_DIR", target_dir)
        .env("SOURCE_DATE_EPOCH", source.epoch.to_string())
        .args(["run", SBOM_CARGO, "cargo", "auditable", "build", "-Zsbom"])
        .args([
            "--locked",
            "--profile",
            PROBE_PROFILE,
            "--package",
            PROBE_PACKAGE,
            "--bin",
            PROBE_BIN,
        ]);
    for target in targets {
        command
            .args(["--target", target.triple])
            .envs(target.cargo_env(&remap));
    }
    steps::run(&step, command.env_remove("RUSTFLAGS"))
}

/// The static x86_64 demo for the demo image, stripped like the probe.
fn build_demo(source: &Source) -> Result<(), StepError> {
    let target = targets::X86_64;
    let remap = repro::remap_flags(&workspace_root(), &target_dir())?;
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
        .envs(target.cargo_env(&remap))
        .env("SOURCE_DATE_EPOCH", source.epoch.to_string())
        .env_remove("RUSTFLAGS");
    steps::run("build the static health-demo", &mut command)
}

/// Where cargo put `bin` of `target` in `profile`.
fn built_binary(target: Target, profile: &str, bin: &str) -> PathBuf {
    target_dir().join(target.triple).join(profile).join(bin)
}

/// Copies each probe of `targets` into a fresh `dist/` under its release
/// name, after checking that it is static and for the right machine.
fn stage_probes(dist: &Path, targets: &[Target]) -> Result<Vec<(Target, PathBuf)>, StepError> {
    let step = "stage dist/";
    let io = |what: &str, error: std::io::Error| StepError::new(step, format!("{what}: {error}"));
    if dist.exists() {
        fs::remove_dir_all(dist).map_err(|error| io("remove the old dist/", error))?;
    }
    fs::create_dir_all(dist).map_err(|error| io("create dist/", error))?;
    targets
        .iter()
        .map(|&target| {
            let built = built_binary(target, PROBE_PROFILE, PROBE_BIN);
            check_static("static checks", &built, target)?;
            let staged = dist.join(target.probe_name());
            fs::copy(&built, &staged)
                .map_err(|error| io(&format!("copy {}", built.display()), error))?;
            Ok((target, staged))
        })
        .collect()
}

/// The size of the probe at `path`, failing above the ceiling.
fn size(step: &str, path: &Path) -> Result<u64, StepError> {
    let bytes = fs::metadata(path)
        .map_err(|error| StepError::new(step, format!("{}: {error}", path.display())))?
        .len();
    if bytes > targets::MAX_PROBE_BYTES {
        return Err(StepError::new(
            step,
            format!(
                "{} is {bytes} bytes, above the ceiling of {} bytes: find what grew \
                 (`cargo tree -p {PROBE_PACKAGE} -e normal`)",
                path.display(),
                targets::MAX_PROBE_BYTES
            ),
        ));
    }
    Ok(bytes)
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

/// `dist/SHA256SUMS` over `files` (all in `dist/`) in `sha256sum` format, so
/// `sha256sum -c SHA256SUMS` checks it.
fn write_checksums(dist: &Path, files: &[&Path]) -> Result<(), StepError> {
    let step = "SHA256SUMS";
    let mut command = Command::new("sha256sum");
    command
        .current_dir(dist)
        .args(files.iter().filter_map(|file| file.file_name()));
    let sums = steps::output(step, &mut command)?;
    fs::write(dist.join("SHA256SUMS"), sums)
        .map_err(|error| StepError::new(step, format!("write dist/SHA256SUMS: {error}")))
}

/// A fresh build context holding exactly the binaries the Containerfiles
/// copy: every probe, and the x86_64 demo.
fn stage_image_context(demo: &Path, dist: &Path, targets: &[Target]) -> Result<PathBuf, StepError> {
    let context = fresh_context("image-context")?;
    let io =
        |error: std::io::Error| StepError::new("images", format!("stage the context: {error}"));
    for target in targets {
        let probe = target.probe_name();
        fs::copy(dist.join(&probe), context.join(&probe)).map_err(io)?;
    }
    fs::copy(
        demo,
        context.join(format!("{DEMO_BIN}-{}", targets::X86_64.triple)),
    )
    .map_err(io)?;
    Ok(context)
}

/// An empty directory `name` in the target directory.
fn fresh_context(name: &str) -> Result<PathBuf, StepError> {
    let io = |error: std::io::Error| StepError::new("images", format!("stage {name}: {error}"));
    let context = target_dir().join(name);
    if context.exists() {
        fs::remove_dir_all(&context).map_err(io)?;
    }
    fs::create_dir_all(&context).map_err(io)?;
    Ok(context)
}

/// Builds the x86_64 probe image again from `again` (the probe built in the
/// second directory) in another context and fails unless its image ID, the
/// digest of a configuration that names each layer's content, is the
/// released image's.
fn same_image_again(
    engine: images::Engine,
    again: &Path,
    source: &Source,
) -> Result<(), StepError> {
    let target = targets::X86_64;
    let context = fresh_context("image-context-again")?;
    fs::copy(again, context.join(target.probe_name()))
        .map_err(|error| StepError::new("images", format!("stage the second probe: {error}")))?;
    let tag = format!("{}-again", images::PROBE.arch_tag(target));
    images::build_probe(engine, &context, target, source, &tag)?;
    let (first, second) = (
        images::id(engine, &images::PROBE.arch_tag(target))?,
        images::id(engine, &tag)?,
    );
    images::remove(engine, &tag)?;
    if first != second {
        return Err(StepError::new(
            "reproducible",
            format!("the x86_64 probe image built again is {second}, the released one {first}"),
        ));
    }
    eprintln!(
        "xtask: the x86_64 probe image built again from the second build is {second}, the same"
    );
    Ok(())
}

/// The release's figures, one line per architecture.
fn report(released: &[Released]) {
    eprintln!("xtask: | target | bytes | crates compiled in | Check, start to exit |");
    for probe in released {
        eprintln!(
            "xtask: | {} | {} | {} | {:.1?}{} |",
            probe.target.triple,
            probe.bytes,
            probe.crates,
            probe.check,
            probe
                .target
                .runner
                .map(|runner| format!(" under {}", runner.name))
                .unwrap_or_default()
        );
    }
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
