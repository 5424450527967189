//! Kubelet-like end to end, exec mode: the rendered probe commands, pointed at
//! the built grpc-probe, run against health-demo with kubelet's timing rules.

use std::fs;
use std::time::Duration;

use test_support::bins;
use test_support::demo::Demo;
use test_support::process::free_port;

use crate::kubelet::{self, Outcome, Prober};
use crate::manifest;

/// grpc-probe's exit code for "answered, but not SERVING".
const NOT_SERVING: Outcome = Outcome::Exited(4);

#[test]
fn rendered_exec_probes_follow_the_demo_through_readiness_changes_and_drain() {
    let port = free_port();
    let container =
        manifest::rendered_server(&[&kubelet::QUICK[..], &[&format!("port={port}")]].concat());
    let grpc_probe = bins::grpc_probe();
    let [readiness, liveness, startup] = manifest::probes(&container);
    // Kubelet starts readiness (and startup) failing, liveness passing.
    let mut startup = Prober::new(startup, &grpc_probe, false);
    let mut readiness = Prober::new(readiness, &grpc_probe, false);
    let mut liveness = Prober::new(liveness, &grpc_probe, true);
    assert_eq!(
        startup.period,
        Duration::from_secs(1),
        "startup probed every second"
    );

    // The dependency (the ready file) is down while the pod starts.
    let dir = tempfile::tempdir().expect("temp dir");
    let ready_file = dir.path().join("ready");
    let ready_arg = ready_file.to_str().expect("UTF-8 path");
    let addr = format!("127.0.0.1:{port}");
    let demo = Demo::start(&[
        "--addr",
        &addr,
        "--ready-file",
        ready_arg,
        "--interval",
        "100ms",
    ]);

    // Startup checks liveness, so it passes although a dependency is down: the
    // container is not restarted for it.
    assert!(
        startup.start(),
        "startup passes within failureThreshold × periodSeconds with a dependency down ({:?})",
        startup.last
    );
    // Readiness is probed right after startup: not ready while the dependency is down.
    assert!(!readiness.tick(), "not ready without the dependency");
    assert_eq!(readiness.last, Some(NOT_SERVING));
    assert!(liveness.tick(), "liveness passes: {:?}", liveness.last);

    // The dependency comes up: readiness passes within a few periods.
    fs::write(&ready_file, "").expect("create the ready file");
    readiness.until_passing("readiness");
    assert!(liveness.tick(), "liveness passes: {:?}", liveness.last);

    // Without the ready file, readiness fails after failureThreshold periods; liveness keeps passing.
    fs::remove_file(&ready_file).expect("remove the ready file");
    let mut periods = 0;
    loop {
        let tick = std::time::Instant::now();
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

    // With the file back, readiness recovers.
    fs::write(&ready_file, "").expect("restore the ready file");
    readiness.until_passing("readiness after the dependency came back");

    // SIGTERM: readiness fails (NOT_SERVING, so the server still answers) before
    // the process exits.
    demo.terminate();
    readiness.until_failing("readiness after SIGTERM");
    assert_eq!(
        readiness.last,
        Some(NOT_SERVING),
        "draining server answers NOT_SERVING"
    );
    assert!(
        demo.exit_status().is_none(),
        "readiness failed before the process exited"
    );
    let status = demo.wait_exit();
    assert!(
        status.success(),
        "health-demo exits 0 after SIGTERM: {status}"
    );
}

/// The rendered command's `-addr=localhost:PORT` reaches the server whichever
/// loopback it listens on, IPv4 or IPv6 alone.
#[test]
fn the_rendered_exec_command_reaches_a_server_on_either_loopback() {
    for listen in ["127.0.0.1:0", "[::1]:0"] {
        let demo = Demo::start(&["--addr", listen]);
        let port = demo
            .addr()
            .rsplit_once(':')
            .and_then(|(_, port)| port.parse::<u16>().ok())
            .expect("the demo prints host:port");
        let container = manifest::rendered_server(&[&format!("port={port}")]);
        let [_, liveness, _] = manifest::probes(&container);
        let mut liveness = Prober::new(liveness, &bins::grpc_probe(), false);
        assert!(
            liveness.tick(),
            "liveness passes with the demo on {}: {:?}",
            demo.addr(),
            liveness.last
        );
    }
}
