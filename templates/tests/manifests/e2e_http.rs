//! Kubelet-like end to end, http mode: the rendered httpGet probes, their
//! named port resolved as kubelet resolves it, run against health-demo's
//! admin endpoints (`--admin-addr`) with kubelet's timing rules.

use std::fs;

use test_support::demo::Demo;
use test_support::process::free_port;

use crate::kubelet::{self, Outcome, Prober};
use crate::manifest;

#[test]
fn rendered_http_probes_follow_the_demo_admin_endpoints_through_readiness_and_drain() {
    let port = free_port();
    // Two ports that were free a moment ago, and not the same one.
    let admin_port = std::iter::repeat_with(free_port)
        .find(|admin| *admin != port)
        .expect("another free port");
    let sets = [
        format!("port={port}"),
        format!("adminPort={admin_port}"),
        "probe.mode=http".to_owned(),
    ];
    let sets: Vec<&str> = kubelet::QUICK
        .into_iter()
        .chain(sets.iter().map(String::as_str))
        .collect();
    let container = manifest::rendered_server(&sets);
    let [readiness, liveness, startup] = manifest::probes(&container);
    // Kubelet starts readiness (and startup) failing, liveness passing.
    let mut startup = Prober::http(startup, &container, false);
    let mut readiness = Prober::http(readiness, &container, false);
    let mut liveness = Prober::http(liveness, &container, true);

    // Started with its dependency (the ready file) down.
    let dir = tempfile::tempdir().expect("temp dir");
    let ready_file = dir.path().join("ready");
    let addr = format!("127.0.0.1:{port}");
    let admin_addr = format!("127.0.0.1:{admin_port}");
    let demo = Demo::start(&[
        "--addr",
        &addr,
        "--admin-addr",
        &admin_addr,
        "--ready-file",
        ready_file.to_str().expect("UTF-8 path"),
        "--interval",
        "100ms",
    ]);
    assert_eq!(demo.admin_addr(), Some(admin_addr.as_str()));

    // Startup GETs /livez: it passes although the dependency is down.
    assert!(
        startup.start(),
        "startup (/livez) passes: {:?}",
        startup.last
    );
    assert!(!readiness.tick(), "/readyz fails without the dependency");
    assert!(
        matches!(readiness.last, Some(Outcome::Http(500..=599))),
        "/readyz answers an error status: {:?}",
        readiness.last
    );
    assert!(liveness.tick(), "/livez passes: {:?}", liveness.last);

    // The dependency comes up: /readyz passes within a few periods.
    fs::write(&ready_file, "").expect("create the ready file");
    readiness.until_passing("/readyz");
    assert!(liveness.tick(), "/livez passes: {:?}", liveness.last);

    // SIGTERM: /readyz fails while the server drains, before the process exits.
    demo.terminate();
    readiness.until_failing("/readyz after SIGTERM");
    assert!(
        matches!(readiness.last, Some(Outcome::Http(500..=599))),
        "a draining server answers /readyz with an error status: {:?}",
        readiness.last
    );
    assert!(
        demo.exit_status().is_none(),
        "/readyz failed before the process exited"
    );
    let status = demo.wait_exit();
    assert!(
        status.success(),
        "health-demo exits 0 after SIGTERM: {status}"
    );
}
