//! The probe's own test peers: the probe binary itself (run to completion or
//! read live), a TLS health server, raw h2 and HTTP/1 peers, silent sockets,
//! and key encodings rcgen does not write. Generic helpers (servers, PKI,
//! runs, ports) come from the `test_support` crate.

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use grpc_health_checks::HealthChecks;
use http::HeaderMap;
use test_support::HANG_GUARD;
use test_support::pki::Pki;
use test_support::process::{self, Run, Signal};
use test_support::server::{Stop, serve_incoming};
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, ChildStderr, Command};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

/// The probe binary with `args`, piped output; killed if the test drops it.
pub(crate) fn probe<I: AsRef<std::ffi::OsStr>>(args: impl IntoIterator<Item = I>) -> Command {
    process::command(Path::new(env!("CARGO_BIN_EXE_grpc-probe")), args)
}

/// Runs the probe to completion.
pub(crate) async fn run<I: AsRef<std::ffi::OsStr>>(args: impl IntoIterator<Item = I>) -> Run {
    process::run(probe(args)).await
}

/// A loopback address with no listener.
pub(crate) fn unused_addr() -> String {
    format!("127.0.0.1:{}", process::free_port())
}

/// A running probe whose stderr is read line by line as it arrives.
pub(crate) struct Live {
    pub(crate) child: Child,
    pub(crate) lines: Lines<BufReader<ChildStderr>>,
    pub(crate) seen: String,
}

impl Live {
    pub(crate) fn spawn<I: AsRef<std::ffi::OsStr>>(args: impl IntoIterator<Item = I>) -> Live {
        let mut child = probe(args).spawn().expect("spawn grpc-probe");
        let stderr = child.stderr.take().expect("piped stderr");
        Live {
            child,
            lines: BufReader::new(stderr).lines(),
            seen: String::new(),
        }
    }

    /// Reads stderr until a line contains `needle`; returns that line.
    pub(crate) async fn wait_for(&mut self, needle: &str) -> String {
        let read = async {
            while let Some(line) = self.lines.next_line().await.expect("read stderr") {
                self.seen.push_str(&line);
                self.seen.push('\n');
                if line.contains(needle) {
                    return line;
                }
            }
            panic!("stderr ended without {needle:?}:\n{}", self.seen);
        };
        tokio::time::timeout(HANG_GUARD, read)
            .await
            .unwrap_or_else(|_| panic!("no {needle:?} within {HANG_GUARD:?}"))
    }

    /// Sends `signal` to the probe.
    pub(crate) fn signal(&self, signal: Signal) {
        process::signal(self.child.id().expect("running"), signal);
    }

    /// Waits for exit; returns the code and the rest of stderr.
    pub(crate) async fn finish(mut self) -> (i32, String) {
        while let Some(line) = self.lines.next_line().await.expect("read stderr") {
            self.seen.push_str(&line);
            self.seen.push('\n');
        }
        let status = tokio::time::timeout(HANG_GUARD, self.child.wait())
            .await
            .expect("probe exits")
            .expect("wait");
        (status.code().expect("exited"), self.seen)
    }
}

/// A TLS health server with `pki`'s server certificate; with `mtls`, client
/// certificates from its CA are required.
pub(crate) async fn tls_health_server(pki: &Pki, mtls: bool) -> (String, Stop) {
    let (addr, conn_rx) = tls_connections(pki, mtls).await;
    let (_handle, stop) = serve_incoming(HealthChecks::new(), ReceiverStream::new(conn_rx));
    (addr, stop)
}

/// A TLS server socket on 127.0.0.1 with `pki`'s server certificate (ALPN
/// `h2`); its completed handshakes arrive on the channel.
async fn tls_connections(
    pki: &Pki,
    mtls: bool,
) -> (
    String,
    mpsc::Receiver<std::io::Result<tokio_rustls::server::TlsStream<TcpStream>>>,
) {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("versions");
    let builder = if mtls {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(pki.ca.der().clone()).expect("root");
        let verifier =
            rustls::server::WebPkiClientVerifier::builder_with_provider(roots.into(), provider)
                .build()
                .expect("verifier");
        builder.with_client_cert_verifier(verifier)
    } else {
        builder.with_no_client_auth()
    };
    let mut config = builder
        .with_single_cert(pki.server_chain.clone(), pki.server_key.clone_key())
        .expect("server cert");
    config.alpn_protocols = vec![b"h2".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let (conn_tx, conn_rx) = mpsc::channel(4);
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let (acceptor, conn_tx) = (acceptor.clone(), conn_tx.clone());
            tokio::spawn(async move {
                // Failed handshakes are the probe's business; just drop them.
                if let Ok(tls) = acceptor.accept(socket).await {
                    let _ = conn_tx.send(Ok::<_, std::io::Error>(tls)).await;
                }
            });
        }
    });
    (addr, conn_rx)
}

/// A tonic server with no services at all: every method is UNIMPLEMENTED.
pub(crate) async fn empty_tonic_server() -> (String, Stop) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let (stop, stopped) = Stop::new();
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_routes(tonic::service::Routes::default())
            .serve_with_incoming_shutdown(
                tokio_stream::wrappers::TcpListenerStream::new(listener),
                stopped,
            ),
    );
    (addr, stop)
}

/// Binds 127.0.0.1:0 and hands every accepted socket to `handle` (spawned)
/// until the returned [`Stop`] is dropped.
pub(crate) async fn tcp_server<F, Fut>(handle: F) -> (String, Stop)
where
    F: Fn(TcpStream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let (stop, stopped) = Stop::new();
    tokio::spawn(async move {
        tokio::pin!(stopped);
        loop {
            tokio::select! {
                Ok((s, _)) = listener.accept() => { tokio::spawn(handle(s)); }
                () = &mut stopped => return,
            }
        }
    });
    (addr, stop)
}

/// A TCP listener that accepts and then never says anything.
pub(crate) async fn silent_server() -> (String, Stop) {
    tcp_server(|s| async move {
        // Hold the socket open, silent, until the test ends.
        std::future::pending::<()>().await;
        drop(s);
    })
    .await
}

/// An HTTP/1.1 server that answers anything with a 400.
pub(crate) async fn http1_server() -> (String, Stop) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    tcp_server(|mut s| async move {
        let mut buf = [0u8; 1024];
        let _ = s.read(&mut buf).await;
        let reply = "HTTP/1.1 400 Bad Request\r\ncontent-length: 11\r\nconnection: close\r\n\r\nbad request";
        let _ = s.write_all(reply.as_bytes()).await;
    })
    .await
}

/// How the raw h2 server answers each request.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Reply {
    /// A HealthCheckResponse with this status, gzip-compressed if asked for.
    Status(i32),
    /// Accept the request and never answer it.
    Never,
}

/// What the raw h2 server saw: the `:authority`, request headers and the
/// first body byte (the compressed flag).
#[derive(Debug)]
pub(crate) struct Seen {
    pub(crate) authority: Option<String>,
    pub(crate) headers: HeaderMap,
    pub(crate) compressed_flag: u8,
}

/// A bare h2 server (acks pings, records requests); answers as `reply` says.
pub(crate) async fn raw_h2_server(reply: Reply) -> (String, mpsc::UnboundedReceiver<Seen>, Stop) {
    let (seen_tx, seen_rx) = mpsc::unbounded_channel();
    let (addr, stop) = tcp_server(move |s| h2_connection(s, reply, seen_tx.clone())).await;
    (addr, seen_rx, stop)
}

/// [`raw_h2_server`] behind TLS with `pki`'s server certificate.
pub(crate) async fn raw_h2_tls_server(
    pki: &Pki,
    reply: Reply,
) -> (String, mpsc::UnboundedReceiver<Seen>) {
    let (seen_tx, seen_rx) = mpsc::unbounded_channel();
    let (addr, mut connections) = tls_connections(pki, false).await;
    tokio::spawn(async move {
        while let Some(Ok(tls)) = connections.recv().await {
            tokio::spawn(h2_connection(tls, reply, seen_tx.clone()));
        }
    });
    (addr, seen_rx)
}

async fn h2_connection<IO>(socket: IO, reply: Reply, seen: mpsc::UnboundedSender<Seen>)
where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let Ok(mut conn) = h2::server::handshake(socket).await else {
        return;
    };
    let mut parked = Vec::new();
    while let Some(Ok((request, mut respond))) = conn.accept().await {
        let (parts, mut body) = request.into_parts();
        let mut data = Vec::new();
        while let Some(Ok(chunk)) = body.data().await {
            let _ = body.flow_control().release_capacity(chunk.len());
            data.extend_from_slice(&chunk);
        }
        let gzip = parts
            .headers
            .get("grpc-accept-encoding")
            .is_some_and(|v| v == "gzip");
        let _ = seen.send(Seen {
            authority: parts.uri.authority().map(ToString::to_string),
            headers: parts.headers,
            compressed_flag: data.first().copied().unwrap_or(9),
        });
        let Reply::Status(status) = reply else {
            parked.push(respond);
            continue;
        };
        let response = http::Response::builder()
            .header("content-type", "application/grpc")
            .header("grpc-encoding", if gzip { "gzip" } else { "identity" })
            .body(())
            .expect("response");
        let Ok(mut stream) = respond.send_response(response, false) else {
            continue;
        };
        let msg =
            prost::Message::encode_to_vec(&grpc_health_checks::pb::HealthCheckResponse { status });
        let _ = stream.send_data(frame(&msg, gzip), false);
        let mut trailers = HeaderMap::new();
        trailers.insert("grpc-status", http::HeaderValue::from_static("0"));
        let _ = stream.send_trailers(trailers);
    }
}

/// A gRPC length-prefixed message, gzip-compressed if asked.
fn frame(msg: &[u8], gzip: bool) -> Bytes {
    use std::io::Write;
    let payload = if gzip {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(msg).expect("gzip");
        enc.finish().expect("gzip")
    } else {
        msg.to_vec()
    };
    let mut out = vec![u8::from(gzip)];
    out.extend_from_slice(&u32::try_from(payload.len()).expect("small").to_be_bytes());
    out.extend_from_slice(&payload);
    out.into()
}

/// The inner key of a PKCS#8 document: SEC1 for EC keys, PKCS#1 for RSA.
pub(crate) fn unwrap_pkcs8(pkcs8: &[u8]) -> Vec<u8> {
    // PrivateKeyInfo ::= SEQUENCE { version INTEGER, algorithm SEQUENCE, privateKey OCTET STRING, ... }
    let (_, body) = der_tlv(pkcs8);
    let (rest, _version) = split_tlv(body);
    let (rest, _algorithm) = split_tlv(rest);
    let (tag, inner) = der_tlv(rest);
    assert_eq!(tag, 0x04, "privateKey is an OCTET STRING");
    inner.to_vec()
}

fn der_tlv(der: &[u8]) -> (u8, &[u8]) {
    let (len, hdr) = der_len(der);
    (der[0], &der[hdr..hdr + len])
}

fn split_tlv(der: &[u8]) -> (&[u8], &[u8]) {
    let (len, hdr) = der_len(der);
    (&der[hdr + len..], &der[hdr..hdr + len])
}

fn der_len(der: &[u8]) -> (usize, usize) {
    match der[1] {
        n if n < 0x80 => (usize::from(n), 2),
        n => {
            let bytes = usize::from(n & 0x7f);
            let len = der[2..2 + bytes]
                .iter()
                .fold(0usize, |acc, &b| acc << 8 | usize::from(b));
            (len, 2 + bytes)
        }
    }
}

/// PEM-encodes DER under `label`.
pub(crate) fn pem(label: &str, der: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut b64 = String::new();
    for chunk in der.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            let c = if i <= chunk.len() {
                ALPHABET[(n >> (18 - 6 * i) & 63) as usize]
            } else {
                b'='
            };
            b64.push(char::from(c));
        }
    }
    let body: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|l| std::str::from_utf8(l).expect("ascii"))
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        body.join("\n")
    )
}
