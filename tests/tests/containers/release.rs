//! The probe image as released: `grpc-probe:VERSION` is an image index with
//! one image per probe in `dist/`, each running as 65532 with the OCI
//! annotations a registry shows, and the arm64 one runs under emulation.

use std::collections::BTreeSet;
use std::path::Path;

use crate::fixtures;
use crate::podman::{self, ONE_AT_A_TIME};

/// The OCI architecture of each probe in `dist/SHA256SUMS`, by its target
/// triple's first part.
fn dist_architectures() -> BTreeSet<String> {
    let sums = std::fs::read_to_string(fixtures::workspace_file("dist/SHA256SUMS"))
        .expect("dist/SHA256SUMS: `cargo xtask dist` writes it");
    sums.lines()
        .filter_map(|line| line.split_whitespace().nth(1))
        .filter_map(|file| file.strip_prefix("grpc-probe-"))
        .filter(|file| !file.ends_with(".json"))
        .map(|triple| {
            let arch = match triple.split('-').next() {
                Some("x86_64") => "amd64",
                Some("aarch64") => "arm64",
                Some("i686") => "386",
                Some("riscv64gc") => "riscv64",
                Some("powerpc64le") => "ppc64le",
                Some("s390x") => "s390x",
                _ => panic!("no OCI architecture known for {triple}: add it here"),
            };
            arch.to_owned()
        })
        .collect()
}

/// The time of commit `revision`, as the images' `created` annotation spells
/// it.
fn commit_time(revision: &str) -> String {
    let output = std::process::Command::new("git")
        .current_dir(fixtures::workspace_file(""))
        .env("TZ", "UTC")
        .args([
            "log",
            "-1",
            "--date=format-local:%Y-%m-%dT%H:%M:%SZ",
            "--format=%cd",
            revision,
        ])
        .output()
        .expect("run git");
    assert!(
        output.status.success(),
        "git log {revision} failed: the image names a commit this clone lacks"
    );
    String::from_utf8(output.stdout)
        .expect("UTF-8")
        .trim()
        .to_owned()
}

#[tokio::test]
async fn the_probe_image_is_an_oci_index_over_every_architecture_in_dist() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let index = fixtures::probe_image().await;
    let expected = dist_architectures();
    assert!(
        expected.contains("amd64") && expected.contains("arm64"),
        "{expected:?}"
    );
    // Exported as a registry receives it: an OCI image layout.
    let layout = tempfile::tempdir().expect("temporary directory");
    let destination = format!("oci:{}", layout.path().display());
    podman::ok(&[
        "manifest",
        "push",
        "--quiet",
        "--all",
        "--format",
        "oci",
        &index,
        &destination,
    ])
    .await;
    let read_json = |path: &Path| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(path).expect("read the layout"))
            .expect("JSON")
    };
    let top = read_json(&layout.path().join("index.json"));
    let digest = top["manifests"][0]["digest"]
        .as_str()
        .expect("the layout names the pushed index");
    let blob = |digest: &str| {
        layout
            .path()
            .join("blobs/sha256")
            .join(digest.trim_start_matches("sha256:"))
    };
    let pushed = read_json(&blob(digest));
    assert_eq!(
        pushed["mediaType"], "application/vnd.oci.image.index.v1+json",
        "{pushed}"
    );
    let instances = pushed["manifests"].as_array().expect("manifests");
    let platforms: BTreeSet<String> = instances
        .iter()
        .map(|instance| {
            assert_eq!(instance["platform"]["os"], "linux", "{instance}");
            instance["platform"]["architecture"]
                .as_str()
                .expect("architecture")
                .to_owned()
        })
        .collect();
    assert_eq!(platforms, expected, "the index against dist/");
    for instance in instances {
        let manifest = read_json(&blob(instance["digest"].as_str().expect("digest")));
        let config = read_json(&blob(
            manifest["config"]["digest"].as_str().expect("config"),
        ));
        let arch = &instance["platform"]["architecture"];
        let annotations = &manifest["annotations"];
        let revision = annotations["org.opencontainers.image.revision"]
            .as_str()
            .unwrap_or_default();
        assert_eq!(revision.len(), 40, "{arch}: a commit hash: {annotations}");
        let created = commit_time(revision);
        assert_eq!(config["architecture"], *arch, "{config}");
        assert_eq!(config["config"]["User"], "65532:65532", "{arch}: {config}");
        assert_eq!(
            config["created"], created,
            "{arch}: created at its revision's commit time"
        );
        for (key, value) in [
            ("title", "grpc-probe"),
            ("version", fixtures::VERSION),
            ("licenses", "MIT OR Apache-2.0"),
            ("created", created.as_str()),
        ] {
            assert_eq!(
                annotations[format!("org.opencontainers.image.{key}")],
                value,
                "{arch}: {annotations}"
            );
        }
        assert_eq!(
            manifest["layers"].as_array().map(Vec::len),
            Some(1),
            "{arch}: one layer, the probe"
        );
    }
}

#[tokio::test]
async fn the_arm64_image_runs_under_emulation_as_65532() {
    let _serial = ONE_AT_A_TIME.lock().await;
    fixtures::probe_image().await;
    let arm64 = fixtures::tag("grpc-probe") + "-arm64";
    let binfmt = Path::new("/proc/sys/fs/binfmt_misc/qemu-aarch64");
    let mut args = vec!["run", "--rm", "--network", "none"];
    let emulator;
    if binfmt.exists() {
        args.push(&arm64);
    } else {
        // Without a binfmt_misc entry the kernel cannot start an arm64
        // executable: the emulator is mounted in and runs the image's probe.
        eprintln!(
            "binfmt_misc has no qemu-aarch64 entry on this machine: running the arm64 image's \
             /grpc-probe under qemu-aarch64-static mounted into the container"
        );
        let qemu = test_support::system::require("qemu-aarch64-static", "qemu-user-static");
        emulator = format!("{}:/qemu:ro", qemu.display());
        args.extend(["--volume", &emulator, "--entrypoint", "/qemu", &arm64]);
        args.push("/grpc-probe");
    }
    args.push("-version");
    let version = podman::ok(&args).await;
    assert_eq!(version.trim(), format!("grpc-probe {}", fixtures::VERSION));
    let user = podman::ok(&["image", "inspect", "--format", "{{.Config.User}}", &arm64]).await;
    assert_eq!(user.trim(), "65532:65532");
}
