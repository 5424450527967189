//! The addresses Kubernetes users have: `-addr=localhost:PORT` reaches a
//! server on either loopback alone, and `-authority` sets the `:authority`
//! a server behind a proxy sees, with and without TLS.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use grpc_health_checks::HealthChecks;
use test_support::pki::Pki;
use test_support::server::{Stop, serve_incoming};
use tokio::net::TcpSocket;
use tokio_stream::wrappers::TcpListenerStream;

use crate::support::{Reply, raw_h2_server, raw_h2_tls_server, run};

const V4: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const V6: IpAddr = IpAddr::V6(Ipv6Addr::LOCALHOST);

/// One port bound, not yet listening, on both loopbacks: a connection to
/// either is refused until one listens, whatever else runs on this machine.
fn both_loopbacks() -> (u16, TcpSocket, TcpSocket) {
    for _ in 0..100 {
        let v6 = TcpSocket::new_v6().expect("socket");
        v6.bind(SocketAddr::new(V6, 0)).expect("bind ::1");
        let port = v6.local_addr().expect("addr").port();
        let v4 = TcpSocket::new_v4().expect("socket");
        // Taken on 127.0.0.1: try another port.
        if v4.bind(SocketAddr::new(V4, port)).is_ok() {
            return (port, v4, v6);
        }
    }
    panic!("no port free on both loopbacks in 100 tries");
}

/// A health server on `socket` (which then listens).
fn serve(socket: TcpSocket) -> Stop {
    let listener = socket.listen(16).expect("listen");
    let incoming = TcpListenerStream::new(listener);
    serve_incoming(HealthChecks::new(), incoming).1
}

/// Serves on one loopback only (the other refuses) and checks that
/// `localhost:PORT` and `:PORT` reach it while the other loopback is refused.
async fn localhost_reaches_only(serve_v6: bool) {
    let (port, v4, v6) = both_loopbacks();
    let (served, refused) = if serve_v6 { (v6, v4) } else { (v4, v6) };
    let _stop = serve(served);
    for addr in [format!("localhost:{port}"), format!(":{port}")] {
        run(["-addr", &addr])
            .await
            .assert_exit(0, &["status: SERVING"]);
    }
    let other = SocketAddr::new(refused.local_addr().expect("addr").ip(), port).to_string();
    run(["-addr", &other]).await.assert_exit(2, &["refused"]);
}

#[tokio::test]
async fn localhost_reaches_a_server_on_ipv6_loopback_only() {
    // 127.0.0.1, tried first, is refused: only ::1 answers.
    localhost_reaches_only(true).await;
}

#[tokio::test]
async fn localhost_reaches_a_server_on_ipv4_loopback_only() {
    localhost_reaches_only(false).await;
}

#[tokio::test]
async fn localhost_with_no_server_tries_both_loopbacks() {
    let (port, _refused_v4, _refused_v6) = both_loopbacks();
    let addr = format!("localhost:{port}");
    // The error names the last address tried: ::1, after 127.0.0.1.
    let last = format!("dial tcp [::1]:{port}: Connection refused");
    run(["-addr", &addr, "-connect-timeout=60s"])
        .await
        .assert_exit(2, &["failed to connect service", &last]);
}

#[tokio::test]
async fn authority_is_sent_as_given_in_plaintext() {
    let (addr, mut seen, _stop) = raw_h2_server(Reply::Status(1)).await;
    run(["-addr", &addr]).await.assert_exit(0, &["SERVING"]);
    assert_eq!(
        seen.recv().await.expect("seen").authority.as_deref(),
        Some(addr.as_str())
    );

    run(["-addr", &addr, "-authority=api.example.com"])
        .await
        .assert_exit(0, &["SERVING"]);
    let first = seen.recv().await.expect("seen");
    assert_eq!(first.authority.as_deref(), Some("api.example.com"));

    run(["-addr", &addr, "--authority", "api.example.com:443"])
        .await
        .assert_exit(0, &["SERVING"]);
    let second = seen.recv().await.expect("seen");
    assert_eq!(second.authority.as_deref(), Some("api.example.com:443"));
    // Not a header of its own: only the pseudo-header carries it.
    assert!(second.headers.get("host").is_none(), "{:?}", second.headers);
}

#[tokio::test]
async fn with_tls_the_server_name_verifies_and_the_authority_is_sent() {
    let pki = Pki::new(&["pod.internal"]);
    let (addr, mut seen) = raw_h2_tls_server(&pki, Reply::Status(1)).await;
    let ca = format!("-tls-ca-cert={}", pki.path("ca.pem"));
    // -tls-server-name alone: the verification name and the :authority.
    run(["-addr", &addr, "-tls", &ca, "-tls-server-name=pod.internal"])
        .await
        .assert_exit(0, &["SERVING"]);
    let named = seen.recv().await.expect("seen");
    assert_eq!(named.authority.as_deref(), Some("pod.internal"));
    // Both: the certificate is still verified against -tls-server-name, and
    // -authority is what the server sees.
    let both = [
        "-addr",
        &addr,
        "-tls",
        &ca,
        "-tls-server-name=pod.internal",
        "-authority=api.example.com",
    ];
    run(both).await.assert_exit(0, &["SERVING"]);
    let sent = seen.recv().await.expect("seen");
    assert_eq!(sent.authority.as_deref(), Some("api.example.com"));
    // -authority never becomes the verification name: the certificate is
    // not valid for it, nor for 127.0.0.1, so the handshake fails.
    run(["-addr", &addr, "-tls", &ca, "-authority=pod.internal"])
        .await
        .assert_exit(2, &["tls handshake failed"]);
}

#[tokio::test]
async fn bad_authorities_exit_1_naming_the_flag() {
    for (authority, why) in [
        ("-authority=", "empty"),
        ("-authority=u@host", "user info"),
        ("-authority=host:http", "bad port"),
        ("-authority=a/b", "not a valid authority"),
    ] {
        run(["-addr=127.0.0.1:1", authority])
            .await
            .assert_exit(1, &["invalid -authority", why]);
    }
    run(["-addr=127.0.0.1:1", "-authority"])
        .await
        .assert_exit(1, &["flag needs an argument: -authority"]);
}
