//! The Check servers under test, each on its own `127.0.0.1:0` listener in
//! this process: health-lib with cached checks, tonic-health with the status
//! set, and naive evaluation; and health-lib's admin HTTP endpoints.

use std::net::SocketAddr;
use std::time::Duration;

use grpc_health_checks::admin::AdminService;
use grpc_health_checks::{Check, HealthChecks};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_stream::wrappers::TcpListenerStream;
use tokio_stream::{Stream, StreamExt};
use tonic::service::Routes;
use tonic::transport::Server;

use crate::Result;
use crate::dependency::Dependency;
use crate::naive::NaiveHealth;

/// A server running on this process's runtime; stopped when dropped.
#[derive(Debug)]
pub(crate) struct Running {
    /// Where it listens.
    pub(crate) addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serves `routes` on a fresh `127.0.0.1:0` listener.
pub(crate) async fn serve(routes: Routes) -> Result<Running> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let served = Server::builder()
        .add_routes(routes)
        .serve_with_incoming(incoming(listener));
    Ok(spawn(addr, served))
}

/// Runs the server future `served` (listening on `addr`) as a task that
/// reports its failure.
pub(crate) fn spawn(
    addr: SocketAddr,
    served: impl Future<Output = Result<(), tonic::transport::Error>> + Send + 'static,
) -> Running {
    let task = tokio::spawn(async move {
        if let Err(error) = served.await {
            eprintln!("bench: server on {addr} failed: {error}");
        }
    });
    Running { addr, task }
}

/// The connections `listener` accepts, with `TCP_NODELAY` set as tonic's own
/// `serve(addr)` does: without it, small responses can wait for a delayed ACK.
pub(crate) fn incoming(
    listener: TcpListener,
) -> impl Stream<Item = std::io::Result<TcpStream>> + Send + 'static {
    TcpListenerStream::new(listener).map(|accepted| {
        accepted.inspect(|stream| {
            let _ = stream.set_nodelay(true);
        })
    })
}

/// Serves the admin HTTP endpoints of `service` on a fresh `127.0.0.1:0`
/// listener, as health-demo's `--admin-addr` does.
pub(crate) async fn serve_admin(service: AdminService) -> Result<Running> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(grpc_health_checks::admin::serve(listener, service));
    Ok(Running { addr, task })
}

/// health-lib's builder: each dependency is an async readiness check run
/// every `interval`.
pub(crate) fn checks(dependencies: &[Dependency], interval: Duration) -> HealthChecks {
    dependencies.iter().enumerate().fold(
        HealthChecks::new().interval(interval),
        |checks, (index, dependency)| {
            let dependency = dependency.clone();
            checks.check(Check::new_async(format!("dependency-{index}"), move || {
                let dependency = dependency.clone();
                async move { dependency.call().await }
            }))
        },
    )
}

/// health-lib with [`checks`]; Check answers from the cached result.
pub(crate) fn grpc_health_checks(
    dependencies: &[Dependency],
    interval: Duration,
) -> Result<Routes> {
    let (server, _handle) = checks(dependencies, interval).build()?;
    Ok(Routes::new(server))
}

/// tonic-health's `HealthService`, with `""` set to SERVING.
pub(crate) async fn tonic_health() -> Routes {
    let (reporter, server) = tonic_health::server::health_reporter();
    reporter
        .set_service_status("", tonic_health::ServingStatus::Serving)
        .await;
    Routes::new(server)
}

/// Naive evaluation: every Check call calls every dependency.
pub(crate) fn naive(dependencies: Vec<Dependency>) -> Routes {
    Routes::new(grpc_health_checks::pb::health_server::HealthServer::new(
        NaiveHealth::new(dependencies),
    ))
}
