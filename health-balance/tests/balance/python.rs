//! Interop with peers that are not this project: grpcio servers with
//! grpcio-health-checking (flipped by signal), a grpcio server with no
//! health service, and a grpcio client with A17's `healthCheckConfig`
//! balancing over three health-demo backends, counted by their `/metrics`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;

use grpc_health_balance::BackendState;
use grpc_health_checks::ServingStatus;
use nix::sys::signal::Signal;
use test_support::daemon::Daemon;

use crate::support::{
    GREETER, backends, channel, poll_until, say_hello, spread, wait_handled, wait_state,
};

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grpcio_client_with_health_check_config_stops_sending_to_a_not_serving_backend() {
    let backends = backends(3, true);
    let mut command = Command::new(python());
    command
        .arg(script("client.py"))
        .args(backends.iter().map(|backend| backend.demo.addr()));
    let client = Daemon::start("grpcio client", command, "client started");
    for backend in &backends {
        wait_handled(&[backend], 1).await;
    }

    let (out, others) = (&backends[0], [&backends[1], &backends[2]]);
    out.set_ready(false);
    // The backend's own word: its greeter is NOT_SERVING on every Watch.
    let mut health = test_support::health::client(out.demo.addr()).await;
    let mut watch = test_support::health::watch(&mut health, GREETER).await;
    test_support::health::wait_for(&mut watch, ServingStatus::NotServing).await;
    // The client sends one RPC at a time: after these 500 the Watch message
    // has long reached it and nothing sent before it is still in flight.
    wait_handled(&others, 500).await;
    let frozen = out.handled().await;
    let before = [others[0].handled().await, others[1].handled().await];
    wait_handled(&others, 500).await;
    assert_eq!(
        out.handled().await,
        frozen,
        "RPCs reached the NOT_SERVING backend"
    );
    for (other, before) in others.iter().zip(before) {
        assert!(
            other.handled().await > before,
            "{} got none of the 500",
            other.demo.addr()
        );
    }

    out.set_ready(true);
    test_support::health::wait_for(&mut watch, ServingStatus::Serving).await;
    poll_until("the client to send to it again", async || {
        out.handled().await > frozen
    })
    .await;

    client.signal(Signal::SIGTERM);
    let status = client.exited().await;
    let log = client.log();
    assert!(status.success(), "{status}: {log}");
    assert!(log.contains(" failed=0"), "{log}");
}
