//! The images the tests run: the two that `cargo xtask dist` builds, and two
//! variants built here offline from them: the demo with busybox's static
//! `/bin/sh` (podman's healthcheck of a pod needs a shell), and that image
//! with the probe added by the user-facing `examples/Dockerfile.example`.

use std::path::{Path, PathBuf};

use test_support::system;
use tokio::sync::OnceCell;

use crate::podman;

/// The workspace version: the tag of every image.
pub(crate) const VERSION: &str = env!("CARGO_PKG_VERSION");

/// `name:VERSION`.
pub(crate) fn tag(name: &str) -> String {
    format!("{name}:{VERSION}")
}

/// The probe alone at `/grpc-probe`, from `cargo xtask dist`.
pub(crate) async fn probe_image() -> String {
    release_image("grpc-probe").await
}

/// The static demo with the probe at `/usr/local/bin/grpc-probe`, no shell,
/// from `cargo xtask dist`.
pub(crate) async fn demo_image() -> String {
    release_image("health-demo").await
}

async fn release_image(name: &str) -> String {
    let tag = tag(name);
    let exists = podman::run(&["image", "exists", &tag]).await;
    assert_eq!(
        exists.code, 0,
        "image {tag} is missing: `cargo xtask dist` builds it (`cargo xtask test` runs dist \
         before this suite)"
    );
    tag
}

/// The demo and busybox's static shell at `/bin/sh`, without the probe.
pub(crate) async fn app_with_shell() -> String {
    static BUILT: OnceCell<String> = OnceCell::const_new();
    BUILT
        .get_or_init(|| async {
            let demo = demo_image().await;
            let busybox = system::require("busybox", "busybox-static");
            let context = tempfile::tempdir().expect("temporary build context");
            std::fs::copy(&busybox, context.path().join("busybox")).expect("copy busybox");
            let containerfile = format!(
                "FROM {demo} AS demo\n\
                 FROM scratch\n\
                 COPY --from=demo /usr/local/bin/health-demo /usr/local/bin/health-demo\n\
                 COPY busybox /bin/sh\n\
                 ENTRYPOINT [\"/usr/local/bin/health-demo\"]\n\
                 CMD [\"--addr\", \"0.0.0.0:50051\"]\n"
            );
            let containerfile_path = context.path().join("Containerfile");
            std::fs::write(&containerfile_path, containerfile).expect("write the Containerfile");
            let tag = tag("ghc-e2e-app-sh");
            build(&tag, &containerfile_path, context.path(), &[]).await;
            let shell = podman::ok(&[
                "run",
                "--rm",
                "--network",
                "none",
                "--entrypoint",
                "/bin/sh",
                &tag,
                "-c",
                "echo shell works",
            ])
            .await;
            assert_eq!(
                shell.trim(),
                "shell works",
                "{} is not a static busybox",
                busybox.display()
            );
            tag
        })
        .await
        .clone()
}

/// [`app_with_shell`] with the probe copied in by `examples/Dockerfile.example`.
pub(crate) async fn app_with_probe() -> String {
    static BUILT: OnceCell<String> = OnceCell::const_new();
    BUILT
        .get_or_init(|| async {
            let app = app_with_shell().await;
            probe_image().await;
            let dockerfile = workspace_file("examples/Dockerfile.example");
            let text = std::fs::read_to_string(&dockerfile).expect("read Dockerfile.example");
            assert!(
                text.contains(&format!("COPY --from={} /grpc-probe ", tag("grpc-probe"))),
                "examples/Dockerfile.example must copy from {}",
                tag("grpc-probe")
            );
            let context = tempfile::tempdir().expect("temporary build context");
            let tag = tag("ghc-e2e-app-probe");
            build(
                &tag,
                &dockerfile,
                context.path(),
                &["--build-arg", &format!("APP_IMAGE={app}")],
            )
            .await;
            tag
        })
        .await
        .clone()
}

/// A file of the repository, by its path from the root.
pub(crate) fn workspace_file(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

/// `podman build` offline: nothing is pulled.
async fn build(tag: &str, containerfile: &Path, context: &Path, extra: &[&str]) {
    let containerfile = containerfile.to_str().expect("UTF-8 path");
    let context = context.to_str().expect("UTF-8 path");
    let mut args = vec![
        "build",
        "--pull=never",
        "--file",
        containerfile,
        "--tag",
        tag,
    ];
    args.extend_from_slice(extra);
    args.push(context);
    podman::ok(&args).await;
}
