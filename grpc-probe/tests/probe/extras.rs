//! Beyond upstream: `-wait` against a server that starts late, `-watch`
//! following a flipping service, and `-list`.

use std::time::Duration;

use grpc_health_checks::HealthChecks;
use test_support::process::Signal;
use test_support::server::{serve_incoming, start};
use tokio_stream::wrappers::TcpListenerStream;

use crate::support::{Live, Reply, empty_tonic_server, raw_h2_server, run, unused_addr};

#[tokio::test]
async fn wait_until_a_late_server_is_serving() {
    let addr = unused_addr();
    let mut probe = Live::spawn(["-addr", &addr, "-wait=60s", "-v"]);
    // The first attempt has failed and the probe is backing off: start now.
    probe.wait_for("retrying in").await;
    let listener = tokio::net::TcpListener::bind(&addr).await.unwrap();
    let (handle, _stop) = serve_incoming(HealthChecks::new(), TcpListenerStream::new(listener));
    let (code, stderr) = probe.finish().await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("status: SERVING"), "{stderr}");

    // NOT_SERVING is retried too, until the service turns SERVING.
    handle.set_not_serving("late").unwrap();

    let mut probe = Live::spawn(["-addr", &addr, "-service=late", "-wait=60s", "-v"]);
    probe.wait_for("NOT_SERVING").await;
    handle.set_serving("late").unwrap();
    let (code, stderr) = probe.finish().await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("status: SERVING"), "{stderr}");
}

#[tokio::test]
async fn wait_gives_up_at_its_deadline() {
    let addr = unused_addr();
    let r = run(["-addr", &addr, "-wait=300ms"]).await;
    r.assert_exit(
        2,
        &[
            "failed to connect service",
            "not SERVING within -wait=300ms",
        ],
    );
    assert!(r.elapsed >= Duration::from_millis(300), "{:?}", r.elapsed);
    // NOT_FOUND is not retried.
    let server = start(HealthChecks::new()).await;
    let addr = server.addr.to_string();
    let r = run(["-addr", &addr, "-service=nope", "-wait=60s"]).await;
    r.assert_exit(3, &["NotFound"]);
    assert!(
        r.elapsed < Duration::from_secs(30),
        "NOT_FOUND was retried: {:?}",
        r.elapsed
    );
}

#[tokio::test]
async fn watch_prints_each_change_until_signalled() {
    let server = start(HealthChecks::new()).await;
    let addr = server.addr.to_string();
    let handle = server.handle.clone();
    handle.set_serving("flip").unwrap();
    let mut probe = Live::spawn(["-addr", &addr, "-watch", "-service", "flip"]);
    let first = probe.wait_for("status: SERVING").await;
    // RFC 3339 UTC: 2026-11-26T07:04:24.123Z status: SERVING
    let stamp = first.split(' ').next().unwrap();
    assert!(
        stamp.len() == 24 && stamp.ends_with('Z') && stamp.as_bytes()[10] == b'T',
        "{first}"
    );
    handle.set_not_serving("flip").unwrap();
    probe.wait_for("status: NOT_SERVING").await;
    handle.set_serving("flip").unwrap();
    probe.wait_for("status: SERVING").await;
    handle.set_not_serving("flip").unwrap();
    probe.wait_for("status: NOT_SERVING").await;
    probe.signal(Signal::SIGTERM);
    let (code, stderr) = probe.finish().await;
    assert_eq!(code, 4, "last status was NOT_SERVING:\n{stderr}");
}

#[tokio::test]
async fn watch_reports_drain_then_ends_with_the_stream() {
    let server = start(HealthChecks::new()).await;
    let addr = server.addr.to_string();
    let handle = server.handle.clone();
    let mut probe = Live::spawn(["-addr", &addr, "-watch"]);
    probe.wait_for("status: SERVING").await;
    handle.shutdown();
    probe.wait_for("status: NOT_SERVING").await;
    probe.signal(Signal::SIGINT);
    let (code, stderr) = probe.finish().await;
    assert_eq!(code, 4, "{stderr}");

    // A server that answers one message and closes the stream with OK.
    let (addr, _seen, _stop) = raw_h2_server(Reply::Status(1)).await;
    let r = run(["-addr", &addr, "-watch"]).await;
    r.assert_exit(
        0,
        &[
            "status: SERVING",
            "watch ended: the server closed the stream",
        ],
    );
}

#[tokio::test]
async fn list_prints_sorted_statuses() {
    let server = start(HealthChecks::new()).await;
    let addr = server.addr.to_string();
    let handle = server.handle.clone();
    handle.set_serving("b.Svc").unwrap();
    handle.set_serving("a.Svc").unwrap();
    let r = run(["-addr", &addr, "-list"]).await;
    r.assert_exit(0, &["a.Svc: SERVING\nb.Svc: SERVING"]);
    assert!(
        r.stderr.contains("\"\": SERVING") && r.stderr.contains("readiness: SERVING"),
        "{}",
        r.stderr
    );
    handle.set_not_serving("c.Svc").unwrap();
    run(["-addr", &addr, "-list"])
        .await
        .assert_exit(4, &["c.Svc: NOT_SERVING"]);
    let (addr, _stop) = empty_tonic_server().await;
    run(["-addr", &addr, "-list"])
        .await
        .assert_exit(3, &["does not implement"]);
}
