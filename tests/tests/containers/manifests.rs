//! Rendering the Deployment with `health-manifests`, as a user would.

use test_support::{bins, process};

/// The port the demo images listen on (`0.0.0.0:50051` by default).
pub(crate) const PORT: &str = "50051";

/// Deployment annotation that makes podman keep init containers (type
/// `always`). Podman 4.3 removes a `once` init container right after it
/// exits, and under runc that races with the exit being recorded ("cannot
/// remove container … as it is running"); Kubernetes ignores the annotation.
pub(crate) const PODMAN_INIT_ALWAYS: &str =
    "annotations:\n  io.podman.annotations.init.container.type: always\n";

/// The Deployment for `name` running `image`, with `values` (YAML, given as a
/// `--values` file) applied after the three required values.
pub(crate) async fn deployment(name: &str, image: &str, values: &str) -> String {
    let file = tempfile::NamedTempFile::new().expect("temporary values file");
    std::fs::write(file.path(), values).expect("write the values file");
    let args = [
        "--template".to_owned(),
        "deployment".to_owned(),
        "--values".to_owned(),
        file.path().to_str().expect("UTF-8 path").to_owned(),
        "--set".to_owned(),
        format!("name={name}"),
        "--set".to_owned(),
        format!("image={image}"),
        "--set".to_owned(),
        format!("port={PORT}"),
    ];
    let run = process::run(process::command(&bins::health_manifests(), &args)).await;
    run.assert_exit(0, &[]);
    run.stdout
}

/// `yaml` without the server container's `ports:` list. It only names the
/// port for Services, and podman 4.3's `kube play --network none` (no
/// network but the pod's loopback) refuses to map container ports.
pub(crate) fn without_ports(yaml: &str) -> String {
    let mut kept = Vec::new();
    let mut in_ports = false;
    for line in yaml.lines() {
        if line == "          ports:" {
            in_ports = true;
            continue;
        }
        if in_ports && line.starts_with("            ") {
            continue;
        }
        in_ports = false;
        kept.push(line);
    }
    assert!(
        kept.len() < yaml.lines().count(),
        "the Deployment has no container ports list to remove:\n{yaml}"
    );
    kept.join("\n") + "\n"
}

#[test]
fn ports_are_removed_and_nothing_else() {
    let yaml = "          image: a\n          ports:\n            - name: grpc\n              \
                containerPort: 50051\n          livenessProbe:\n            exec: {}\n";
    assert_eq!(
        without_ports(yaml),
        "          image: a\n          livenessProbe:\n            exec: {}\n"
    );
}
