//! Watch streams whose clients vanish: the server lets go of every one.
//!
//! The slow-reader rule (latest status, no backlog) is proven by
//! `protocol::slow_watcher_gets_the_latest_status_not_a_backlog`; the 10,000
//! watcher soak against health-demo is `soak_watchers_and_checks_keep_rss_flat`
//! in examples/tests/demo.rs.

use std::time::Duration;

use grpc_health_checks::pb::health_client::HealthClient;
use grpc_health_checks::{HealthChecks, ServingStatus};
use tonic::transport::Channel;

use crate::relay::Relay;
use test_support::eventually;
use test_support::health::{check, client, next_status, wait_for, watch};
use test_support::server::start;

use ServingStatus::{NotServing, ServiceUnknown, Serving};

/// hyper allows 200 concurrent streams per HTTP/2 connection; stay below it.
const STREAMS_PER_CONNECTION: usize = 150;

/// Opens `count` watchers of `services` (round robin) over `clients`, each
/// having received its first message.
async fn open_watchers(
    clients: &mut [HealthClient<Channel>],
    services: &[&str],
    count: usize,
) -> Vec<tonic::Streaming<grpc_health_checks::pb::HealthCheckResponse>> {
    let mut streams = Vec::with_capacity(count);
    for index in 0..count {
        let client = &mut clients[index / STREAMS_PER_CONNECTION];
        let service = services[index % services.len()];
        let mut stream = watch(client, service).await;
        let first = next_status(&mut stream).await;
        let expected = if service == "later" {
            ServiceUnknown
        } else {
            Serving
        };
        assert_eq!(first, expected, "{service:?}");
        streams.push(stream);
    }
    streams
}

/// 450 watchers on three connections, some of an unknown service: when their
/// clients go away (connections closed with FIN), the count returns to 0.
#[tokio::test]
async fn dropped_clients_release_every_watcher() {
    let server = start(HealthChecks::new()).await;
    server.handle.set_serving("svc").expect("set");
    let mut clients = Vec::new();
    for _ in 0..3 {
        clients.push(client(server.addr).await);
    }
    let streams = open_watchers(&mut clients, &["", "svc", "later"], 450).await;
    assert_eq!(server.handle.watcher_count(), 450);
    let dropped = std::time::Instant::now();
    drop(streams);
    drop(clients);
    eventually("watcher count back to 0", || {
        server.handle.watcher_count() == 0
    })
    .await;
    println!("450 dropped watchers released in {:?}", dropped.elapsed());
    let mut fresh = client(server.addr).await;
    assert_eq!(
        check(&mut fresh, "later").await,
        Err(tonic::Code::NotFound),
        "the unknown name's placeholder is gone, not registered"
    );
}

/// 300 watchers sharing two connections, on a multi-threaded server as in
/// production: the writes of a change are batched (each watcher yields its
/// task's budget after delivering), and that must never hold a message back
/// or reorder one. Every watcher gets each of 20 changes, in
/// order, before the next is made.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watchers_sharing_a_connection_get_every_change_in_order() {
    let server = start(HealthChecks::new()).await;
    server.handle.set_serving("svc").expect("set");
    let mut clients = vec![client(server.addr).await, client(server.addr).await];
    let mut streams = open_watchers(&mut clients, &["svc"], 2 * STREAMS_PER_CONNECTION).await;
    for change in 0..20 {
        let status = if change % 2 == 0 { NotServing } else { Serving };
        server.handle.set_status("svc", status).expect("set");
        for (index, stream) in streams.iter_mut().enumerate() {
            assert_eq!(
                next_status(stream).await,
                status,
                "watcher {index}, change {change}"
            );
        }
    }
}

/// 300 watchers behind connections that are reset (TCP RST, as when a client
/// host dies or a middlebox drops state): the server releases them, while a
/// watcher on an unaffected connection keeps receiving changes.
#[tokio::test]
async fn reset_connections_release_their_watchers_and_spare_the_others() {
    let server = start(HealthChecks::new()).await;
    server.handle.set_serving("svc").expect("set");
    let relay = Relay::start(server.addr).await;
    let mut doomed = Vec::new();
    for _ in 0..2 {
        doomed.push(client(relay.addr).await);
    }
    let doomed_streams = open_watchers(&mut doomed, &["svc", "readiness"], 300).await;
    let mut survivor_client = client(server.addr).await;
    let mut survivor = watch(&mut survivor_client, "svc").await;
    wait_for(&mut survivor, Serving).await;
    assert_eq!(server.handle.watcher_count(), 301);

    let reset = std::time::Instant::now();
    relay.reset_all();
    eventually("only the direct watcher left", || {
        server.handle.watcher_count() == 1
    })
    .await;
    println!(
        "300 watchers behind reset connections released in {:?}",
        reset.elapsed()
    );
    server.handle.set_not_serving("svc").expect("change");
    assert_eq!(next_status(&mut survivor).await, NotServing);
    assert_eq!(check(&mut survivor_client, "svc").await, Ok(NotServing));
    drop(doomed_streams);
}

/// 100 watchers whose client vanished without a FIN or RST (the relay goes
/// silent, as after a power loss or partition). Nothing on the socket tells
/// the server; HTTP/2 keepalive does: with `http2_keepalive_interval` set, the
/// unanswered PING closes the connection and the watchers are released. This
/// is server configuration, outside health-lib (see RELIABILITY.md).
#[tokio::test]
async fn silent_peers_are_released_by_http2_keepalive() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    let (health, handle) = HealthChecks::new()
        .build()
        .expect("valid health configuration");
    tokio::spawn(
        tonic::transport::Server::builder()
            // A healthy peer answers a PING in microseconds; the 2 s timeout
            // keeps a starved test runtime from counting as a vanished peer.
            .http2_keepalive_interval(Some(Duration::from_millis(200)))
            .http2_keepalive_timeout(Some(Duration::from_secs(2)))
            .add_service(health)
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );
    let relay = Relay::start(addr).await;
    let mut vanishing = vec![client(relay.addr).await];
    let streams = open_watchers(&mut vanishing, &[""], 100).await;
    assert_eq!(handle.watcher_count(), 100);
    let frozen = std::time::Instant::now();
    relay.freeze_all();
    eventually("silent watchers released", || handle.watcher_count() == 0).await;
    println!(
        "100 silent watchers released {:?} after the peer went silent (keepalive 200 ms + 2 s)",
        frozen.elapsed()
    );
    let mut fresh = client(addr).await;
    assert_eq!(check(&mut fresh, "").await, Ok(Serving));
    drop(streams);
}
