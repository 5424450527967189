//! Establishing the connection: TCP (each resolved address in turn, as Go's
//! dialer does without its happy-eyeballs racing: sequentially, each address
//! given an even share of what is left of the connect timeout) or unix socket, optional TLS, the HTTP/2 handshake, and a PING the peer must ack;
//! then one RPC on it. The connect failure wording and the `-v` timings of
//! the connection and of its RPC belong here.
//!
//! Only once the PING is answered is the connection counted as established,
//! so a peer that never speaks, an HTTP/1 server, or a plaintext probe of a TLS
//! port all fail as connection failures (exit 2) rather than in the RPC. The
//! request goes out alongside the PING instead of a round trip later, so the
//! RPC's time overlaps the connection's. Once the RPC is done the connection
//! is closed as HTTP/2 asks (GOAWAY, then FIN), without waiting for the server.

use std::cell::Cell;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use bytes::Bytes;
use h2::client::SendRequest;
use rustls::ClientConfig;
use rustls_pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpStream, UnixStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::address::Target;
use crate::config::{Config, TlsOptions};
use crate::duration;
use crate::exit_code::ProbeExit;
use crate::grpc::Client;
use crate::messages;
use crate::output::Outcome;
use crate::server_text::ServerText;

/// The largest response header list accepted (SETTINGS_MAX_HEADER_LIST_SIZE,
/// and what h2 buffers from HEADERS and CONTINUATION frames). A health
/// answer's headers and trailers take a few hundred bytes; 16 KiB leaves
/// room for a long `grpc-message` and proxy headers, where h2's default
/// (16 MiB) let a server make the probe hold 16 MiB of headers.
const MAX_HEADER_LIST: u32 = 16 * 1024;

/// How long closing may take: sending GOAWAY and FIN is local work for the
/// connection's task, done at its next poll; the bound only matters if the
/// socket cannot take the bytes, and it never waits for the server.
const CLOSE_WITHIN: Duration = Duration::from_millis(5);

/// Any byte stream the HTTP/2 connection can run over; boxed so that TCP,
/// unix and TLS share one h2 instantiation (smaller binary).
trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// TLS client settings for [`open`].
#[derive(Clone, Debug)]
pub(crate) struct Tls {
    /// The rustls configuration.
    pub(crate) config: Arc<ClientConfig>,
    /// SNI and verification name.
    pub(crate) name: ServerName<'static>,
}

/// Resolves once the peer has answered the PING: the connection is established.
type PingAnswer = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

/// A connection whose PING may still be unanswered.
pub(crate) struct Connection<'a> {
    client: Client,
    /// The task driving the connection, awaited (briefly) to close it.
    driver: JoinHandle<()>,
    /// The wait for the PING's answer.
    unanswered: Unanswered<'a>,
}

/// A connection's PING, not yet answered, and what its messages need.
struct Unanswered<'a> {
    answer: PingAnswer,
    /// `-addr` as given, for messages.
    addr: &'a str,
    /// The connect timeout, which also bounds the wait for the PING's answer.
    timeout: Duration,
    /// When connecting began.
    started: Instant,
    /// When the HTTP/2 handshake was sent, and the wait for the PING began.
    handshake_sent: Instant,
}

/// An RPC that ran on an established connection, with its `-v` timings.
#[derive(Debug)]
pub(crate) struct Established {
    /// What the RPC came to.
    pub(crate) outcome: Outcome,
    /// From the start of connecting to the PING's answer.
    pub(crate) connect: Duration,
    /// From sending the request to its outcome; it overlaps `connect`.
    pub(crate) rpc: Duration,
}

/// Connects within `timeout` (transport, TLS, HTTP/2 handshake) and wraps
/// the connection in a gRPC client; the PING's answer is awaited alongside
/// the RPC, by [`Connection::run_once_established`].
pub(crate) async fn open<'a>(
    cfg: &'a Config,
    tls: Option<&Tls>,
    timeout: Duration,
) -> Result<Connection<'a>, Outcome> {
    messages::verbose("establishing connection");
    let started = Instant::now();
    let deadline = started + timeout;
    let handshake =
        match tokio::time::timeout(timeout, handshake(&cfg.target, tls, started, deadline)).await {
            Err(_) => return Err(timed_out(&cfg.addr, timeout)),
            Ok(Err(e)) => return Err(failed(&cfg.addr, &e)),
            Ok(Ok(handshake)) => handshake,
        };
    let authority = match (&cfg.authority, tls.and(cfg.tls.as_ref())) {
        // Given explicitly, it is the :authority, whatever the TLS name.
        (Some(authority), _) => authority.clone(),
        // grpc-go uses the TLS server name override as :authority.
        (
            None,
            Some(TlsOptions {
                server_name: Some(name),
                ..
            }),
        ) => name.clone(),
        (None, _) => cfg.target.authority(),
    };
    let client = Client::new(
        handshake.send,
        tls.is_some(),
        &authority,
        cfg.user_agent.clone(),
        &cfg.headers,
        cfg.gzip,
    )
    .map_err(|e| Outcome::new(ProbeExit::InvalidArguments, format!("error: {e}")))?;
    Ok(Connection {
        client,
        driver: handshake.driver,
        unanswered: Unanswered {
            answer: handshake.answer,
            addr: &cfg.addr,
            timeout,
            started,
            handshake_sent: handshake.sent,
        },
    })
}

impl Connection<'_> {
    /// The gRPC client; requests may go out before the PING is answered.
    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    /// Runs `rpc` (its request goes out at once) but reports a connection
    /// failure unless the peer answers the PING within the connect timeout.
    /// Once it has, a signal counts as an RPC failure (`if_interrupted`).
    /// Then closes the connection: `rpc` must own its clone of the client.
    pub(crate) async fn run_once_established(
        self,
        if_interrupted: &Cell<ProbeExit>,
        rpc: impl Future<Output = Outcome>,
    ) -> Result<Established, Outcome> {
        let Connection {
            client,
            driver,
            unanswered,
        } = self;
        let established = unanswered.run(if_interrupted, rpc).await;
        // `rpc` and with it every request handle is gone; the client's is last.
        drop(client);
        close(driver).await;
        established
    }
}

impl Unanswered<'_> {
    /// [`Connection::run_once_established`] up to the close; drops `rpc`.
    async fn run(
        self,
        if_interrupted: &Cell<ProbeExit>,
        rpc: impl Future<Output = Outcome>,
    ) -> Result<Established, Outcome> {
        let deadline = self.started + self.timeout;
        let answer = tokio::time::timeout_at(deadline.into(), self.answer);
        tokio::pin!(answer, rpc);
        let rpc_started = Instant::now();
        let mut finished = None;
        let answered = loop {
            tokio::select! {
                biased;
                answered = &mut answer => break answered,
                outcome = &mut rpc, if finished.is_none() => {
                    finished = Some((outcome, rpc_started.elapsed()));
                }
            }
        };
        match answered {
            Err(_) => return Err(timed_out(self.addr, self.timeout)),
            Ok(Err(e)) => return Err(failed(self.addr, &e)),
            Ok(Ok(())) => {}
        }
        // A watched status that arrived before the PING's answer stays the code.
        if if_interrupted.get() == ProbeExit::ConnectionFailure {
            if_interrupted.set(ProbeExit::RpcFailure);
        }
        let established = lap("http2 ping answered", self.handshake_sent);
        let connect = established - self.started;
        messages::took("connection established", connect);
        let (outcome, rpc) = match finished {
            Some(finished) => finished,
            None => (rpc.await, rpc_started.elapsed()),
        };
        Ok(Established {
            outcome,
            connect,
            rpc,
        })
    }
}

/// Closes the connection as HTTP/2 asks, GOAWAY then FIN, so that the server
/// logs no reset. h2 does both, without waiting for the server, once the last
/// handle to the connection is dropped; this waits for its task to do so,
/// for at most [`CLOSE_WITHIN`].
async fn close(driver: JoinHandle<()>) {
    let _ = tokio::time::timeout(CLOSE_WITHIN, driver).await;
}

/// The connection did not come up within the connect timeout.
fn timed_out(addr: &str, timeout: Duration) -> Outcome {
    let within = duration::format(timeout);
    Outcome::retryable(
        ProbeExit::ConnectionFailure,
        format!("timeout: failed to connect service {addr:?} within {within}"),
    )
}

/// The connection failed (refused, TLS, not HTTP/2, ...).
fn failed(addr: &str, error: &str) -> Outcome {
    Outcome::retryable(
        ProbeExit::ConnectionFailure,
        format!("error: failed to connect service at {addr:?}: {error}"),
    )
}

/// What a signal while connecting leaves behind, worded as upstream's.
pub(crate) fn cancelled(addr: &str) -> String {
    format!("error: failed to connect service at {addr:?}: canceled")
}

/// A sent HTTP/2 handshake.
struct Handshake {
    /// Where requests go.
    send: SendRequest<Bytes>,
    /// The PING's answer.
    answer: PingAnswer,
    /// The task driving the connection; it ends once every handle is gone.
    driver: JoinHandle<()>,
    /// When the handshake was sent.
    sent: Instant,
}

/// Drives the connection, and sends on `answered` whether the peer answered
/// the PING. The PING is awaited here, beside the connection, because h2
/// forgets a pong when the connection that read it is dropped: a peer that
/// sends its pong, a GOAWAY and FIN in one write ends the connection in the
/// same poll that reads the pong, so the pong is looked for once more before
/// the connection is dropped.
async fn drive(
    connection: h2::client::Connection<Box<dyn Io>, Bytes>,
    mut ping: h2::PingPong,
    answered: oneshot::Sender<Result<(), String>>,
) {
    let pong = ping.ping(h2::Ping::opaque());
    tokio::pin!(connection, pong);
    let ended = tokio::select! {
        biased;
        pong = &mut pong => {
            let _ = answered.send(pong.map(drop).map_err(|e| ServerText(e).to_string()));
            // Errors surface on the streams; nothing to do with this one.
            let _ = connection.await;
            return;
        }
        ended = &mut connection => ended,
    };
    let last_look = std::future::poll_fn(|cx| Poll::Ready(pong.as_mut().poll(cx))).await;
    let _ = answered.send(match (last_look, ended) {
        (Poll::Ready(Ok(_)), _) => Ok(()),
        (_, Err(e)) => Err(ServerText(e).to_string()),
        (_, Ok(())) => Err("the connection closed".to_owned()),
    });
}

/// Transport, TLS and the HTTP/2 handshake, each timed from the end of the
/// previous one (the first from `started`); the addresses share the time
/// until `deadline`. The connection itself is driven by a spawned task.
async fn handshake(
    target: &Target,
    tls: Option<&Tls>,
    started: Instant,
    deadline: Instant,
) -> Result<Handshake, String> {
    let stream = open_stream(target, deadline).await?;
    let mut phase_start = lap("transport connected", started);
    let io: Box<dyn Io> = match tls {
        Some(tls) => {
            let stream = tls_handshake(tls, stream).await?;
            phase_start = lap("tls handshake done", phase_start);
            stream
        }
        None => stream,
    };
    let (send, mut connection) = h2::client::Builder::new()
        .max_header_list_size(MAX_HEADER_LIST)
        .handshake(io)
        .await
        .map_err(|e| format!("http2 handshake failed: {}", ServerText(e)))?;
    let ping = connection.ping_pong().ok_or("http2 ping unavailable")?;
    let (answered, answer) = oneshot::channel();
    let driver = tokio::spawn(drive(connection, ping, answered));
    let hint = ping_hint(tls.is_some());
    let answer = Box::pin(async move {
        answer
            .await
            .unwrap_or_else(|_| Err("the connection's task ended".to_owned()))
            .map_err(|e| format!("peer did not answer an http2 ping ({hint}): {e}"))
    });
    let send = send
        .ready()
        .await
        .map_err(|e| format!("http2 connection not ready: {}", ServerText(e)))?;
    let handshake_sent = lap("http2 handshake sent", phase_start);
    Ok(Handshake {
        send,
        answer,
        driver,
        sent: handshake_sent,
    })
}

/// A TLS handshake in progress.
type TlsHandshake<'a> = Pin<Box<dyn Future<Output = Result<Box<dyn Io>, String>> + Send + 'a>>;

/// The TLS handshake over `stream`. Boxed and behind `dyn`: rustls's state
/// is several KiB, and inlined into [`handshake`] it would make every poll
/// of a plaintext connection touch those stack pages too.
fn tls_handshake<'a>(tls: &'a Tls, stream: Box<dyn Io>) -> TlsHandshake<'a> {
    Box::pin(async move {
        let connector = tokio_rustls::TlsConnector::from(tls.config.clone());
        let stream = connector
            .connect(tls.name.clone(), stream)
            .await
            .map_err(|e| format!("tls handshake failed: {e}{}", tls_hint(&e)))?;
        Ok(Box::new(stream) as Box<dyn Io>)
    })
}

/// Opens the byte stream, trying every address of a host name in turn.
async fn open_stream(target: &Target, deadline: Instant) -> Result<Box<dyn Io>, String> {
    match target {
        Target::Unix(path) => {
            let s = UnixStream::connect(path).await.map_err(|e| e.to_string())?;
            Ok(Box::new(s))
        }
        Target::Tcp { host, port } => {
            // IP literals and localhost skip the resolver: no blocking
            // thread, no NSS modules.
            let addrs: Vec<SocketAddr> = match (host.parse::<IpAddr>(), target.loopbacks()) {
                (Ok(ip), _) => vec![SocketAddr::new(ip, *port)],
                (Err(_), Some(ips)) => ips.map(|ip| SocketAddr::new(ip, *port)).to_vec(),
                (Err(_), None) => tokio::net::lookup_host((host.as_str(), *port))
                    .await
                    .map_err(|e| format!("cannot resolve {host:?}: {e}"))?
                    .collect(),
            };
            let mut last = format!("no addresses for {host:?}");
            for (tried, addr) in addrs.iter().enumerate() {
                // Each address left gets an even share of the time left, as
                // in Go's dialer, so one that never answers cannot starve
                // the next; the last one gets all of it.
                let left = u32::try_from(addrs.len() - tried).unwrap_or(u32::MAX);
                let share = deadline.saturating_duration_since(Instant::now()) / left;
                match tokio::time::timeout(share, TcpStream::connect(addr)).await {
                    Ok(Ok(s)) => {
                        // Small request and response: send them without delay.
                        let _ = s.set_nodelay(true);
                        return Ok(Box::new(s));
                    }
                    Ok(Err(e)) => last = format!("dial tcp {addr}: {e}"),
                    Err(_) => last = format!("dial tcp {addr}: i/o timeout"),
                }
            }
            Err(last)
        }
    }
}

/// What a TLS handshake that read garbage usually means: the port speaks
/// plaintext (an HTTP/2 server's first frame is no TLS record).
fn tls_hint(e: &std::io::Error) -> &'static str {
    let garbage = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .is_some_and(|e| matches!(e, rustls::Error::InvalidMessage(_)));
    if garbage {
        " (is it a plaintext port? drop -tls)"
    } else {
        ""
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

/// Prints how long the phase that began at `since` took; returns now, when
/// the next phase begins, so that the phases add up to the whole.
fn lap(phase: &str, since: Instant) -> Instant {
    let now = Instant::now();
    messages::took(phase, now - since);
    now
}
