//! Connection failures end with exit 2 within the connect timeout, never by
//! waiting for a deadline: refused, silent peer, HTTP/1, plaintext to TLS;
//! signals end the run with the code of the phase they interrupt.

use std::time::Duration;

use crate::support::{
    Live, Pki, Reply, free_port, http1_server, raw_h2_server, run, silent_server,
};

/// Upper bound for a failure that should be immediate (process start included).
const PROMPT: Duration = Duration::from_millis(700);

#[tokio::test]
async fn refused_fails_at_once() {
    let addr = free_port().await.to_string();
    let r = run(["-addr", &addr, "-connect-timeout=5s"]).await;
    r.expect(2, &["failed to connect service", &addr, "refused"]);
    assert!(r.elapsed < PROMPT, "took {:?}", r.elapsed);
}

#[tokio::test]
async fn silent_peer_times_out_within_connect_timeout() {
    let (addr, _stop) = silent_server().await;
    let r = run(["-addr", &addr, "-connect-timeout=300ms", "-rpc-timeout=5s"]).await;
    r.expect(2, &["timeout: failed to connect service", "within 300ms"]);
    assert!(
        r.elapsed >= Duration::from_millis(300) && r.elapsed < Duration::from_millis(300) + PROMPT,
        "{:?}",
        r.elapsed
    );
}

#[tokio::test]
async fn http1_server_is_a_connection_failure() {
    let (addr, _stop) = http1_server().await;
    let r = run(["-addr", &addr, "-connect-timeout=2s"]).await;
    r.expect(2, &["failed to connect service"]);
    assert!(
        r.elapsed < PROMPT + Duration::from_millis(300),
        "took {:?}",
        r.elapsed
    );
}

#[tokio::test]
async fn plaintext_probe_of_tls_port_is_a_connection_failure() {
    let pki = Pki::new(&["localhost"]);
    let (addr, _stop) = pki.serve(false).await;
    let r = run(["-addr", &addr, "-connect-timeout=2s"]).await;
    r.expect(2, &["connect service"]);
    assert!(
        r.elapsed < Duration::from_millis(2000) + PROMPT,
        "took {:?}",
        r.elapsed
    );
}

#[tokio::test]
async fn rpc_deadline_exits_3() {
    let (addr, _seen, _stop) = raw_h2_server(Reply::Never).await;
    let r = run(["-addr", &addr, "-rpc-timeout=200ms"]).await;
    r.expect(3, &["timeout: health rpc did not complete within 200ms"]);
    assert!(
        r.elapsed < Duration::from_millis(200) + PROMPT,
        "took {:?}",
        r.elapsed
    );
}

#[tokio::test]
async fn sigterm_while_connecting_exits_2() {
    let (addr, _stop) = silent_server().await;
    let mut probe = Live::spawn(["-addr", &addr, "-connect-timeout=30s", "-v"]);
    probe.wait_for("establishing connection").await;
    probe.signal("TERM");
    let (code, stderr) = probe.finish().await;
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("cancellation received"), "{stderr}");
}

#[tokio::test]
async fn sigint_during_rpc_exits_3() {
    let (addr, mut seen, _stop) = raw_h2_server(Reply::Never).await;
    let probe = Live::spawn(["-addr", &addr, "-rpc-timeout=30s"]);
    // The server has the request: the probe is inside the RPC.
    seen.recv().await.unwrap();
    probe.signal("INT");
    let (code, stderr) = probe.finish().await;
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("cancellation received"), "{stderr}");
}
