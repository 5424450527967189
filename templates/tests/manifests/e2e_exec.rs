//! Kubelet-like end to end, exec mode: the rendered probe commands, pointed at
//! the built grpc-probe, run against health-demo with kubelet's timing rules.

use std::fs;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Container;

use crate::demo::{self, Demo};
use crate::kubelet::{self, Outcome, Prober};
use crate::{bins, cli, manifest};

/// grpc-probe's exit code for "answered, but not SERVING".
const NOT_SERVING: Outcome = Outcome::Exited(4);

/// Renders the Deployment for `port` with one-second periods and returns its container.
fn rendered_container(port: u16) -> Container {
    let mut args = cli::with_sets(&[
        &format!("port={port}"),
        "readiness.periodSeconds=1",
        "liveness.periodSeconds=1",
        "startup.periodSeconds=1",
        "readiness.failureThreshold=2",
        "startup.failureThreshold=20",
    ]);
    args.extend(["--template".into(), "deployment".into()]);
    manifest::server(manifest::deployment(&manifest::valid(&args))).clone()
}

#[test]
fn rendered_exec_probes_follow_the_demo_through_readiness_changes_and_drain() {
    let port = demo::free_port();
    let container = rendered_container(port);
    let grpc_probe = bins::grpc_probe();
    let [startup, readiness, liveness] = [
        &container.startup_probe,
        &container.readiness_probe,
        &container.liveness_probe,
    ]
    .map(|probe| probe.as_ref().expect("probe rendered"));
    // Kubelet starts readiness (and startup) failing, liveness passing.
    let mut startup = Prober::new(startup, &grpc_probe, false);
    let mut readiness = Prober::new(readiness, &grpc_probe, false);
    let mut liveness = Prober::new(liveness, &grpc_probe, true);

    let dir = tempfile::tempdir().expect("temp dir");
    let ready_file = dir.path().join("ready");
    fs::write(&ready_file, "").expect("create the ready file");
    let mut demo = Demo::start(port, &ready_file);

    // Startup: probed every period until it passes, within its budget.
    let budget = startup.failure_threshold;
    let mut started = false;
    for _ in 0..budget {
        let tick = Instant::now();
        if startup.tick() {
            started = true;
            break;
        }
        kubelet::wait_period(tick, startup.period);
    }
    assert!(
        started,
        "startup passes within failureThreshold × periodSeconds ({:?})",
        startup.last
    );

    // Readiness passes (successThreshold 1) and liveness passes.
    let tick = Instant::now();
    assert!(readiness.tick(), "readiness passes: {:?}", readiness.last);
    assert!(liveness.tick(), "liveness passes: {:?}", liveness.last);
    kubelet::wait_period(tick, readiness.period);

    // Without the ready file, readiness fails after failureThreshold periods; liveness keeps passing.
    fs::remove_file(&ready_file).expect("remove the ready file");
    let mut periods = 0;
    loop {
        let tick = Instant::now();
        periods += 1;
        let ready = readiness.tick();
        assert!(
            liveness.tick(),
            "liveness still passes: {:?}",
            liveness.last
        );
        if !ready {
            break;
        }
        // The demo re-evaluates every 100 ms, so one period may still pass.
        assert!(
            periods <= readiness.failure_threshold + 1,
            "readiness never failed"
        );
        kubelet::wait_period(tick, readiness.period);
    }
    assert!(
        periods >= readiness.failure_threshold,
        "failed only after failureThreshold periods"
    );
    assert_eq!(
        readiness.last,
        Some(NOT_SERVING),
        "the server answered NOT_SERVING"
    );

    // With the file back, readiness recovers at the next periods.
    fs::write(&ready_file, "").expect("restore the ready file");
    let mut recovered = false;
    for _ in 0..3 {
        let tick = Instant::now();
        kubelet::wait_period(tick, readiness.period);
        if readiness.tick() {
            recovered = true;
            break;
        }
    }
    assert!(recovered, "readiness recovers: {:?}", readiness.last);

    // SIGTERM: readiness fails (NOT_SERVING, so the server still answers) before the
    // process exits. Probed back to back rather than every period: the demo's drain
    // delay (1 s) is shorter than failureThreshold × periodSeconds, and Kubernetes
    // removes a terminating pod from endpoints without waiting for the probe.
    demo.terminate();
    let deadline = Instant::now() + Duration::from_secs(10);
    while readiness.tick() {
        assert!(
            Instant::now() < deadline,
            "readiness never failed after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        readiness.last,
        Some(NOT_SERVING),
        "draining server answers NOT_SERVING"
    );
    assert!(
        demo.exited().is_none(),
        "readiness failed before the process exited"
    );
    let status = demo
        .wait(Duration::from_secs(15))
        .expect("health-demo exits after draining");
    assert!(
        status.success(),
        "health-demo exits 0 after SIGTERM: {status}"
    );
}
