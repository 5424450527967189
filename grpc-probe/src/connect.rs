//! Establishing the connection: TCP (each resolved address in turn) or unix
//! socket, optional TLS, the HTTP/2 handshake, and a PING the peer must ack.
//!
//! Only once the PING is answered is the connection counted as established,
//! so a peer that never speaks, an HTTP/1 server, or a plaintext probe of a TLS
//! port all fail as connection failures (exit 2) rather than in the RPC. The
//! answer is returned as a future, so that the request can go out alongside
//! the PING instead of a round trip later.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use h2::client::SendRequest;
use rustls::ClientConfig;
use rustls_pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpStream, UnixStream};

use crate::address::Target;
use crate::duration;

/// Any byte stream the HTTP/2 connection can run over; boxed so that TCP,
/// unix and TLS share one h2 instantiation (smaller binary).
trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// TLS client settings for [`connect`].
#[derive(Clone, Debug)]
pub(crate) struct Tls {
    /// The rustls configuration.
    pub(crate) config: Arc<ClientConfig>,
    /// SNI and verification name.
    pub(crate) name: ServerName<'static>,
}

/// Resolves once the peer has answered the PING: the connection is established.
pub(crate) type PingAnswer = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

/// Connects and returns the handle for sending requests and the PING's answer;
/// the connection itself is driven by a spawned task.
pub(crate) async fn connect(
    target: &Target,
    tls: Option<&Tls>,
    verbose: bool,
) -> Result<(SendRequest<Bytes>, PingAnswer), String> {
    let start = Instant::now();
    let stream = open(target).await?;
    log_step(verbose, "transport connected", start);
    let io: Box<dyn Io> = match tls {
        Some(tls) => {
            let tls_start = Instant::now();
            let connector = tokio_rustls::TlsConnector::from(tls.config.clone());
            let stream = connector
                .connect(tls.name.clone(), stream)
                .await
                .map_err(|e| format!("tls handshake failed: {e}"))?;
            log_step(verbose, "tls handshake done", tls_start);
            Box::new(stream)
        }
        None => stream,
    };
    let h2_start = Instant::now();
    let (send, mut connection) = h2::client::handshake(io)
        .await
        .map_err(|e| format!("http2 handshake failed: {e}"))?;
    let mut ping = connection.ping_pong().ok_or("http2 ping unavailable")?;
    tokio::spawn(async move {
        // Errors surface on the streams and the ping; nothing to do here.
        let _ = connection.await;
    });
    log_step(verbose, "http2 handshake sent", h2_start);
    let hint = ping_hint(tls.is_some());
    let answer = Box::pin(async move {
        ping.ping(h2::Ping::opaque())
            .await
            .map_err(|e| format!("peer did not answer an http2 ping ({hint}): {e}"))?;
        log_step(verbose, "http2 ping answered", h2_start);
        Ok(())
    });
    let send = send
        .ready()
        .await
        .map_err(|e| format!("http2 connection not ready: {e}"))?;
    Ok((send, answer))
}

/// Opens the byte stream, trying every resolved address of a host name.
async fn open(target: &Target) -> Result<Box<dyn Io>, String> {
    match target {
        Target::Unix(path) => {
            let s = UnixStream::connect(path).await.map_err(|e| e.to_string())?;
            Ok(Box::new(s))
        }
        Target::Tcp { host, port } => {
            // IP literals skip the resolver: no blocking thread, no NSS modules.
            let addrs: Vec<SocketAddr> = match host.parse::<IpAddr>() {
                Ok(ip) => vec![SocketAddr::new(ip, *port)],
                Err(_) => tokio::net::lookup_host((host.as_str(), *port))
                    .await
                    .map_err(|e| format!("cannot resolve {host:?}: {e}"))?
                    .collect(),
            };
            let mut last = format!("no addresses for {host:?}");
            for addr in addrs {
                match TcpStream::connect(addr).await {
                    Ok(s) => {
                        // Small request and response: send them without delay.
                        let _ = s.set_nodelay(true);
                        return Ok(Box::new(s));
                    }
                    Err(e) => last = format!("dial tcp {addr}: {e}"),
                }
            }
            Err(last)
        }
    }
}

/// What usually makes a peer close the connection before answering the PING.
fn ping_hint(tls: bool) -> &'static str {
    if tls {
        "is it a gRPC server? does it require a client certificate (-tls-client-cert)?"
    } else {
        "is it a gRPC server? a TLS port needs -tls"
    }
}

fn log_step(verbose: bool, what: &str, since: Instant) {
    if verbose {
        eprintln!("{what} (took {})", duration::format(since.elapsed()));
    }
}
