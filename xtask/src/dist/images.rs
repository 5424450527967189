//! The OCI images, built offline `FROM scratch` by podman (or docker with a
//! running engine), reproducibly (created at `SOURCE_DATE_EPOCH`, no builder
//! version label, one file per layer): `grpc-probe:VERSION` (the probe alone
//! at `/grpc-probe`, user 65532, for init containers and `COPY --from`), an
//! image index over one image per built architecture
//! (`grpc-probe:VERSION-ARCH`), and `health-demo:VERSION` (the static x86_64
//! demo with the probe beside it).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::packages;
use crate::steps::{self, StepError, workspace_root};

use super::source::Source;
use super::targets::Target;

const STEP: &str = "images";

/// The container engine that builds the images.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Engine {
    /// podman: builds `FROM scratch` images without a daemon, and the index.
    Podman,
    /// docker, when its engine answers (the client alone cannot build): the
    /// images of the host's architecture only.
    Docker,
}

impl Engine {
    /// podman if installed, else docker if its engine answers, else `None`.
    pub(crate) fn find() -> Option<Self> {
        if packages::find("podman").is_some() {
            return Some(Self::Podman);
        }
        let docker_answers = packages::find("docker").is_some_and(|docker| {
            Command::new(docker)
                .arg("info")
                .output()
                .is_ok_and(|output| output.status.success())
        });
        docker_answers.then_some(Self::Docker)
    }

    const fn program(self) -> &'static str {
        match self {
            Self::Podman => "podman",
            Self::Docker => "docker",
        }
    }
}

/// An image: its name and the Containerfile (relative to the workspace root)
/// that builds it from the staged binaries.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Image {
    /// The repository name; the tag is the workspace version.
    pub(crate) name: &'static str,
    /// The Containerfile, relative to the workspace root.
    pub(crate) containerfile: &'static str,
}

/// The probe alone.
pub(crate) const PROBE: Image = Image {
    name: "grpc-probe",
    containerfile: "grpc-probe/Containerfile",
};

/// The demo server with the probe beside it.
pub(crate) const DEMO: Image = Image {
    name: "health-demo",
    containerfile: "examples/Containerfile",
};

/// What the probe image says about itself (OCI annotations, also as labels).
/// No commas: `podman manifest annotate` splits its values at them.
const PROBE_DESCRIPTION: &str = "grpc-probe (grpc-health-exec-probe): a static drop-in \
                                 replacement for grpc-health-probe at /grpc-probe";

impl Image {
    /// `name:VERSION`.
    pub(crate) fn tag(self) -> String {
        format!("{}:{}", self.name, env!("CARGO_PKG_VERSION"))
    }

    /// `name:VERSION-ARCH`, one instance of the index.
    pub(crate) fn arch_tag(self, target: Target) -> String {
        format!("{}-{}", self.tag(), target.oci_arch)
    }
}

/// The OCI annotations of the probe image.
fn probe_annotations(source: &Source) -> Vec<String> {
    [
        ("title", PROBE.name),
        ("description", PROBE_DESCRIPTION),
        ("version", env!("CARGO_PKG_VERSION")),
        ("licenses", env!("CARGO_PKG_LICENSE")),
        ("revision", &source.revision),
        ("created", &source.created),
    ]
    .iter()
    .map(|(key, value)| format!("org.opencontainers.image.{key}={value}"))
    .collect()
}

/// `build` with the options that make an image reproducible: created at the
/// last commit, and no label naming the builder's version.
fn build_command(engine: Engine, containerfile: &Path, source: &Source) -> Command {
    let mut command = Command::new(engine.program());
    command.arg("build");
    if engine == Engine::Podman {
        // Offline: `FROM scratch` needs nothing, and a missing local image
        // is an error rather than a pull. No cache: a cached layer of another
        // platform would be reused under this one's name.
        command.args(["--pull=never", "--no-cache", "--identity-label=false"]);
        command.args(["--timestamp", &source.epoch.to_string()]);
    }
    command.arg("--file").arg(containerfile);
    command
}

/// Builds the probe image of `target` from `context` as `tag`.
pub(crate) fn build_probe(
    engine: Engine,
    context: &Path,
    target: Target,
    source: &Source,
    tag: &str,
) -> Result<(), StepError> {
    let containerfile: PathBuf = workspace_root().join(PROBE.containerfile);
    let mut command = build_command(engine, &containerfile, source);
    command
        .args(["--platform", &format!("linux/{}", target.oci_arch)])
        .args(["--build-arg", &format!("TARGET={}", target.triple)]);
    for annotation in probe_annotations(source) {
        if engine == Engine::Podman {
            command.args(["--annotation", &annotation]);
        }
        command.args(["--label", &annotation]);
    }
    command.args(["--tag", tag]).arg(context);
    steps::run(&format!("{STEP}: {tag}"), &mut command)
}

/// Builds the probe image of every target in `targets` and, with podman, the
/// index `grpc-probe:VERSION` over them; with docker, `grpc-probe:VERSION`
/// is the x86_64 image alone.
pub(crate) fn build_probe_index(
    engine: Engine,
    context: &Path,
    targets: &[Target],
    source: &Source,
) -> Result<(), StepError> {
    let index = PROBE.tag();
    if engine == Engine::Docker {
        eprintln!(
            "xtask: docker builds {index} for the host's architecture only; podman builds \
             the multi-architecture index"
        );
        return build_probe(engine, context, super::targets::X86_64, source, &index);
    }
    for target in targets {
        build_probe(engine, context, *target, source, &PROBE.arch_tag(*target))?;
    }
    let step = format!("{STEP}: {index}");
    let podman = |args: &[&str]| steps::output(&step, Command::new("podman").args(args));
    // A list is removed as a list: `podman rmi` would delete the image it
    // resolves to. A plain image of an earlier build only loses the name.
    if podman(&["manifest", "exists", &index]).is_ok() {
        podman(&["manifest", "rm", &index])?;
    } else if podman(&["image", "exists", &index]).is_ok() {
        podman(&["untag", &index, &format!("localhost/{index}")])?;
    }
    podman(&["manifest", "create", &index])?;
    let annotations = probe_annotations(source);
    for target in targets {
        let image = format!("containers-storage:localhost/{}", PROBE.arch_tag(*target));
        podman(&["manifest", "add", &index, &image])?;
        let digest = podman(&[
            "image",
            "inspect",
            "--format",
            "{{.Digest}}",
            &PROBE.arch_tag(*target),
        ])?;
        let mut annotate = vec!["manifest", "annotate"];
        for annotation in &annotations {
            annotate.extend(["--annotation", annotation]);
        }
        annotate.extend([index.as_str(), digest.trim()]);
        podman(&annotate)?;
    }
    eprintln!(
        "xtask: {index} is an image index over {}",
        targets
            .iter()
            .map(|target| format!("linux/{}", target.oci_arch))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}

/// Builds the x86_64 demo image from `context`.
pub(crate) fn build_demo(engine: Engine, context: &Path, source: &Source) -> Result<(), StepError> {
    let containerfile: PathBuf = workspace_root().join(DEMO.containerfile);
    let tag = DEMO.tag();
    let mut command = build_command(engine, &containerfile, source);
    command.args(["--tag", &tag]).arg(context);
    steps::run(&format!("{STEP}: {tag}"), &mut command)
}

/// The image ID (the digest of its configuration, which names every layer's
/// content) of `tag`.
pub(crate) fn id(engine: Engine, tag: &str) -> Result<String, StepError> {
    let id = steps::output(
        STEP,
        Command::new(engine.program()).args(["image", "inspect", "--format", "{{.Id}}", tag]),
    )?;
    Ok(id.trim().to_owned())
}

/// Removes the image `tag` (a check's throwaway).
pub(crate) fn remove(engine: Engine, tag: &str) -> Result<(), StepError> {
    steps::output(STEP, Command::new(engine.program()).args(["rmi", tag])).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotations_are_oci_keys_with_values_podman_keeps_whole() {
        let source = Source {
            epoch: 1_796_516_661,
            created: "2026-12-05T23:44:21Z".to_owned(),
            revision: "c503d54".repeat(5) + "abcde",
        };
        let annotations = probe_annotations(&source);
        let keys: Vec<&str> = annotations
            .iter()
            .filter_map(|annotation| annotation.split_once('=').map(|(key, _)| key))
            .collect();
        assert_eq!(
            keys,
            [
                "title",
                "description",
                "version",
                "licenses",
                "revision",
                "created"
            ]
            .map(|key| format!("org.opencontainers.image.{key}"))
        );
        assert!(
            annotations
                .iter()
                .all(|annotation| !annotation.contains(',')),
            "{annotations:?}"
        );
        assert!(
            annotations
                .contains(&"org.opencontainers.image.created=2026-12-05T23:44:21Z".to_owned())
        );
    }
}
