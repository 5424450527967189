//! Rendering the Deployment with `health-manifests`, as a user would.

use test_support::{bins, process};

/// The port the demo images listen on (`0.0.0.0:50051` by default).
pub(crate) const PORT: &str = "50051";

/// The Deployment for `name` running `image`, with `sets` (`key=value`)
/// applied after the three required values.
pub(crate) async fn deployment(name: &str, image: &str, sets: &[&str]) -> String {
    let mut args = vec![
        "--template".to_owned(),
        "deployment".to_owned(),
        "--set".to_owned(),
        format!("name={name}"),
        "--set".to_owned(),
        format!("image={image}"),
        "--set".to_owned(),
        format!("port={PORT}"),
    ];
    for set in sets {
        args.extend(["--set".to_owned(), (*set).to_owned()]);
    }
    let run = process::run(process::command(&bins::health_manifests(), &args)).await;
    run.assert_exit(0, &[]);
    run.stdout
}

/// `yaml` with `args` given to the server container, inserted after its
/// `image:` line: the templates have no value for container arguments.
pub(crate) fn with_args(yaml: &str, args: &[&str]) -> String {
    let containers = yaml
        .find("      containers:\n")
        .expect("the Deployment has a containers list");
    let image_line = containers
        + yaml[containers..]
            .find("          image: ")
            .expect("the server container has an image");
    let line_end = image_line + yaml[image_line..].find('\n').expect("the image line ends") + 1;
    let args = serde_json::to_string(args).expect("strings serialize");
    format!(
        "{}          args: {args}\n{}",
        &yaml[..line_end],
        &yaml[line_end..]
    )
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

/// `yaml` with podman's init-container type `always` on the Deployment.
/// Podman 4.3 removes a `once` init container right after it exits, and with
/// runc that races with the exit being recorded ("cannot remove container …
/// as it is running"); an `always` one is left alone. Kubernetes ignores it.
pub(crate) fn with_podman_init_type_always(yaml: &str) -> String {
    let metadata = yaml
        .find("\nmetadata:\n")
        .expect("the Deployment has metadata")
        + "\nmetadata:\n".len();
    format!(
        "{}  annotations: {{\"io.podman.annotations.init.container.type\": \"always\"}}\n{}",
        &yaml[..metadata],
        &yaml[metadata..]
    )
}

#[test]
fn the_podman_annotation_goes_on_the_deployment() {
    let yaml = "kind: Deployment\nmetadata:\n  name: \"x\"\nspec:\n  template:\n    metadata:\n";
    assert_eq!(
        with_podman_init_type_always(yaml),
        "kind: Deployment\nmetadata:\n  annotations: {\"io.podman.annotations.init.container.type\": \
         \"always\"}\n  name: \"x\"\nspec:\n  template:\n    metadata:\n"
    );
}

#[test]
fn ports_are_removed_and_nothing_else() {
    let yaml = "          image: \"a\"\n          ports:\n            - name: grpc\n              \
                containerPort: 50051\n          \"livenessProbe\":\n            exec: {}\n";
    assert_eq!(
        without_ports(yaml),
        "          image: \"a\"\n          \"livenessProbe\":\n            exec: {}\n"
    );
}

#[test]
fn args_go_to_the_server_container_not_the_init_container() {
    let yaml = "      initContainers:\n        - name: i\n          image: \"p\"\n      \
                containers:\n        - name: \"s\"\n          image: \"a\"\n          ports: []\n";
    let edited = with_args(yaml, &["--x", "1"]);
    assert!(
        edited.ends_with(
            "          image: \"a\"\n          args: [\"--x\",\"1\"]\n          ports: []\n"
        ),
        "{edited}"
    );
    assert!(edited.starts_with(
        "      initContainers:\n        - name: i\n          image: \"p\"\n      containers:"
    ));
}
