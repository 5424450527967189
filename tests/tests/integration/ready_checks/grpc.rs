//! `grpc_health_contrib::grpc` (an upstream's health followed through Watch): against
//! health-demo processes for the demo's `--upstream`, and in process to see
//! the reasons, the Watch stream itself, and the fallback to Check polling.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use grpc_health_checks::ServingStatus::{NotServing, Serving};
use grpc_health_checks::pb::health_server::{Health, HealthServer};
use grpc_health_checks::pb::{
    HealthCheckRequest, HealthCheckResponse, HealthListRequest, HealthListResponse,
};
use grpc_health_checks::{Check, HealthChecks, ServingStatus};
use grpc_health_contrib::grpc::UpstreamCheck;
use test_support::demo::Demo;
use test_support::health::{client, wait_for, watch};
use test_support::server::start;
use test_support::{eventually, process};
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::{Request, Response, Status};

use super::harness::Evaluated;

/// The upstream going NOT_SERVING fails the check, naming it; SERVING again passes it.
async fn follows_a_flip(up: &AtomicBool, evaluated: &Evaluated, addr: SocketAddr) {
    up.store(false, Ordering::SeqCst);
    evaluated
        .fails_with(&[&format!("upstream {addr} service \"\" is NOT_SERVING")])
        .await;
    up.store(true, Ordering::SeqCst);
    evaluated.passes().await;
}

/// health-demo `--upstream`: a flip of the upstream's ready file reaches the
/// downstream's readiness, and a restart of the upstream on its port is survived.
#[tokio::test]
async fn demo_readiness_follows_its_upstream_and_survives_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ready = dir.path().join("ready");
    let ready_arg = ready.to_string_lossy().into_owned();
    std::fs::write(&ready, b"").expect("create the ready file");
    let fast = ["--interval", "20ms", "--drain-delay", "0s"];
    let upstream_args = [&["--ready-file", &ready_arg][..], &fast].concat();
    let upstream = Demo::start(&upstream_args);
    let upstream_addr = upstream.addr().to_owned();
    let downstream = Demo::start(&[&["--upstream", &upstream_addr][..], &fast].concat());
    let mut downstream_health = client(downstream.addr()).await;
    let mut readiness = watch(&mut downstream_health, "readiness").await;
    wait_for(&mut readiness, Serving).await;

    std::fs::remove_file(&ready).expect("remove the ready file");
    wait_for(&mut readiness, NotServing).await;
    std::fs::write(&ready, b"").expect("create the ready file");
    wait_for(&mut readiness, Serving).await;

    upstream.terminate();
    assert!(upstream.exited().await.success());
    wait_for(&mut readiness, NotServing).await;
    let restarted = Demo::start(&[&["--addr", &upstream_addr][..], &upstream_args].concat());
    assert_eq!(restarted.addr(), upstream_addr, "the same port");
    wait_for(&mut readiness, Serving).await;
}

/// In process: the reasons, one Watch stream open on the upstream while the
/// check lives, and none once it is dropped.
#[tokio::test]
async fn follows_through_one_watch_names_the_status_and_stops_when_dropped() {
    let up = Arc::new(AtomicBool::new(true));
    let flag = up.clone();
    let upstream = start(
        HealthChecks::new()
            .interval(std::time::Duration::from_millis(20))
            .check(Check::new("dependency", move || {
                flag.load(Ordering::SeqCst)
            })),
    )
    .await;
    let addr = upstream.addr;
    let evaluated = Evaluated::start(
        UpstreamCheck::new(&addr.to_string())
            .expect("address")
            .into_check(),
    );
    evaluated.passes().await;
    eventually("one Watch on the upstream", || {
        upstream.handle.watcher_count() == 1
    })
    .await;

    follows_a_flip(&up, &evaluated, addr).await;
    assert_eq!(
        upstream.handle.watcher_count(),
        1,
        "still the same single stream"
    );

    drop(evaluated);
    eventually("the Watch to close once the check is dropped", || {
        upstream.handle.watcher_count() == 0
    })
    .await;
}

/// Nothing listening: the reason says why; once a server comes up on the
/// port, the backoff reconnects.
#[tokio::test]
async fn unreachable_upstream_is_named_and_reconnected_to() {
    let port = process::free_port();
    let addr = format!("127.0.0.1:{port}");
    let evaluated = Evaluated::start(UpstreamCheck::new(&addr).expect("address").into_check());
    evaluated
        .fails_with(&[
            &format!("upstream {addr} unreachable: "),
            "Connection refused",
        ])
        .await;
    let _upstream = Demo::start(&["--addr", &addr]);
    evaluated.passes().await;
}

/// An upstream whose Health service has Check but no Watch.
struct CheckOnly(Arc<AtomicBool>);

#[tonic::async_trait]
impl Health for CheckOnly {
    async fn check(
        &self,
        _request: Request<HealthCheckRequest>,
    ) -> Result<Response<HealthCheckResponse>, Status> {
        let status = if self.0.load(Ordering::SeqCst) {
            Serving
        } else {
            NotServing
        };
        Ok(Response::new(HealthCheckResponse {
            status: status.into(),
        }))
    }

    async fn list(
        &self,
        _request: Request<HealthListRequest>,
    ) -> Result<Response<HealthListResponse>, Status> {
        Err(Status::unimplemented("no List"))
    }

    type WatchStream = tokio_stream::Empty<Result<HealthCheckResponse, Status>>;

    async fn watch(
        &self,
        _request: Request<HealthCheckRequest>,
    ) -> Result<Response<Self::WatchStream>, Status> {
        Err(Status::unimplemented("no Watch"))
    }
}

async fn serve_check_only(up: Arc<AtomicBool>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(HealthServer::new(CheckOnly(up)))
            .serve_with_incoming(TcpListenerStream::new(listener)),
    );
    addr
}

#[tokio::test]
async fn falls_back_to_polling_check_where_watch_is_unimplemented() {
    let up = Arc::new(AtomicBool::new(true));
    let addr = serve_check_only(up.clone()).await;
    let check = UpstreamCheck::new(&addr.to_string())
        .expect("address")
        .poll_interval(std::time::Duration::from_millis(20))
        .into_check();
    let evaluated = Evaluated::start(check);
    evaluated.passes().await;
    follows_a_flip(&up, &evaluated, addr).await;
    assert_eq!(
        ServingStatus::Serving,
        evaluated
            .handle()
            .status("readiness")
            .expect("readiness is served")
    );
}
