//! In-process health servers: on `127.0.0.1:0`, on any stream of connections
//! (unix sockets, TLS), or joined to a client by an in-memory pipe so that
//! tests under `tokio::time::pause` see no real I/O waits.

use std::future::Future;
use std::net::SocketAddr;

use grpc_health_checks::{HealthChecks, HealthHandle};
use grpc_health_proto::pb::health_client::HealthClient;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_stream::Stream;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::transport::server::Connected;
use tonic::transport::{Channel, Server};

/// Stops the server it came with when dropped.
#[derive(Debug)]
pub struct Stop(#[allow(dead_code)] oneshot::Sender<()>);

impl Stop {
    /// A stopper and the future that completes once it is dropped.
    pub fn new() -> (Self, impl Future<Output = ()> + Send + 'static) {
        let (stop, stopped) = oneshot::channel::<()>();
        (Self(stop), async {
            let _ = stopped.await;
        })
    }
}

/// A health server on a loopback port; stops when dropped.
#[derive(Debug)]
pub struct TestServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The handle of its health service.
    pub handle: HealthHandle,
    /// The serving task: it ends when the server has shut down.
    pub task: JoinHandle<Result<(), tonic::transport::Error>>,
    _stop: Stop,
}

/// Serves `checks` on `127.0.0.1:0` until the returned server is dropped.
pub async fn start(checks: HealthChecks) -> TestServer {
    start_with(checks, |_| std::future::pending()).await
}

/// Serves `checks` on `127.0.0.1:0` until the future that `shutdown` makes from
/// the handle completes (a drain, say) or the returned server is dropped.
pub async fn start_with<F>(
    checks: HealthChecks,
    shutdown: impl FnOnce(HealthHandle) -> F,
) -> TestServer
where
    F: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local address");
    let (health, handle) = checks.build().expect("valid health configuration");
    let (stop, stopped) = Stop::new();
    let shutdown = shutdown(handle.clone());
    let task = tokio::spawn(
        Server::builder()
            .add_service(health)
            .serve_with_incoming_shutdown(TcpListenerStream::new(listener), async move {
                tokio::select! {
                    () = shutdown => {}
                    () = stopped => {}
                }
            }),
    );
    TestServer {
        addr,
        handle,
        task,
        _stop: stop,
    }
}

/// Serves `checks` on the given connections until the returned [`Stop`] is dropped.
pub fn serve_incoming<S, IO, E>(checks: HealthChecks, incoming: S) -> (HealthHandle, Stop)
where
    S: Stream<Item = Result<IO, E>> + Send + 'static,
    IO: Connected + AsyncRead + AsyncWrite + Unpin + Send + 'static,
    E: Into<Box<dyn std::error::Error + Send + Sync>> + Send + 'static,
{
    let (health, handle) = checks.build().expect("valid health configuration");
    let (stop, stopped) = Stop::new();
    tokio::spawn(
        Server::builder()
            .add_service(health)
            .serve_with_incoming_shutdown(incoming, stopped),
    );
    (handle, stop)
}

/// A server and a client joined by an in-memory pipe instead of TCP.
pub async fn start_in_memory(checks: HealthChecks) -> (HealthHandle, HealthClient<Channel>) {
    let (client_io, server_io) = tokio::io::duplex(64 * 1024);
    let (health, handle) = checks.build().expect("valid health configuration");
    tokio::spawn(
        Server::builder()
            .add_service(health)
            .serve_with_incoming(tokio_stream::once(Ok::<_, std::io::Error>(server_io))),
    );
    let client_io = std::sync::Mutex::new(Some(client_io));
    let channel = tonic::transport::Endpoint::from_static("http://in-memory")
        .connect_with_connector(tower::service_fn(move |_: tonic::transport::Uri| {
            let io = client_io
                .lock()
                .ok()
                .and_then(|mut io| io.take())
                .ok_or_else(|| std::io::Error::other("the in-memory pipe connects once"));
            async move { io.map(hyper_util::rt::TokioIo::new) }
        }))
        .await
        .expect("connect over the in-memory pipe");
    (handle, HealthClient::new(channel))
}
