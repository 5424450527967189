//! Connection failures end with exit 2 at once, never by waiting for a
//! timeout: refused, silent peer, HTTP/1, plaintext to TLS; signals end the
//! run with the code of the phase they interrupt.
//!
//! "At once" is shown without judging the machine's speed: the timeouts that
//! could have ended the run are set to a minute, and the run must end in less
//! than half of that. Lower bounds ("not before the timeout") are exact.

use std::time::Duration;

use test_support::pki::Pki;
use test_support::process::Signal;

use crate::support::{
    Live, Reply, http1_server, raw_h2_server, run, silent_server, tls_health_server, unused_addr,
};

/// A timeout the probe must never wait for in these tests.
const NEVER: &str = "60s";

/// Less than half of [`NEVER`]: a run that ended sooner did not wait for it.
const WELL_BEFORE_NEVER: Duration = Duration::from_secs(30);

#[tokio::test]
async fn refused_fails_at_once() {
    let addr = unused_addr();
    let r = run(["-addr", &addr, &format!("-connect-timeout={NEVER}")]).await;
    r.assert_exit(2, &["failed to connect service", &addr, "refused"]);
    assert!(r.elapsed < WELL_BEFORE_NEVER, "took {:?}", r.elapsed);
}

#[tokio::test]
async fn silent_peer_times_out_at_the_connect_timeout() {
    let (addr, _stop) = silent_server().await;
    let rpc_timeout = format!("-rpc-timeout={NEVER}");
    let r = run(["-addr", &addr, "-connect-timeout=300ms", &rpc_timeout]).await;
    r.assert_exit(2, &["timeout: failed to connect service", "within 300ms"]);
    assert!(r.elapsed >= Duration::from_millis(300), "{:?}", r.elapsed);
    assert!(r.elapsed < WELL_BEFORE_NEVER, "{:?}", r.elapsed);
}

#[tokio::test]
async fn http1_server_is_a_connection_failure() {
    let (addr, _stop) = http1_server().await;
    let r = run(["-addr", &addr, &format!("-connect-timeout={NEVER}")]).await;
    r.assert_exit(2, &["failed to connect service"]);
    assert!(r.elapsed < WELL_BEFORE_NEVER, "took {:?}", r.elapsed);
}

#[tokio::test]
async fn plaintext_probe_of_tls_port_is_a_connection_failure() {
    let pki = Pki::new(&["localhost"]);
    let (addr, _stop) = tls_health_server(&pki, false).await;
    let r = run(["-addr", &addr, &format!("-connect-timeout={NEVER}")]).await;
    r.assert_exit(2, &["connect service"]);
    assert!(r.elapsed < WELL_BEFORE_NEVER, "took {:?}", r.elapsed);
}

#[tokio::test]
async fn rpc_deadline_exits_3() {
    let (addr, _seen, _stop) = raw_h2_server(Reply::Never).await;
    let connect_timeout = format!("-connect-timeout={NEVER}");
    let r = run(["-addr", &addr, "-rpc-timeout=200ms", &connect_timeout]).await;
    r.assert_exit(3, &["timeout: health rpc did not complete within 200ms"]);
    assert!(r.elapsed >= Duration::from_millis(200), "{:?}", r.elapsed);
}

#[tokio::test]
async fn sigterm_while_connecting_exits_2() {
    let (addr, _stop) = silent_server().await;
    let mut probe = Live::spawn(["-addr", &addr, "-connect-timeout=30s", "-v"]);
    probe.wait_for("establishing connection").await;
    probe.signal(Signal::SIGTERM);
    let (code, stderr) = probe.finish().await;
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("cancellation received"), "{stderr}");
}

#[tokio::test]
async fn sigint_during_rpc_exits_3() {
    let (addr, mut seen, _stop) = raw_h2_server(Reply::Never).await;
    let mut probe = Live::spawn(["-addr", &addr, "-rpc-timeout=60s", "-v"]);
    // The request goes out alongside the PING, so the server may see it before
    // the probe counts the connection as established: wait for both.
    seen.recv().await.unwrap();
    probe.wait_for("ping answered").await;
    probe.signal(Signal::SIGINT);
    let (code, stderr) = probe.finish().await;
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("cancellation received"), "{stderr}");
}
