//! [`Incoming`]: the connections a TCP listener accepts, for tonic's
//! `serve_with_incoming(_shutdown)` and the admin server, without spinning
//! when accepting fails.
//!
//! Out of file descriptors (EMFILE, ENFILE) or kernel memory (ENOBUFS,
//! ENOMEM), `accept` fails at once for as long as the condition lasts. tonic's
//! own `TcpIncoming` yields each such error and tonic's accept loop retries at
//! once, so a server out of descriptors burns a core on failed `accept4` calls
//! until some connection closes. [`Incoming`] pauses instead.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use futures::Stream;
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Sleep;

/// The pause after a failed accept unless set with [`Incoming::backoff`].
pub const DEFAULT_ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// The connections `listener` accepts, with `TCP_NODELAY` set (probe answers
/// are small and must not wait for Nagle's delay).
///
/// A failed accept never reaches the server: an error of one connection (it
/// was reset or aborted before it was accepted) is skipped, and any other
/// error (EMFILE, ENFILE, ENOBUFS, ENOMEM, …) is logged once as a warning and
/// retried every [`backoff`](Incoming::backoff) (default 100 ms) until a
/// connection is accepted again, which is logged too. As a `Stream` it
/// therefore never yields an error and never ends.
///
/// ```no_run
/// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use grpc_health_checks::{HealthChecks, incoming::Incoming};
///
/// let (health, _handle) = HealthChecks::new().build()?;
/// let listener = tokio::net::TcpListener::bind("0.0.0.0:50051").await?;
/// tonic::transport::Server::builder()
///     .add_service(health)
///     .serve_with_incoming(Incoming::new(listener))
///     .await?;
/// # Ok(()) }
/// ```
pub struct Incoming {
    listener: TcpListener,
    backoff: Duration,
    /// The pause under way after a failed accept.
    pause: Option<Pin<Box<Sleep>>>,
    /// Failed accepts since the last accepted connection.
    failures: u64,
}

impl fmt::Debug for Incoming {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Incoming")
            .field("listener", &self.listener)
            .field("backoff", &self.backoff)
            .field("failures", &self.failures)
            .finish_non_exhaustive()
    }
}

/// What to do after a failed accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Next {
    /// Only that connection failed: accept the next one at once.
    Skip,
    /// The listener or the process is short of something: wait, then retry.
    Pause,
}

fn after(error: &io::Error) -> Next {
    match error.kind() {
        io::ErrorKind::ConnectionAborted
        | io::ErrorKind::ConnectionReset
        | io::ErrorKind::BrokenPipe
        | io::ErrorKind::TimedOut
        | io::ErrorKind::Interrupted
        | io::ErrorKind::WouldBlock => Next::Skip,
        _ => Next::Pause,
    }
}

impl Incoming {
    /// Accepts from `listener`, pausing [`DEFAULT_ACCEPT_BACKOFF`] after a failure.
    pub fn new(listener: TcpListener) -> Self {
        Self {
            listener,
            backoff: DEFAULT_ACCEPT_BACKOFF,
            pause: None,
            failures: 0,
        }
    }

    /// The pause between accept attempts while accepting fails (default
    /// 100 ms): a bound on how often a starved server retries, and on how
    /// late it notices that descriptors are free again.
    #[must_use]
    pub fn backoff(mut self, backoff: Duration) -> Self {
        self.backoff = backoff;
        self
    }

    /// The address the listener is bound to.
    ///
    /// # Errors
    ///
    /// As [`TcpListener::local_addr`].
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The next connection and its peer's address.
    pub async fn accept(&mut self) -> (TcpStream, SocketAddr) {
        std::future::poll_fn(|cx| self.poll_accept(cx)).await
    }

    /// Polls for the next connection; pending while paused after a failure.
    pub fn poll_accept(&mut self, cx: &mut Context<'_>) -> Poll<(TcpStream, SocketAddr)> {
        loop {
            if let Some(pause) = &mut self.pause {
                ready!(pause.as_mut().poll(cx));
                self.pause = None;
            }
            match ready!(self.listener.poll_accept(cx)) {
                Ok((stream, peer)) => {
                    self.accepted();
                    if let Err(error) = stream.set_nodelay(true) {
                        tracing::debug!(%error, %peer, "cannot set TCP_NODELAY");
                    }
                    return Poll::Ready((stream, peer));
                }
                Err(error) => self.failed(&error),
            }
        }
    }

    fn failed(&mut self, error: &io::Error) {
        if after(error) == Next::Skip {
            tracing::debug!(%error, "a connection failed before it was accepted");
            return;
        }
        self.failures += 1;
        if self.failures == 1 {
            tracing::warn!(
                %error,
                backoff = ?self.backoff,
                "cannot accept connections; retrying every backoff until it can"
            );
        }
        self.pause = Some(Box::pin(tokio::time::sleep(self.backoff)));
    }

    fn accepted(&mut self) {
        if self.failures > 0 {
            tracing::info!(
                failed_attempts = self.failures,
                "accepting connections again"
            );
            self.failures = 0;
        }
    }
}

impl Stream for Incoming {
    type Item = Result<TcpStream, Infallible>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut()
            .poll_accept(cx)
            .map(|(stream, _peer)| Some(Ok(stream)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt as _;

    #[test]
    fn errors_of_one_connection_are_skipped_and_others_pause() {
        for kind in [
            io::ErrorKind::ConnectionAborted,
            io::ErrorKind::ConnectionReset,
            io::ErrorKind::Interrupted,
        ] {
            assert_eq!(after(&io::Error::from(kind)), Next::Skip, "{kind:?}");
        }
        // EMFILE, ENFILE, ENOBUFS, ENOMEM on Linux.
        for errno in [24, 23, 105, 12] {
            let error = io::Error::from_raw_os_error(errno);
            assert_eq!(after(&error), Next::Pause, "{error}");
        }
    }

    #[tokio::test]
    async fn accepted_connections_come_with_nodelay() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let mut incoming = Incoming::new(listener);
        let addr = incoming.local_addr().expect("bound");
        let client = TcpStream::connect(addr).await.expect("connect");
        let Ok(accepted) = incoming.next().await.expect("the stream never ends");
        assert!(accepted.nodelay().expect("readable option"));
        assert_eq!(
            accepted.peer_addr().expect("peer"),
            client.local_addr().expect("local")
        );
        drop(client);
        let _client = TcpStream::connect(addr).await.expect("connect");
        let (_, peer) = incoming.accept().await;
        assert!(peer.ip().is_loopback());
    }

    /// A paused accept resumes by itself after the backoff: the pause is a
    /// timer, not a wait for another connection.
    #[tokio::test(start_paused = true)]
    async fn a_failure_pauses_accepting_for_the_backoff() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let mut incoming = Incoming::new(listener).backoff(Duration::from_secs(5));
        let addr = incoming.local_addr().expect("bound");
        incoming.failed(&io::Error::from_raw_os_error(24));
        assert_eq!(incoming.failures, 1);
        let _client = TcpStream::connect(addr).await.expect("connect");
        let started = tokio::time::Instant::now();
        let _ = incoming.accept().await;
        assert!(started.elapsed() >= Duration::from_secs(5));
        assert_eq!(incoming.failures, 0, "reset by the accepted connection");
    }
}
