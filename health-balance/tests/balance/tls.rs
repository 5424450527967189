//! TLS to each backend: the DNS name a backend was found under is the name
//! its certificate must carry; an IP list needs `server_name`.

use grpc_health_balance::{BackendState, Balanced};
use test_support::demo::Demo;
use test_support::pki::Pki;
use tonic::transport::{Certificate, ClientTlsConfig};

use crate::support::{GREETER, say_hello, wait_state};

/// health-demo serving TLS with a certificate for `localhost` only.
fn tls_backend(pki: &Pki) -> Demo {
    let (cert, key) = (pki.path("server.pem"), pki.path("server.key"));
    Demo::start(&["--tls-cert", cert.as_str(), "--tls-key", key.as_str()])
}

fn tls(pki: &Pki) -> ClientTlsConfig {
    ClientTlsConfig::new().ca_certificate(Certificate::from_pem(pki.read("ca.pem")))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dns_target_checks_each_backend_certificate_against_its_name() {
    let pki = Pki::new(&["localhost"]);
    let demo = tls_backend(&pki);
    let addr: std::net::SocketAddr = demo.addr().parse().expect("host:port");
    let channel = Balanced::builder(format!("dns:///localhost:{}", addr.port()))
        .health_service(GREETER)
        .tls(tls(&pki))
        .connect_lazy()
        .expect("a valid configuration");
    assert_eq!(say_hello(&channel).await.expect("served over TLS"), addr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ip_list_over_tls_needs_the_server_name() {
    let pki = Pki::new(&["localhost"]);
    let demo = tls_backend(&pki);
    let addr: std::net::SocketAddr = demo.addr().parse().expect("host:port");

    // The certificate names localhost, not 127.0.0.1: the handshake fails.
    let unnamed = Balanced::builder(addr.to_string())
        .health_service(GREETER)
        .tls(tls(&pki))
        .connect_lazy()
        .expect("a valid configuration");
    wait_state(&unnamed, addr, BackendState::Unreachable).await;
    let detail = unnamed.snapshot().backends[0]
        .detail
        .clone()
        .unwrap_or_default();
    assert!(
        detail.contains("certificate not valid for name"),
        "{detail}"
    );

    let named = Balanced::builder(addr.to_string())
        .health_service(GREETER)
        .tls(tls(&pki))
        .server_name("localhost")
        .connect_lazy()
        .expect("a valid configuration");
    assert_eq!(say_hello(&named).await.expect("served over TLS"), addr);
}
