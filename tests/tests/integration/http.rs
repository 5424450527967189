//! The admin HTTP endpoints of a real `health-demo --admin-addr` process,
//! driven by a hyper client over loopback.

use std::net::SocketAddr;
use std::path::PathBuf;

use grpc_health_checks::ServingStatus;
use test_support::health::{client, next_status, watch};
use test_support::http::{get, send, wait_for_status};
use test_support::verbose::untimed;

/// A running `health-demo` with an admin address, whose readiness follows a
/// ready file.
pub(crate) struct AdminDemo {
    pub(crate) process: test_support::demo::Demo,
    pub(crate) grpc: SocketAddr,
    pub(crate) admin: SocketAddr,
    pub(crate) ready_file: PathBuf,
    _dir: tempfile::TempDir,
}

impl AdminDemo {
    pub(crate) fn start() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let ready_file = dir.path().join("ready");
        let ready_arg = ready_file.to_str().expect("UTF-8 temp path");
        let process = test_support::demo::Demo::start(&[
            "--admin-addr",
            "127.0.0.1:0",
            "--interval",
            "100ms",
            "--drain-delay",
            "60s",
            "--ready-file",
            ready_arg,
        ]);
        let parse = |addr: &str| addr.parse::<SocketAddr>().expect("an address");
        Self {
            grpc: parse(process.addr()),
            admin: parse(process.admin_addr().expect("admin address")),
            process,
            ready_file,
            _dir: dir,
        }
    }

    pub(crate) fn set_ready(&self, ready: bool) {
        if ready {
            std::fs::write(&self.ready_file, b"").expect("create ready file");
        } else {
            std::fs::remove_file(&self.ready_file).expect("remove ready file");
        }
    }
}

#[tokio::test]
async fn demo_admin_endpoints_follow_the_ready_file() {
    let demo = AdminDemo::start();
    let admin = demo.admin;
    let live = get(admin, "/livez").await;
    assert_eq!((live.status, live.body.as_str()), (200, "ok"));
    assert_eq!(live.headers["content-type"], "text/plain; charset=utf-8");
    let not_ready = get(admin, "/readyz").await;
    assert_eq!(
        (not_ready.status, not_ready.body.as_str()),
        (503, "readyz check failed")
    );
    assert_eq!(get(admin, "/healthz").await.status, 503);
    assert_eq!(
        untimed(&get(admin, "/readyz?verbose").await.body),
        "[-]ready-file failed: reason withheld\n[+]shutdown ok\nreadyz check failed\n",
        "the reason (a file path) stays off the wire"
    );

    demo.set_ready(true);
    let ready = wait_for_status(admin, "/readyz", 200).await;
    assert_eq!(ready.body, "ok");
    assert_eq!(
        untimed(&get(admin, "/readyz?verbose").await.body),
        "[+]ready-file ok\n[+]shutdown ok\nreadyz check passed\n"
    );
    assert_eq!(get(admin, "/healthz").await.status, 200);
    let one = get(admin, "/readyz/ready-file").await;
    assert_eq!((one.status, one.body.as_str()), (200, "ok"));
    assert_eq!(get(admin, "/readyz/nope").await.status, 404);
    assert_eq!(
        get(admin, "/livez/ready-file").await.status,
        404,
        "a readiness check"
    );

    demo.set_ready(false);
    wait_for_status(admin, "/readyz", 503).await;
    let excluded = get(admin, "/readyz?verbose&exclude=ready-file").await;
    assert_eq!(excluded.status, 200);
    assert_eq!(
        excluded.body,
        "[+]ready-file excluded: ok\n[+]shutdown ok\nreadyz check passed\n"
    );
}

#[tokio::test]
async fn demo_admin_answers_head_other_methods_unknown_paths_and_bad_queries() {
    let demo = AdminDemo::start();
    let admin = demo.admin;
    let head = send(admin, "HEAD", "/livez", None).await;
    assert_eq!((head.status, head.body.as_str()), (200, ""));
    assert_eq!(head.headers["content-length"], "2", "the length of `ok`");
    for method in ["POST", "PUT", "DELETE"] {
        let refused = send(admin, method, "/readyz", None).await;
        assert_eq!(refused.status, 405, "{method}");
        assert_eq!(refused.headers["allow"], "GET, HEAD");
    }
    for path in ["/", "/ready", "/livez/", "/metrics/x"] {
        assert_eq!(get(admin, path).await.status, 404, "{path}");
    }
    for (target, message) in [
        (
            "/readyz?exclude=%zz",
            "invalid percent-encoding: % must be followed by two hex digits",
        ),
        (
            "/readyz?verbose=maybe",
            "verbose takes no value, true or false, not \"maybe\"",
        ),
        (
            "/livez?watch=1",
            "unknown query parameter \"watch\"; known: verbose, exclude, format",
        ),
    ] {
        let bad = get(admin, target).await;
        assert_eq!((bad.status, bad.body.as_str()), (400, message), "{target}");
    }
    let long = format!("/readyz?exclude={}", "x".repeat(5000));
    assert_eq!(get(admin, &long).await.status, 414);
    let still_serving = get(admin, "/livez").await;
    assert_eq!(
        still_serving.status, 200,
        "bad requests leave the server up"
    );
}

#[tokio::test]
async fn demo_metrics_are_openmetrics_for_prometheus_and_text_for_others() {
    let demo = AdminDemo::start();
    let openmetrics = send(
        demo.admin,
        "GET",
        "/metrics",
        Some("application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"),
    )
    .await;
    assert_eq!(openmetrics.status, 200);
    assert_eq!(
        openmetrics.headers["content-type"],
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
    assert!(openmetrics.body.ends_with("# EOF\n"));
    assert!(
        openmetrics
            .body
            .contains("grpc_health_check_status{check=\"ready-file\",group=\"readiness\"} 0\n"),
        "{}",
        openmetrics.body
    );
    let text = get(demo.admin, "/metrics").await;
    assert_eq!(
        text.headers["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    assert!(
        text.body
            .contains("# TYPE grpc_health_check_runs_total counter\n")
    );
}

#[tokio::test]
async fn demo_readyz_fails_once_grpc_readiness_goes_not_serving_on_sigterm() {
    let demo = AdminDemo::start();
    demo.set_ready(true);
    wait_for_status(demo.admin, "/readyz", 200).await;
    let mut grpc = client(demo.grpc).await;
    let mut readiness = watch(&mut grpc, "readiness").await;
    assert_eq!(next_status(&mut readiness).await, ServingStatus::Serving);
    demo.process.terminate();
    assert_eq!(next_status(&mut readiness).await, ServingStatus::NotServing);
    let draining = get(demo.admin, "/readyz?verbose").await;
    assert_eq!(
        draining.status, 503,
        "HTTP reads the state gRPC just announced"
    );
    assert_eq!(
        untimed(&draining.body),
        "[+]ready-file ok\n[-]shutdown failed: reason withheld\nreadyz check failed\n"
    );
}
