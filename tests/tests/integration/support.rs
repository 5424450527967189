//! A real tonic server on `127.0.0.1:0` and a real client, plus waits with timeouts.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use health_lib::pb::health_client::HealthClient;
use health_lib::pb::{HealthCheckRequest, HealthCheckResponse};
use health_lib::{HealthChecks, HealthHandle, ServingStatus};
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
