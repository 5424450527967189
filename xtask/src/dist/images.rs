//! The OCI images, built offline `FROM scratch` by podman (or docker with a
//! running engine): `grpc-probe:VERSION` (the probe alone at `/grpc-probe`,
//! for init containers and `COPY --from`) and `health-demo:VERSION` (the
//! static demo with the probe beside it).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::packages;
use crate::steps::{self, StepError, workspace_root};

const STEP: &str = "images";

/// The container engine that builds the images.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Engine {
    /// podman: builds `FROM scratch` images without a daemon.
    Podman,
    /// docker, when its engine answers (the client alone cannot build).
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

/// Builds every image in `images` with `engine` from the files in `context`
/// (the binaries, named as the Containerfiles expect them).
pub(crate) fn build(engine: Engine, context: &Path, images: &[Image]) -> Result<(), StepError> {
    let version = env!("CARGO_PKG_VERSION");
    for image in images {
        let tag = format!("{}:{version}", image.name);
        let containerfile: PathBuf = workspace_root().join(image.containerfile);
        let mut command = Command::new(engine.program());
        command.arg("build");
        if engine == Engine::Podman {
            // Offline: `FROM scratch` needs nothing, and a missing local image
            // is an error rather than a pull.
            command.arg("--pull=never");
        }
        command
            .arg("--file")
            .arg(&containerfile)
            .args(["--tag", &tag])
            .arg(context);
        steps::run(&format!("{STEP}: {tag}"), &mut command)?;
    }
    Ok(())
}
