//! Beyond upstream: `-wait` against a server that starts late, `-watch`
//! following a flipping service, and `-list`.

use grpc_health_checks::HealthChecks;
use tokio_stream::wrappers::TcpListenerStream;

use crate::support::{
    Live, Reply, empty_tonic_server, free_port, health_server, raw_h2_server, run, serve,
};

#[tokio::test]
async fn wait_until_a_late_server_is_serving() {
    let addr = free_port().await;
    let mut probe = Live::spawn(["-addr", &addr.to_string(), "-wait=20s", "-v"]);
    // The first attempt has failed and the probe is backing off: start now.
    probe.wait_for("retrying in").await;
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    let (handle, _stop) = serve(HealthChecks::new(), TcpListenerStream::new(listener));
    let (code, stderr) = probe.finish().await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("status: SERVING"), "{stderr}");

    // NOT_SERVING is retried too, until the service turns SERVING.
    handle.set_not_serving("late").unwrap();

    let mut probe = Live::spawn([
        "-addr",
        &addr.to_string(),
        "-service=late",
        "-wait=20s",
        "-v",
    ]);
    probe.wait_for("NOT_SERVING").await;
    handle.set_serving("late").unwrap();
    let (code, stderr) = probe.finish().await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("status: SERVING"), "{stderr}");
}

#[tokio::test]
async fn wait_gives_up_at_its_deadline() {
    let addr = free_port().await.to_string();
    let r = run(["-addr", &addr, "-wait=300ms"]).await;
    r.expect(
        2,
        &[
            "failed to connect service",
            "not SERVING within -wait=300ms",
        ],
    );
    assert!(
        r.elapsed.as_millis() >= 300 && r.elapsed.as_millis() < 1000,
        "{:?}",
        r.elapsed
    );
    // NOT_FOUND is not retried.
    let (addr, _handle, _stop) = health_server(HealthChecks::new()).await;
    let r = run(["-addr", &addr, "-service=nope", "-wait=10s"]).await;
    r.expect(3, &["NotFound"]);
    assert!(r.elapsed.as_millis() < 1000);
}

#[tokio::test]
async fn watch_prints_each_change_until_signalled() {
    let (addr, handle, _stop) = health_server(HealthChecks::new()).await;
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
    probe.signal("TERM");
    let (code, stderr) = probe.finish().await;
    assert_eq!(code, 4, "last status was NOT_SERVING:\n{stderr}");
}

#[tokio::test]
async fn watch_reports_drain_then_ends_with_the_stream() {
    let (addr, handle, _stop) = health_server(HealthChecks::new()).await;
    let mut probe = Live::spawn(["-addr", &addr, "-watch"]);
    probe.wait_for("status: SERVING").await;
    handle.shutdown();
    probe.wait_for("status: NOT_SERVING").await;
    probe.signal("INT");
    let (code, stderr) = probe.finish().await;
    assert_eq!(code, 4, "{stderr}");

    // A server that answers one message and closes the stream with OK.
    let (addr, _seen, _stop) = raw_h2_server(Reply::Status(1)).await;
    let r = run(["-addr", &addr, "-watch"]).await;
    r.expect(
        0,
        &[
            "status: SERVING",
            "watch ended: the server closed the stream",
        ],
    );
}

#[tokio::test]
async fn list_prints_sorted_statuses() {
    let (addr, handle, _stop) = health_server(HealthChecks::new()).await;
    handle.set_serving("b.Svc").unwrap();
    handle.set_serving("a.Svc").unwrap();
    let r = run(["-addr", &addr, "-list"]).await;
    r.expect(0, &["a.Svc: SERVING\nb.Svc: SERVING"]);
    assert!(
        r.stderr.contains("\"\": SERVING") && r.stderr.contains("readiness: SERVING"),
        "{}",
        r.stderr
    );
    handle.set_not_serving("c.Svc").unwrap();
    run(["-addr", &addr, "-list"])
        .await
        .expect(4, &["c.Svc: NOT_SERVING"]);
    let (addr, _stop) = empty_tonic_server().await;
    run(["-addr", &addr, "-list"])
        .await
        .expect(3, &["does not implement"]);
}
