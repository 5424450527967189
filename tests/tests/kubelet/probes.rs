//! Readiness as the kubelet sees it: exec mode (grpc-probe in the release
//! image, which has no shell), http mode (`/readyz` on `--admin-addr`), and
//! the probe brought by the init container; a failing dependency takes the
//! pod out of Ready and restarts nothing.

use test_support::process;

use crate::node::{self, PodStatus};
use crate::pod::{Spec, StaticPod};

/// Running and past its startup probe, but not Ready.
fn started_not_ready(status: &PodStatus) -> bool {
    let container = status.container();
    container.state == "running" && container.started == Some(true) && !status.ready
}

/// Not Ready while the ready file is missing (the server NOT_SERVING),
/// Ready once it exists, not Ready again once it is gone: the first status
/// and the last.
async fn readiness_follows_the_ready_file(pod: &StaticPod) -> (PodStatus, PodStatus) {
    let first = pod
        .wait_for(
            "running and started, not Ready (no ready file: NOT_SERVING)",
            started_not_ready,
        )
        .await;
    pod.make_ready();
    pod.wait_for("Ready once SERVING", |status| status.ready)
        .await;
    pod.make_unready();
    let unready = pod
        .wait_for("not Ready again (readiness check failing)", |status| {
            !status.ready
        })
        .await;
    (first, unready)
}

/// The exec probe: not Ready until the server is SERVING (the ready file
/// exists), Ready after, not Ready again when its readiness check fails
/// (the ready-file check is the dependency here: a readiness check like
/// `--postgres` or `--upstream`), and liveness, which checks the process and
/// not its dependencies, passes on through the outage: the kubelet restarts
/// nothing.
#[tokio::test]
async fn exec_readiness_follows_serving_and_a_failing_dependency_restarts_nothing() {
    let node = node::node();
    let pod = StaticPod::start("ghc-exec", &Spec::new(&node.demo_image)).await;
    let (first, unready) = readiness_follows_the_ready_file(&pod).await;
    let liveness_before = node::probe_count(&pod.name, "Liveness", "succeeded");
    // The liveness probe (failureThreshold 3) passes on through the
    // outage: a restart would have needed three failures in a row.
    let passes =
        node::wait_for_probe_count(&pod.name, "Liveness", "succeeded", liveness_before + 4).await;
    let after = pod
        .wait_for("still running, not Ready", |status| !status.ready)
        .await;
    assert_eq!(after.container().restart_count, 0, "{after}");
    assert_eq!(after.container().id, first.container().id, "{after}");
    assert_eq!(unready.container().id, first.container().id, "{unready}");
    eprintln!(
        "{}: {} liveness passes while not Ready, restartCount {}",
        pod.name,
        passes - liveness_before,
        after.container().restart_count
    );
}

/// `probe.mode: http`: kubelet's httpGet on `/readyz` and `/livez` of the
/// admin address follows the same states.
#[tokio::test]
async fn http_mode_probes_the_admin_address() {
    let node = node::node();
    let admin = process::free_port();
    let mut spec = Spec::new(&node.demo_image);
    spec.args = vec!["--admin-addr".to_owned(), format!("127.0.0.1:{admin}")];
    spec.extra = format!("probe: {{mode: http}}\nadminPort: {admin}\n");
    let pod = StaticPod::start("ghc-http", &spec).await;
    let container = &pod.manifest["spec"]["containers"][0];
    for (probe, path) in [("readinessProbe", "/readyz"), ("livenessProbe", "/livez")] {
        assert_eq!(container[probe]["httpGet"]["path"], path, "{container}");
        assert_eq!(container[probe]["httpGet"]["port"], "admin", "{container}");
    }
    assert!(
        container["ports"].as_array().is_some_and(|ports| ports
            .iter()
            .any(|port| port["name"] == "admin" && port["containerPort"] == admin)),
        "no container port `admin` {admin}: {container}"
    );
    let (_, status) = readiness_follows_the_ready_file(&pod).await;
    assert_eq!(status.container().restart_count, 0, "{status}");
}

/// `probe.install: initContainer`: the probe image's `-install` copies the
/// probe into the shared emptyDir (that image has no `cp`, the application
/// image has neither probe nor shell), the init container exits 0 once, and
/// the exec probes run the installed copy.
#[tokio::test]
async fn the_init_container_installs_the_probe_into_an_image_without_one() {
    let node = node::node();
    let mut spec = Spec::new(&node.app_image);
    spec.extra = format!(
        "probe: {{install: initContainer, image: \"{}\", imagePath: /grpc-probe}}\n",
        node.probe_image
    );
    let pod = StaticPod::start("ghc-init", &spec).await;
    let command = &pod.manifest["spec"]["containers"][0]["readinessProbe"]["exec"]["command"][0];
    assert_eq!(command, "/opt/grpc-probe/grpc-probe", "{}", pod.manifest);
    let status = pod
        .wait_for(
            "init container done, server started, not Ready",
            started_not_ready,
        )
        .await;
    let init = status
        .init_containers
        .first()
        .unwrap_or_else(|| panic!("no init container: {status}"));
    assert_eq!(
        (init.state.as_str(), init.exit_code, init.restart_count),
        ("terminated", Some(0), 0),
        "{status}"
    );
    pod.make_ready();
    pod.wait_for("Ready through the installed probe", |status| status.ready)
        .await;
}
