//! How RPCs spread over the healthy backends.

use grpc_health_balance::{BackendState, Balanced, Policy};

use crate::support::{GREETER, backends, list, spread, wait_serving, wait_state};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_robin_gives_each_healthy_backend_its_turn() {
    let backends = backends(3, true);
    let channel = Balanced::builder(list(&backends))
        .health_service(GREETER)
        .policy(Policy::RoundRobin)
        .connect_lazy()
        .expect("a valid target");
    wait_serving(&channel, &backends).await;
    let counts = spread(&channel, 300).await;
    assert_eq!(
        counts.values().copied().collect::<Vec<_>>(),
        [100, 100, 100]
    );

    backends[1].set_ready(false);
    wait_state(&channel, backends[1].addr(), BackendState::NotServing).await;
    let counts = spread(&channel, 300).await;
    assert_eq!(counts.values().copied().collect::<Vec<_>>(), [150, 150]);
}
