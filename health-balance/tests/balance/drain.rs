//! Backends that stop under load: SIGTERM (health-demo goes NOT_SERVING,
//! waits its drain delay, then closes) loses no RPC; SIGKILL takes the
//! backend out as soon as its connection breaks.

use grpc_health_balance::BackendState;
use nix::sys::signal::Signal;

use crate::support::{serving_under_load, spread, wait_state};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backend_drained_by_sigterm_loses_no_rpc() {
    let (backends, channel, load) = serving_under_load(3).await;

    let drained = backends[1].addr();
    backends[1].demo.terminate();
    wait_state(&channel, drained, BackendState::NotServing).await;
    let out_at = load.served_len();
    let status = backends[1].demo.exited().await;
    assert!(status.success(), "health-demo drains and exits 0: {status}");
    wait_state(&channel, drained, BackendState::Unreachable).await;
    load.wait_for_more(300).await;

    let served = load.served.lock().expect("not poisoned").clone();
    let failures = load.stop().await;
    assert_eq!(
        failures,
        Vec::<String>::new(),
        "no RPC fails during a drain"
    );
    assert!(
        served[..out_at].contains(&drained),
        "it served before its drain"
    );
    // Only RPCs picked before NOT_SERVING arrived may still land on it.
    let late = served[out_at..]
        .iter()
        .filter(|&&addr| addr == drained)
        .count();
    assert!(
        late <= 8,
        "{late} RPCs answered by {drained} after NOT_SERVING, more than the 8 in flight"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_backend_is_taken_out_and_the_others_keep_serving() {
    let (backends, channel, load) = serving_under_load(3).await;

    let killed = backends[2].addr();
    test_support::process::signal(backends[2].demo.pid(), Signal::SIGKILL);
    wait_state(&channel, killed, BackendState::Unreachable).await;
    load.wait_for_more(300).await;
    let failures = load.stop().await;
    // Only RPCs already on their way to the killed backend may fail (grpc-go
    // fails those too): the first transport failure takes the backend out,
    // so each of the 8 workers loses at most the one RPC it had in flight.
    assert!(
        failures.len() <= 8,
        "{} failures: {failures:?}",
        failures.len()
    );

    let counts = spread(&channel, 300).await;
    assert_eq!(counts.get(&killed), None, "{counts:?}");
    assert_eq!(
        counts.len(),
        2,
        "the two others share the traffic: {counts:?}"
    );
}
