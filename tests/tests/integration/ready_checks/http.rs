//! `grpc_health_contrib::http` against a local hyper server on 127.0.0.1, over plain HTTP
//! and over HTTPS with a certificate from a throwaway CA.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use grpc_health_checks::Check;
use grpc_health_contrib::http::HttpCheck;
use http_body_util::Full;
use hyper::body::Bytes;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Response, StatusCode};
use hyper_util::rt::TokioIo;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use test_support::pki::Pki;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::TlsAcceptor;

use super::harness::{Evaluated, TIMEOUT};

/// What the server answers, changed by the tests, and how many connections it took.
#[derive(Default)]
struct Answer {
    status: AtomicU16,
    body: Mutex<&'static str>,
    connections: AtomicUsize,
}

/// A `/healthz` server; stopping it closes the listener and every connection.
struct Healthz {
    addr: SocketAddr,
    answer: Arc<Answer>,
    tls: Option<TlsAcceptor>,
    task: Option<JoinHandle<()>>,
}

impl Healthz {
    async fn start(tls: Option<TlsAcceptor>) -> Self {
        let answer = Arc::new(Answer::default());
        answer.status.store(200, Ordering::SeqCst);
        *answer.body.lock().expect("body") = "status: ok";
        let mut server = Self {
            addr: "127.0.0.1:0".parse().expect("address"),
            answer,
            tls,
            task: None,
        };
        server.restart().await;
        server
    }

    /// Listens again, on the same port after the first start.
    async fn restart(&mut self) {
        let listener = TcpListener::bind(self.addr).await.expect("bind 127.0.0.1");
        self.addr = listener.local_addr().expect("local addr");
        let (answer, tls) = (self.answer.clone(), self.tls.clone());
        self.task = Some(tokio::spawn(serve(listener, tls, answer)));
    }

    async fn stop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }

    fn url(&self, scheme: &str) -> String {
        format!("{scheme}://{}/healthz", self.addr)
    }
}

async fn serve(listener: TcpListener, tls: Option<TlsAcceptor>, answer: Arc<Answer>) {
    // Connections live in this set, so that aborting the server ends them too.
    let mut connections = JoinSet::new();
    while let Ok((tcp, _)) = listener.accept().await {
        while connections.try_join_next().is_some() {}
        answer.connections.fetch_add(1, Ordering::SeqCst);
        let (answer, tls) = (answer.clone(), tls.clone());
        connections.spawn(async move {
            let service = service_fn(move |_request| {
                let status = StatusCode::from_u16(answer.status.load(Ordering::SeqCst));
                let body = *answer.body.lock().expect("body");
                let mut response = Response::new(Full::new(Bytes::from(body)));
                *response.status_mut() = status.expect("a valid status");
                std::future::ready(Ok::<_, Infallible>(response))
            });
            let connection = http1::Builder::new();
            match tls {
                Some(tls) => {
                    if let Ok(stream) = tls.accept(tcp).await {
                        let _ = connection
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    }
                }
                None => {
                    let _ = connection
                        .serve_connection(TokioIo::new(tcp), service)
                        .await;
                }
            }
        });
    }
}

#[tokio::test]
async fn passes_fails_on_status_or_body_and_recovers_over_one_connection() {
    let server = Healthz::start(None).await;
    let url = server.url("http");
    let check = HttpCheck::new(&url)
        .expect("a valid URL")
        .body_contains("ok")
        .timeout(TIMEOUT)
        .into_check();
    let evaluated = Evaluated::start(check);
    evaluated.passes().await;

    server.answer.status.store(503, Ordering::SeqCst);
    evaluated
        .fails_with(&[&format!(
            "GET {url} answered 503 Service Unavailable, expected 200-299"
        )])
        .await;
    server.answer.status.store(200, Ordering::SeqCst);
    evaluated.passes().await;

    *server.answer.body.lock().expect("body") = "status: degraded";
    evaluated
        .fails_with(&[&format!(
            "GET {url} answered 200 OK but the body lacks \"ok\""
        )])
        .await;
    *server.answer.body.lock().expect("body") = "status: ok";
    evaluated.passes().await;

    assert_eq!(
        server.answer.connections.load(Ordering::SeqCst),
        1,
        "every run reuses the pooled connection"
    );
}

/// The check passes, fails naming the refused connection while `server` is
/// stopped, and passes again once it is back on its port.
async fn passes_fails_while_down_and_recovers(server: &mut Healthz, check: Check, url: &str) {
    let evaluated = Evaluated::start(check);
    evaluated.passes().await;
    server.stop().await;
    evaluated
        .fails_with(&[&format!("GET {url} failed: "), "Connection refused"])
        .await;
    server.restart().await;
    evaluated.passes().await;
}

#[tokio::test]
async fn fails_while_the_server_is_down_and_recovers() {
    let mut server = Healthz::start(None).await;
    let url = server.url("http");
    let check = HttpCheck::new(&url).expect("a valid URL").timeout(TIMEOUT);
    passes_fails_while_down_and_recovers(&mut server, check.into_check(), &url).await;
}

fn tls_acceptor(pki: &Pki) -> TlsAcceptor {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(pki.server_chain.clone(), pki.server_key.clone_key())
        .expect("server certificate");
    TlsAcceptor::from(Arc::new(config))
}

fn trusting(pki: &Pki) -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_file(pki.path("ca.pem")).expect("CA certificate"))
        .expect("add the CA");
    rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth()
}

#[tokio::test]
async fn https_with_a_private_ca_passes_fails_while_down_and_recovers() {
    let pki = Pki::new(&["127.0.0.1"]);
    let mut server = Healthz::start(Some(tls_acceptor(&pki))).await;
    let url = server.url("https");
    let check = HttpCheck::new(&url)
        .expect("a valid URL")
        .tls_config(trusting(&pki))
        .timeout(TIMEOUT);
    passes_fails_while_down_and_recovers(&mut server, check.into_check(), &url).await;
}

#[tokio::test]
async fn https_with_an_untrusted_certificate_fails_naming_it() {
    let pki = Pki::new(&["127.0.0.1"]);
    let server = Healthz::start(Some(tls_acceptor(&pki))).await;
    let url = server.url("https");
    let check = HttpCheck::new(&url).expect("a valid URL").timeout(TIMEOUT);
    let evaluated = Evaluated::start(check.into_check());
    evaluated
        .fails_with(&[
            &format!("GET {url} failed: "),
            "invalid peer certificate: UnknownIssuer",
        ])
        .await;
}

/// A server that reads requests and never answers: each run gives up at its
/// wait (three quarters of the check's timeout) and its connection is closed,
/// so connections do not pile up however many runs time out.
#[tokio::test]
async fn a_silent_server_fails_within_the_timeout_without_piling_up_connections() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    let open = Arc::new(AtomicUsize::new(0));
    let accepted = Arc::new(AtomicUsize::new(0));
    let (open_count, accepted_count) = (open.clone(), accepted.clone());
    let _server = tokio::spawn(async move {
        let mut connections = JoinSet::new();
        while let Ok((mut tcp, _)) = listener.accept().await {
            accepted_count.fetch_add(1, Ordering::SeqCst);
            open_count.fetch_add(1, Ordering::SeqCst);
            let open_count = open_count.clone();
            connections.spawn(async move {
                // Read and ignore until the client closes.
                let _ = tokio::io::copy(&mut tcp, &mut tokio::io::sink()).await;
                open_count.fetch_sub(1, Ordering::SeqCst);
            });
        }
    });
    let url = format!("http://{addr}/healthz");
    let check = HttpCheck::new(&url)
        .expect("a valid URL")
        .timeout(std::time::Duration::from_millis(200))
        .into_check();
    let evaluated = Evaluated::start(check);
    evaluated
        .fails_with(&[&format!("GET {url} failed: no answer within 150ms")])
        .await;
    test_support::eventually("five runs given up", || {
        accepted.load(Ordering::SeqCst) >= 5
    })
    .await;
    // At most the current run's connection stays open; piled-up ones never close.
    test_support::eventually("the given-up runs' connections to close", || {
        open.load(Ordering::SeqCst) <= 1
    })
    .await;
}
