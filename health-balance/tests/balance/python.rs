//! Interop with peers that are not this project: grpcio servers with
//! grpcio-health-checking (flipped by signal), a grpcio server with no
//! health service, and a grpcio client with A17's `healthCheckConfig`
//! balancing over three servers that count the RPCs they answer.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use examples::greeter::{Greeter, GreeterServer, HelloGreeter, HelloReply, HelloRequest};
use grpc_health_balance::BackendState;
use grpc_health_checks::HealthChecks;
use nix::sys::signal::Signal;
use test_support::daemon::Daemon;
use test_support::eventually;
use test_support::server::Stop;
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::{Request, Response, Status};

use crate::support::{GREETER, channel, say_hello, spread, wait_state};

/// python3 with grpcio and grpcio-health-checking, installed if missing.
fn python() -> PathBuf {
    test_support::system::require_python_modules(
        &["grpc", "grpc_health.v1.health"],
        &["grpcio", "grpcio-health-checking"],
    )
}

fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/balance/python")
        .join(name)
}

/// A grpcio server: `listening on ADDR` gives its address.
fn python_server(args: &[&str]) -> (Daemon, SocketAddr) {
    let mut command = Command::new(python());
    command.arg(script("server.py")).args(args);
    let server = Daemon::start("grpcio server", command, "listening on ");
    let addr = server
        .log()
        .lines()
        .find_map(|line| line.strip_prefix("listening on "))
        .and_then(|addr| addr.parse().ok())
        .expect("the server prints its address");
    (server, addr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpcio_servers_flipped_to_not_serving_get_no_rpc() {
    let servers: Vec<_> = (0..3).map(|_| python_server(&[])).collect();
    let target = servers
        .iter()
        .map(|(_, addr)| addr.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let channel = channel(&target);
    for (_, addr) in &servers {
        wait_state(&channel, *addr, BackendState::Serving).await;
    }
    assert_eq!(spread(&channel, 300).await.len(), 3);

    let (flipped, out) = (&servers[0].0, servers[0].1);
    flipped.signal(Signal::SIGUSR1);
    wait_state(&channel, out, BackendState::NotServing).await;
    let counts = spread(&channel, 300).await;
    assert_eq!(counts.get(&out), None, "{counts:?}");

    flipped.signal(Signal::SIGUSR2);
    wait_state(&channel, out, BackendState::Serving).await;
    assert!(spread(&channel, 300).await.contains_key(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grpcio_server_without_health_service_counts_as_healthy() {
    let (_server, addr) = python_server(&["--no-health"]);
    let channel = channel(&addr.to_string());
    assert_eq!(say_hello(&channel).await.expect("served"), addr);
    assert_eq!(
        channel.snapshot().state_of(addr),
        Some(BackendState::NoHealthService)
    );
}

/// The greeter, counting the RPCs it answers.
#[derive(Debug, Clone, Default)]
struct CountingGreeter(Arc<AtomicUsize>);

#[tonic::async_trait]
impl Greeter for CountingGreeter {
    async fn say_hello(
        &self,
        request: Request<HelloRequest>,
    ) -> Result<Response<HelloReply>, Status> {
        self.0.fetch_add(1, Ordering::Relaxed);
        HelloGreeter.say_hello(request).await
    }
}

/// An in-process backend: a health service whose greeter status the test
/// sets, and a counting greeter.
struct Counted {
    addr: SocketAddr,
    health: grpc_health_checks::HealthHandle,
    answered: Arc<AtomicUsize>,
    _stop: Stop,
}

impl Counted {
    async fn start() -> Self {
        let (health, handle) = HealthChecks::new()
            .build()
            .expect("valid health configuration");
        handle.set_serving(GREETER).expect("a valid service name");
        let greeter = CountingGreeter::default();
        let answered = greeter.0.clone();
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("a local address");
        let (stop, stopped) = Stop::new();
        tokio::spawn(
            tonic::transport::Server::builder()
                .add_service(health)
                .add_service(GreeterServer::new(greeter))
                .serve_with_incoming_shutdown(TcpListenerStream::new(listener), stopped),
        );
        Self {
            addr,
            health: handle,
            answered,
            _stop: stop,
        }
    }

    fn answered(&self) -> usize {
        self.answered.load(Ordering::Relaxed)
    }
}

/// Waits until `backends` together answered `more` further RPCs.
async fn wait_for_more(backends: &[&Counted], more: usize) {
    let total = || {
        backends
            .iter()
            .map(|backend| backend.answered())
            .sum::<usize>()
    };
    let target = total() + more;
    eventually(&format!("{more} more RPCs"), || total() >= target).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grpcio_client_with_health_check_config_stops_sending_to_a_not_serving_backend() {
    let backends = [
        Counted::start().await,
        Counted::start().await,
        Counted::start().await,
    ];
    let mut command = Command::new(python());
    command
        .arg(script("client.py"))
        .args(backends.iter().map(|backend| backend.addr.to_string()));
    // The servers run on this runtime: let its worker go while the client starts.
    let client =
        tokio::task::block_in_place(|| Daemon::start("grpcio client", command, "client started"));
    for backend in &backends {
        eventually("the client to reach every backend", || {
            backend.answered() > 0
        })
        .await;
    }

    backends[0]
        .health
        .set_not_serving(GREETER)
        .expect("a valid service name");
    let others = [&backends[1], &backends[2]];
    // The first 500 cover the Watch message's way to the client.
    wait_for_more(&others, 500).await;
    let frozen = backends[0].answered();
    wait_for_more(&others, 500).await;
    assert_eq!(
        backends[0].answered(),
        frozen,
        "RPCs reached the NOT_SERVING backend"
    );

    backends[0]
        .health
        .set_serving(GREETER)
        .expect("a valid service name");
    eventually("the client to send to it again", || {
        backends[0].answered() > frozen
    })
    .await;

    client.signal(Signal::SIGTERM);
    let status = client.exited().await;
    let log = client.log();
    assert!(status.success(), "{status}: {log}");
    assert!(log.contains(" failed=0"), "{log}");
}
