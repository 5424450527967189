//! Where backends come from: a `dns:///` name, and the application's own
//! stream of changes.

use grpc_health_balance::{BackendState, Balanced, Change};
use tokio_stream::wrappers::UnboundedReceiverStream;

use crate::support::{GREETER, backends, say_hello, spread, wait_state};

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
