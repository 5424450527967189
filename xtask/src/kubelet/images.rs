//! The images the kubelet runs, made here offline (nothing can be pulled)
//! and handed to containerd as one docker-archive: the release images of
//! `cargo xtask dist` (`health-demo`, with the probe and no shell, and
//! `grpc-probe`), a pause image (busybox's static `sleep`), the demo alone
//! (no probe, no shell: the init container must bring the probe), and the
//! demo behind a `sleep $START_DELAY` (busybox's shell) for a slow start.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::dist::images as release;
use crate::packages;
use crate::steps::{self, StepError};

const STEP: &str = "kubelet images";

/// The workspace version: every image's tag.
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// podman's name for a local image `name`.
fn local(name: &str) -> String {
    format!("localhost/{name}:{VERSION}")
}

/// What the pods run, by the names containerd knows them under.
#[derive(Debug, Clone)]
pub(super) struct Images {
    /// The sandbox's pause process.
    pub(super) pause: String,
    /// The release demo image (demo and probe, no shell).
    pub(super) demo: String,
    /// The release probe image.
    pub(super) probe: String,
    /// The demo alone.
    pub(super) app: String,
    /// The demo and probe, started by a shell after `$START_DELAY` seconds.
    pub(super) slow: String,
}

/// The images made here: name and Containerfile. `{demo}` is the release
/// demo image.
const MADE_HERE: [(&str, &str); 3] = [
    (
        "ghc-kubelet-pause",
        "FROM scratch\n\
         COPY busybox /bin/sleep\n\
         ENTRYPOINT [\"/bin/sleep\", \"2147483647\"]\n",
    ),
    (
        "ghc-kubelet-app",
        "FROM {demo} AS demo\n\
         FROM scratch\n\
         COPY --from=demo /usr/local/bin/health-demo /usr/local/bin/health-demo\n\
         ENTRYPOINT [\"/usr/local/bin/health-demo\"]\n",
    ),
    (
        "ghc-kubelet-slow",
        "FROM {demo}\n\
         COPY busybox /bin/sh\n\
         COPY busybox /bin/sleep\n\
         ENTRYPOINT [\"/bin/sh\", \"-c\", \
         \"/bin/sleep \\\"${START_DELAY:-0}\\\" && exec /usr/local/bin/health-demo \\\"$@\\\"\", \
         \"health-demo\"]\n",
    ),
];

/// Builds the images made here with podman, saves them with the release
/// images into `archive` and returns their names.
pub(super) fn build(work: &Path, archive: &Path) -> Result<Images, StepError> {
    let demo = local(release::DEMO.name);
    let probe = local(release::PROBE.name);
    for image in [&demo, &probe] {
        steps::output(
            STEP,
            Command::new("podman").args(["image", "exists", image]),
        )
        .map_err(|_| {
            StepError::new(
                STEP,
                format!("image {image} is missing: `cargo xtask dist` builds it"),
            )
        })?;
    }
    let busybox = packages::find("busybox").ok_or_else(|| {
        StepError::new(STEP, "busybox is missing: apt-get install busybox-static")
    })?;
    let context = work.join("image-context");
    fs::create_dir_all(&context).map_err(|error| io(&context, &error))?;
    fs::copy(&busybox, context.join("busybox")).map_err(|error| io(&busybox, &error))?;
    let mut made = Vec::new();
    for (name, containerfile) in MADE_HERE {
        let path = context.join(format!("{name}.Containerfile"));
        fs::write(&path, containerfile.replace("{demo}", &demo))
            .map_err(|error| io(&path, &error))?;
        let tag = local(name);
        steps::output(
            STEP,
            Command::new("podman")
                .args(["build", "--pull=never", "--file"])
                .arg(&path)
                .args(["--tag", &tag])
                .arg(&context),
        )?;
        made.push(tag);
    }
    let [pause, app, slow] = <[String; 3]>::try_from(made)
        .map_err(|_| StepError::new(STEP, "three images are made here"))?;
    let images = Images {
        pause,
        demo,
        probe,
        app,
        slow,
    };
    steps::output(
        STEP,
        Command::new("podman")
            .args([
                "save",
                "--multi-image-archive",
                "--format",
                "docker-archive",
                "--output",
            ])
            .arg(archive)
            .args([
                &images.pause,
                &images.demo,
                &images.probe,
                &images.app,
                &images.slow,
            ]),
    )?;
    Ok(images)
}

fn io(path: &Path, error: &std::io::Error) -> StepError {
    StepError::new(STEP, format!("{}: {error}", path.display()))
}
