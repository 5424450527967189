//! Where backends come from: a `dns:///` name (resolved by the system, or
//! by a resolver the test controls), and the application's own stream of
//! changes.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use grpc_health_balance::{BackendState, Balanced, Change, Policy, Resolve, ResolveFuture};
use tokio_stream::wrappers::UnboundedReceiverStream;

use crate::holding::{Connections, Holding};
use crate::support::{GREETER, backends, greet, say_hello, spread, wait_state, wait_until};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dns_target_balances_over_what_the_name_resolves_to() {
    let backends = backends(1, true);
    let addr = backends[0].addr();
    let channel = Balanced::builder(format!("dns:///localhost:{}", addr.port()))
        .health_service(GREETER)
        .connect_lazy()
        .expect("a valid target");
    assert_eq!(say_hello(&channel).await.expect("served"), addr);
    let snapshot = channel.snapshot();
    let backend = snapshot
        .backends
        .iter()
        .find(|backend| backend.addr == addr)
        .expect("localhost resolves to 127.0.0.1");
    assert_eq!(backend.name.as_deref(), Some("localhost"));
    assert_eq!(backend.state, BackendState::Serving, "{snapshot:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backends_follow_the_applications_changes() {
    let backends = backends(2, true);
    let (a, b) = (backends[0].addr(), backends[1].addr());
    let (changes, stream) = tokio::sync::mpsc::unbounded_channel();
    let channel = Balanced::builder_with_changes(UnboundedReceiverStream::new(stream))
        .health_service(GREETER)
        .connect_lazy()
        .expect("a valid configuration");
    for addr in [a, b] {
        changes
            .send(Change::Insert(addr))
            .expect("the channel listens");
        wait_state(&channel, addr, BackendState::Serving).await;
    }
    assert_eq!(spread(&channel, 200).await.len(), 2);

    changes
        .send(Change::Remove(a))
        .expect("the channel listens");
    crate::support::wait_until(&channel, "the removal", |snapshot| {
        snapshot.state_of(a).is_none()
    })
    .await;
    let counts = spread(&channel, 200).await;
    assert_eq!(counts.keys().copied().collect::<Vec<_>>(), [b]);
}

/// A DNS server the test controls: every name resolves to its current answer.
#[derive(Debug, Clone, Default)]
struct Answer(Arc<Mutex<Vec<SocketAddr>>>);

impl Answer {
    fn set(&self, addrs: &[SocketAddr]) {
        *self.0.lock().expect("not poisoned") = addrs.to_vec();
    }
}

impl Resolve for Answer {
    fn resolve(&self, _host: &str, _port: u16) -> ResolveFuture {
        let addrs = self.0.lock().expect("not poisoned").clone();
        Box::pin(async move { Ok(addrs) })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_gone_from_dns_is_drained_not_cut_mid_rpc() {
    let (gone, stays) = (Holding::start().await, Holding::start().await);
    let answer = Answer::default();
    answer.set(&[gone.addr, stays.addr]);
    let channel = Balanced::builder("dns:///greeter.test:50051")
        .resolver(answer.clone())
        .dns_refresh(Duration::from_millis(20), Duration::from_millis(20))
        .health_service(GREETER)
        .policy(Policy::RoundRobin)
        .connect_lazy()
        .expect("a valid target");
    for addr in [gone.addr, stays.addr] {
        wait_state(&channel, addr, BackendState::Serving).await;
    }
    // Round robin gives two RPCs in a row to the two backends: one held on each.
    let held: Vec<_> = (0..2)
        .map(|_| {
            let channel = channel.clone();
            tokio::spawn(async move { greet(&channel, "hold").await })
        })
        .collect();
    gone.wait_held(1).await;
    stays.wait_held(1).await;

    answer.set(&[stays.addr]);
    wait_until(&channel, "the address to leave the snapshot", |snapshot| {
        snapshot.state_of(gone.addr).is_none()
    })
    .await;
    let received = gone.received();
    let counts = spread(&channel, 200).await;
    assert_eq!(counts.keys().copied().collect::<Vec<_>>(), [stays.addr]);
    assert_eq!(
        gone.received(),
        received,
        "a new RPC reached the gone address"
    );
    assert_eq!(
        gone.connections(),
        Connections {
            accepted: 1,
            open: 1
        },
        "the connection under the held RPC stays open"
    );

    gone.release();
    stays.release();
    let mut served = Vec::new();
    for task in held {
        let answer = task.await.expect("the held RPC's task panicked");
        served.push(answer.unwrap_or_else(|status| panic!("a held RPC failed: {status}")));
    }
    served.sort();
    let mut both = vec![gone.addr, stays.addr];
    both.sort();
    assert_eq!(served, both, "each held RPC completed OK where it was sent");

    // With its last RPC done, the gone backend's connection is closed.
    gone.wait_closed().await;
    assert_eq!(gone.connections().accepted, 1, "it was connected to again");
    assert_eq!(gone.received(), received);
    assert_eq!(stays.connections().open, 1);
}
