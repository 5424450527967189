//! An in-process backend for drain tests: its greeter holds every RPC
//! named `hold` until released and counts the RPCs it receives, and it
//! counts the connections it accepted and still has open.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use examples::greeter::{Greeter, GreeterServer, HelloGreeter, HelloReply, HelloRequest};
use grpc_health_checks::{HealthChecks, HealthHandle};
use test_support::HANG_GUARD;
use test_support::server::Stop;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::transport::server::{Connected, TcpConnectInfo};
use tonic::{Request, Response, Status};

use crate::support::GREETER;

/// Connections the server accepted, and how many of them are still open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Connections {
    pub(crate) accepted: usize,
    pub(crate) open: usize,
}

/// The greeter: counts, and holds `hold` RPCs until released.
#[derive(Clone)]
struct HoldingGreeter {
    received: Arc<AtomicUsize>,
    held: watch::Sender<usize>,
    release: watch::Receiver<bool>,
}

#[tonic::async_trait]
impl Greeter for HoldingGreeter {
    async fn say_hello(
        &self,
        request: Request<HelloRequest>,
    ) -> Result<Response<HelloReply>, Status> {
        self.received.fetch_add(1, Ordering::Relaxed);
        if request.get_ref().name == "hold" {
            self.held.send_modify(|held| *held += 1);
            let mut release = self.release.clone();
            // An error means the test is gone: answer anyway.
            let _ = release.wait_for(|released| *released).await;
        }
        HelloGreeter.say_hello(request).await
    }
}

/// A server connection that counts itself open until the server drops it.
struct Tracked {
    stream: TcpStream,
    connections: watch::Sender<Connections>,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.connections.send_modify(|count| count.open -= 1);
    }
}

impl Connected for Tracked {
    type ConnectInfo = TcpConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.stream.connect_info()
    }
}

impl AsyncRead for Tracked {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

/// The backend; stops when dropped.
pub(crate) struct Holding {
    pub(crate) addr: SocketAddr,
    received: Arc<AtomicUsize>,
    held: watch::Receiver<usize>,
    release: watch::Sender<bool>,
    connections: watch::Receiver<Connections>,
    _health: HealthHandle,
    _stop: Stop,
}

impl Holding {
    /// Starts it on `127.0.0.1:0`, its greeter SERVING.
    pub(crate) async fn start() -> Self {
        let (health, handle) = HealthChecks::new()
            .build()
            .expect("valid health configuration");
        handle.set_serving(GREETER).expect("a valid service name");
        let (held_tx, held) = watch::channel(0);
        let (release, release_rx) = watch::channel(false);
        let greeter = HoldingGreeter {
            received: Arc::default(),
            held: held_tx,
            release: release_rx,
        };
        let received = greeter.received.clone();
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("a local address");
        let (counter, connections) = watch::channel(Connections::default());
        let incoming = TcpListenerStream::new(listener).map(move |stream| {
            stream.map(|stream| {
                counter.send_modify(|count| {
                    count.accepted += 1;
                    count.open += 1;
                });
                Tracked {
                    stream,
                    connections: counter.clone(),
                }
            })
        });
        let (stop, stopped) = Stop::new();
        tokio::spawn(
            tonic::transport::Server::builder()
                .add_service(health)
                .add_service(GreeterServer::new(greeter))
                .serve_with_incoming_shutdown(incoming, stopped),
        );
        Self {
            addr,
            received,
            held,
            release,
            connections,
            _health: handle,
            _stop: stop,
        }
    }

    /// RPCs received so far, held ones included.
    pub(crate) fn received(&self) -> usize {
        self.received.load(Ordering::Relaxed)
    }

    pub(crate) fn connections(&self) -> Connections {
        *self.connections.borrow()
    }

    /// Waits until `n` RPCs are being held.
    pub(crate) async fn wait_held(&self, n: usize) {
        let mut held = self.held.clone();
        let waited = tokio::time::timeout(HANG_GUARD, held.wait_for(|held| *held >= n)).await;
        assert!(matches!(waited, Ok(Ok(_))), "{}: {n} held RPCs", self.addr);
    }

    /// Lets every held RPC (and any later `hold`) answer.
    pub(crate) fn release(&self) {
        self.release.send_replace(true);
    }

    /// Waits until it has no open connection.
    pub(crate) async fn wait_closed(&self) {
        let mut connections = self.connections.clone();
        let waited =
            tokio::time::timeout(HANG_GUARD, connections.wait_for(|count| count.open == 0)).await;
        assert!(
            matches!(waited, Ok(Ok(_))),
            "{}: its connections are still open: {:?}",
            self.addr,
            self.connections()
        );
    }
}
