//! Restarts as the kubelet does them: a failing liveness probe restarts
//! the container, and the startup probe holds liveness off while the server
//! starts slowly.

use crate::node::{self, PodStatus};
use crate::pod::{Spec, StaticPod};

/// Liveness pointed at `helloworld.Greeter`, which follows readiness, with
/// no ready file: the probe fails, the kubelet restarts the container
/// (restartCount 0 → 1, SIGTERM: the old one drained and exited 0), and
/// with the ready file the new one passes and stays.
#[tokio::test]
async fn a_failing_liveness_probe_restarts_the_container() {
    let node = node::node();
    let mut spec = Spec::new(&node.demo_image);
    spec.liveness =
        "{service: helloworld.Greeter, periodSeconds: 1, failureThreshold: 2, timeoutSeconds: 2}"
            .to_owned();
    let pod = StaticPod::start("ghc-liveness", &spec).await;
    let first = pod
        .wait_for("running, restartCount 0", |status| {
            status.container().state == "running"
        })
        .await;
    assert_eq!(first.container().restart_count, 0, "{first}");
    let restarted = pod
        .wait_for("restarted by the liveness probe", |status| {
            status.container().restart_count >= 1 && status.container().state == "running"
        })
        .await;
    assert_ne!(
        restarted.container().id,
        first.container().id,
        "{restarted}"
    );
    assert_eq!(
        restarted.container().last_exit_code,
        Some(0),
        "the old container should have drained on SIGTERM: {restarted}"
    );
    pod.make_ready();
    let ready = pod
        .wait_for("Ready after the restart", |status| status.ready)
        .await;
    assert!(ready.container().restart_count >= 1, "{ready}");
}

/// The server sleeps 6 s before it starts (the image's shell runs
/// `sleep $START_DELAY`) while liveness would restart it after one failed
/// probe: the startup probe (30 × 1 s) fails meanwhile and holds liveness
/// off, so the container starts once, is never restarted, and is Ready.
#[tokio::test]
async fn the_startup_probe_holds_liveness_off_during_a_slow_start() {
    let node = node::node();
    let mut spec = Spec::new(&node.slow_image);
    spec.liveness = "{periodSeconds: 1, failureThreshold: 1, timeoutSeconds: 2}".to_owned();
    spec.extra = "env: [{name: START_DELAY, value: \"6\"}]\n".to_owned();
    let pod = StaticPod::start("ghc-slow", &spec).await;
    pod.make_ready();
    let mut restarts = 0;
    let mut track = |status: &PodStatus| restarts = restarts.max(status.container().restart_count);
    pod.wait_for("running, startup probe not passed yet", |status| {
        track(status);
        status.container().state == "running" && status.container().started == Some(false)
    })
    .await;
    node::wait_for_probe_count(&pod.name, "Startup", "failed", 2).await;
    let ready = pod
        .wait_for("started and Ready", |status| {
            track(status);
            status.container().started == Some(true) && status.ready
        })
        .await;
    assert_eq!(restarts, 0, "restarted during the slow start: {ready}");
    let startup_failures = node::probe_count(&pod.name, "Startup", "failed");
    let liveness_failures = node::probe_count(&pod.name, "Liveness", "failed");
    assert_eq!(
        liveness_failures, 0,
        "liveness ran before startup passed: {ready}"
    );
    eprintln!(
        "{}: startup probe failed {startup_failures} times during the slow start, liveness \
         failed {liveness_failures} times, restartCount {}",
        pod.name,
        ready.container().restart_count
    );
}
