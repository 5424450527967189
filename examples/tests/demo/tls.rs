//! TLS and mTLS on the demo, checked with tonic and with grpc-probe, and a
//! clear error for an unreadable certificate.

use grpc_health_checks::ServingStatus::{self, Serving};
use grpc_health_checks::pb::health_client::HealthClient;
use test_support::HANG_GUARD;
use test_support::bins;
use test_support::health::request;
use test_support::pki::Pki;
use test_support::process::{self, Run};
use tonic::transport::Channel;

use crate::start_demo;

#[tokio::test]
async fn unreadable_tls_file_is_named_in_the_error() {
    let failed = process::run(process::command(
        &bins::health_demo(),
        [
            "--addr",
            "127.0.0.1:0",
            "--tls-cert",
            "/nonexistent/cert.pem",
            "--tls-key",
            "/nonexistent/key.pem",
        ],
    ))
    .await;
    assert_ne!(failed.code, 0);
    assert!(
        failed.stderr.contains("--tls-cert /nonexistent/cert.pem"),
        "{}",
        failed.stderr
    );
}

/// The demo's flags for mTLS with `pki`.
fn mtls_args(pki: &Pki) -> [String; 6] {
    [
        "--tls-cert".into(),
        pki.path("server.pem"),
        "--tls-key".into(),
        pki.path("server.key"),
        "--client-ca".into(),
        pki.path("ca.pem"),
    ]
}

/// Check("") over TLS to `addr`, presenting `identity` (`client` or `stranger`) if given.
async fn tls_check(pki: &Pki, addr: &str, identity: Option<&str>) -> Result<ServingStatus, String> {
    use tonic::transport::{Certificate, ClientTlsConfig, Identity};
    let mut tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(pki.read("ca.pem")))
        .domain_name("localhost");
    if let Some(name) = identity {
        tls = tls.identity(Identity::from_pem(
            pki.read(&format!("{name}.pem")),
            pki.read(&format!("{name}.key")),
        ));
    }
    let channel = Channel::from_shared(format!("https://{addr}"))
        .expect("uri")
        .tls_config(tls)
        .expect("TLS config")
        .connect_timeout(HANG_GUARD)
        .connect()
        .await
        .map_err(|error| format!("connect: {error:?}"))?;
    let mut call = tonic::Request::new(request(""));
    call.set_timeout(HANG_GUARD);
    HealthClient::new(channel)
        .check(call)
        .await
        .map(|response| response.into_inner().status())
        .map_err(|status| format!("check: {status:?}"))
}

/// `--tls-cert/--tls-key/--client-ca`: a client with a certificate from the CA
/// is answered; one without a certificate, with one from another CA, or
/// speaking plaintext is refused; the demo keeps serving.
#[tokio::test]
async fn mtls_demo_answers_only_clients_with_a_certificate_from_its_ca() {
    let pki = Pki::new(&["localhost"]);
    let args = mtls_args(&pki);
    let demo = start_demo(&args.each_ref().map(String::as_str));
    let addr = demo.addr();
    assert_eq!(tls_check(&pki, addr, Some("client")).await, Ok(Serving));
    for identity in [None, Some("stranger")] {
        let refused = tls_check(&pki, addr, identity).await;
        assert!(refused.is_err(), "{identity:?} was answered: {refused:?}");
    }
    let mut plaintext = HealthClient::new(
        Channel::from_shared(format!("http://{addr}"))
            .expect("uri")
            .connect_lazy(),
    );
    let mut call = tonic::Request::new(request(""));
    call.set_timeout(HANG_GUARD);
    assert!(plaintext.check(call).await.is_err(), "plaintext refused");
    assert_eq!(
        tls_check(&pki, addr, Some("client")).await,
        Ok(Serving),
        "still serving after the refusals"
    );
}

/// grpc-probe's mTLS path against the real demo: exit 0 with the client
/// certificate, a failure exit (2: connection failed) without one.
#[tokio::test]
async fn grpc_probe_checks_the_mtls_demo() {
    let probe = bins::grpc_probe();
    let pki = Pki::new(&["localhost"]);
    let args = mtls_args(&pki);
    let demo = start_demo(&args.each_ref().map(String::as_str));
    let addr = demo.addr();
    let run = |client_cert: bool| {
        let mut args = vec![
            "-addr".to_owned(),
            addr.to_owned(),
            "-tls".into(),
            "-tls-ca-cert".into(),
            pki.path("ca.pem"),
            "-tls-server-name".into(),
            "localhost".into(),
        ];
        if client_cert {
            args.extend([
                "-tls-client-cert".into(),
                pki.path("client.pem"),
                "-tls-client-key".into(),
                pki.path("client.key"),
            ]);
        }
        process::run(process::command(&probe, args))
    };
    let with_cert: Run = run(true).await;
    with_cert.assert_exit(0, &["status: SERVING"]);
    let without = run(false).await;
    assert!(
        matches!(without.code, 2 | 3),
        "without a client certificate: {} {}",
        without.code,
        without.stderr
    );
    println!(
        "grpc-probe without a client certificate: exit {}: {}",
        without.code,
        without.stderr.trim()
    );
}
