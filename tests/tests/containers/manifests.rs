//! Rendering the Deployment with `health-manifests`, as a user would.

/// The port the demo images listen on (`0.0.0.0:50051` by default).
pub(crate) const PORT: &str = "50051";

/// The Deployment for `name` running `image` on [`PORT`], with `values`
/// (YAML, given as a `--values` file) applied after the three required values.
pub(crate) async fn deployment(name: &str, image: &str, values: &str) -> String {
    let port = PORT.parse().expect("a port number");
    test_support::manifests::deployment(name, image, port, values).await
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

/// `yaml` with the pod's `restartPolicy: OnFailure`, for podman only.
/// Podman 4.3 applies the pod's restart policy (a Deployment's is always
/// `Always`) to init containers too: the init container is restarted as soon
/// as it exits 0, so `kube play` races with it (removing a "running" init
/// container fails, waiting for it hangs). Kubernetes never restarts an init
/// container that succeeded, and `OnFailure` makes podman do the same.
pub(crate) fn with_podman_restart_on_failure(yaml: &str) -> String {
    let pod_spec = "\n    spec:\n";
    let at = yaml
        .find(pod_spec)
        .expect("the Deployment has a pod template spec")
        + pod_spec.len();
    format!(
        "{}      restartPolicy: OnFailure\n{}",
        &yaml[..at],
        &yaml[at..]
    )
}

#[test]
fn the_restart_policy_goes_in_the_pod_spec() {
    let yaml = "spec:\n  template:\n    spec:\n      containers: []\n";
    assert_eq!(
        with_podman_restart_on_failure(yaml),
        "spec:\n  template:\n    spec:\n      restartPolicy: OnFailure\n      containers: []\n"
    );
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
