//! Serving [`AdminService`] on a TCP listener with hyper's HTTP/1.1 server:
//! [`serve`] and the [`Serve`] future that holds the serving settings.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::future::BoxFuture;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;

use super::AdminService;
use crate::incoming::Incoming;

/// How long a client may take to send its request headers unless set with
/// [`Serve::header_read_timeout`].
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// The most a request head (request line and headers) may take; hyper's
/// minimum. A longer head is answered 431 by hyper before it is read whole,
/// so no connection makes the server buffer more.
const MAX_HEAD_BYTES: usize = 16 * 1024;

/// Serves `service` on every connection `listener` accepts: a [`Serve`]
/// future, which never completes; spawn it next to the gRPC server, or
/// `.await` it.
///
/// Each connection is HTTP/1.1 with keep-alive, closed when its client takes
/// longer than the header read timeout to send a request's headers. Accepting
/// pauses while it fails (out of file descriptors, say), as
/// [`Incoming`] does for the gRPC listener.
pub fn serve(listener: TcpListener, service: AdminService) -> Serve {
    Serve {
        unstarted: Some((listener, service)),
        header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
        running: None,
    }
}

/// The admin server from [`serve`], with its settings; it starts serving
/// when first polled.
#[must_use = "futures do nothing unless polled or spawned"]
pub struct Serve {
    unstarted: Option<(TcpListener, AdminService)>,
    header_read_timeout: Duration,
    running: Option<BoxFuture<'static, ()>>,
}

impl fmt::Debug for Serve {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Serve")
            .field("header_read_timeout", &self.header_read_timeout)
            .field("started", &self.running.is_some())
            .finish_non_exhaustive()
    }
}

impl Serve {
    /// How long a client may take to send a request's headers before its
    /// connection is closed (default 10 s), so that a client that connects and
    /// stays silent, or trickles its headers, cannot hold a connection forever.
    pub const fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }
}

impl Future for Serve {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        if let Some((listener, service)) = this.unstarted.take() {
            this.running = Some(Box::pin(accept(
                listener,
                service,
                this.header_read_timeout,
            )));
        }
        match &mut this.running {
            Some(running) => running.as_mut().poll(cx),
            None => Poll::Pending,
        }
    }
}

/// Accepts connections for ever, each served on its own task.
async fn accept(listener: TcpListener, service: AdminService, header_read_timeout: Duration) {
    let mut incoming = Incoming::new(listener);
    loop {
        let (stream, peer) = incoming.accept().await;
        let service = service.clone();
        tokio::spawn(async move {
            let handler = hyper::service::service_fn(move |mut request: http::Request<_>| {
                request.extensions_mut().insert(super::PeerAddr(peer));
                std::future::ready(Ok::<_, Infallible>(service.respond(&request)))
            });
            let result = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(header_read_timeout)
                .max_buf_size(MAX_HEAD_BYTES)
                .serve_connection(TokioIo::new(stream), handler)
                .await;
            if let Err(error) = result {
                tracing::debug!(%error, %peer, "admin connection ended with an error");
            }
        });
    }
}
