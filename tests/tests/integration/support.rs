//! A real tonic server on `127.0.0.1:0` and a real client, plus waits with timeouts.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use grpc_health_checks::pb::health_client::HealthClient;
use grpc_health_checks::pb::{HealthCheckRequest, HealthCheckResponse};
use grpc_health_checks::{HealthChecks, HealthHandle, ServingStatus};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::transport::{Channel, Server};
use tonic::{Code, Streaming};

/// Generous bound for events that should take milliseconds.
pub(crate) const EVENT_TIMEOUT: Duration = Duration::from_secs(5);

/// A running health server.
pub(crate) struct TestServer {
    pub(crate) addr: SocketAddr,
    pub(crate) handle: HealthHandle,
    pub(crate) task: JoinHandle<Result<(), tonic::transport::Error>>,
}

/// Serves `checks` until the future made by `stop` from the handle completes.
pub(crate) async fn start_with<F>(
    checks: HealthChecks,
    stop: impl FnOnce(HealthHandle) -> F,
) -> TestServer
where
    F: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    let (health, handle) = checks.build();
    let task = tokio::spawn(
        Server::builder()
            .add_service(health)
            .serve_with_incoming_shutdown(TcpListenerStream::new(listener), stop(handle.clone())),
    );
    TestServer { addr, handle, task }
}

/// Serves `checks` until the test ends.
pub(crate) async fn start(checks: HealthChecks) -> TestServer {
    start_with(checks, |_| std::future::pending()).await
}

pub(crate) async fn client(addr: SocketAddr) -> HealthClient<Channel> {
    let channel = Channel::from_shared(format!("http://{addr}"))
        .expect("valid uri")
        .connect()
        .await
        .expect("connect to test server");
    HealthClient::new(channel)
}

fn request(service: &str) -> HealthCheckRequest {
    HealthCheckRequest {
        service: service.to_owned(),
    }
}

/// Check's answer: a status, or the gRPC code it failed with.
pub(crate) async fn check(
    client: &mut HealthClient<Channel>,
    service: &str,
) -> Result<ServingStatus, Code> {
    let mut call = tonic::Request::new(request(service));
    call.set_timeout(EVENT_TIMEOUT);
    client
        .check(call)
        .await
        .map(|response| response.into_inner().status())
        .map_err(|status| status.code())
}

pub(crate) async fn watch(
    client: &mut HealthClient<Channel>,
    service: &str,
) -> Streaming<HealthCheckResponse> {
    client
        .watch(request(service))
        .await
        .expect("watch starts")
        .into_inner()
}

/// The next Watch message, failing the test if none comes in time.
pub(crate) async fn next_status(stream: &mut Streaming<HealthCheckResponse>) -> ServingStatus {
    tokio::time::timeout(EVENT_TIMEOUT, stream.message())
        .await
        .expect("a watch message in time")
        .expect("stream still healthy")
        .expect("stream still open")
        .status()
}

/// Reads Watch messages until `wanted` arrives.
pub(crate) async fn wait_for(stream: &mut Streaming<HealthCheckResponse>, wanted: ServingStatus) {
    while next_status(stream).await != wanted {}
}

/// Polls `condition` every millisecond until it holds, failing after [`EVENT_TIMEOUT`].
pub(crate) async fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + EVENT_TIMEOUT;
    while !condition() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// Check with a caller's deadline: the answer must arrive within `deadline`
/// (sent as `grpc-timeout` too), or the test fails.
pub(crate) async fn check_within(
    client: &mut HealthClient<Channel>,
    service: &str,
    deadline: Duration,
) -> Result<ServingStatus, Code> {
    let mut call = tonic::Request::new(request(service));
    call.set_timeout(deadline);
    tokio::time::timeout(deadline, client.check(call))
        .await
        .unwrap_or_else(|_| panic!("Check({service:?}) missed its {deadline:?} deadline"))
        .map(|response| response.into_inner().status())
        .map_err(|status| status.code())
}

/// A server and a client joined by an in-memory pipe instead of TCP, so that
/// tests under `tokio::time::pause` see no real I/O waits.
pub(crate) async fn start_in_memory(checks: HealthChecks) -> (HealthHandle, HealthClient<Channel>) {
    let (client_io, server_io) = tokio::io::duplex(64 * 1024);
    let (health, handle) = checks.build();
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

/// A TCP relay between clients and `upstream` that can reset or freeze every
/// connection it carries, and records every byte sent back to clients.
pub(crate) struct Relay {
    pub(crate) addr: SocketAddr,
    /// Everything `upstream` sent to clients, in order per connection.
    pub(crate) downstream: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
    mode: tokio::sync::watch::Sender<RelayMode>,
}

/// What a [`Relay`] does with its connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RelayMode {
    Forward,
    /// Closes both sides with a TCP RST.
    Reset,
    /// Stops forwarding but keeps both sockets open: a peer that vanished
    /// without a FIN or RST (power loss, partition).
    Freeze,
}

impl Relay {
    pub(crate) async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let downstream = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (mode, modes) = tokio::sync::watch::channel(RelayMode::Forward);
        let recorded = downstream.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = tokio::net::TcpStream::connect(upstream).await else {
                    return;
                };
                tokio::spawn(relay(client, server, modes.clone(), recorded.clone()));
            }
        });
        Self {
            addr,
            downstream,
            mode,
        }
    }

    /// Closes every relayed connection with a TCP RST, on both sides.
    pub(crate) fn reset_all(&self) {
        self.mode.send_replace(RelayMode::Reset);
    }

    /// Stops forwarding on every connection, leaving the sockets open.
    pub(crate) fn freeze_all(&self) {
        self.mode.send_replace(RelayMode::Freeze);
    }
}

async fn relay(
    client: tokio::net::TcpStream,
    server: tokio::net::TcpStream,
    mut mode: tokio::sync::watch::Receiver<RelayMode>,
    recorded: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let stopped = {
        let upstream = async {
            let mut buffer = vec![0; 16 * 1024];
            while let Ok(read @ 1..) = client_read.read(&mut buffer).await {
                if server_write.write_all(&buffer[..read]).await.is_err() {
                    break;
                }
            }
            let _ = server_write.shutdown().await;
        };
        let downstream = async {
            let mut buffer = vec![0; 16 * 1024];
            while let Ok(read @ 1..) = server_read.read(&mut buffer).await {
                if let Ok(mut bytes) = recorded.lock() {
                    bytes.extend_from_slice(&buffer[..read]);
                }
                if client_write.write_all(&buffer[..read]).await.is_err() {
                    break;
                }
            }
            let _ = client_write.shutdown().await;
        };
        tokio::select! {
            () = async { tokio::join!(upstream, downstream); } => None,
            mode = mode.wait_for(|mode| *mode != RelayMode::Forward) => mode.ok().map(|mode| *mode),
        }
    };
    if stopped == Some(RelayMode::Freeze) {
        // Hold both sockets, silent, until told to reset or the relay is dropped.
        let _ = mode.wait_for(|mode| *mode == RelayMode::Reset).await;
    }
    if stopped.is_some() {
        // SO_LINGER 0 turns the close into an RST.
        let client = client_read.reunite(client_write).expect("same socket");
        let server = server_read.reunite(server_write).expect("same socket");
        for socket in [&client, &server] {
            socket.set_zero_linger().expect("set SO_LINGER 0");
        }
    }
}
