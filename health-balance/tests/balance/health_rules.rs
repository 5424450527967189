//! A17's rules, each against real servers: first SERVING before traffic,
//! NOT_SERVING takes a backend out and SERVING brings it back, UNIMPLEMENTED
//! counts as healthy, no healthy backend fails UNAVAILABLE saying why.

use std::time::Duration;

use examples::greeter::{GreeterServer, HelloGreeter};
use grpc_health_balance::{BackendState, Balanced};
use test_support::HANG_GUARD;
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::Code;

use crate::support::{
    Backend, GREETER, backends, channel, list, say_hello, spread, wait_serving, wait_state,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traffic_starts_only_after_the_first_serving() {
    let backend = Backend::start(false);
    let addr = backend.addr();
    let channel = channel(&list(std::slice::from_ref(&backend)));
    wait_state(&channel, addr, BackendState::NotServing).await;

    // health-demo's greeter would answer: the client holds the RPC back.
    let mut request = tonic::Request::new(examples::greeter::HelloRequest::default());
    request.set_timeout(Duration::from_millis(200));
    let refused = examples::greeter::GreeterClient::new(channel.clone())
        .say_hello(request)
        .await
        .expect_err("no RPC before the first SERVING");
    assert_eq!(refused.code(), Code::Unavailable);

    // An RPC sent now waits for the first SERVING, then goes through.
    let waiting = tokio::spawn({
        let channel = channel.clone();
        async move { say_hello(&channel).await }
    });
    backend.set_ready(true);
    let served = tokio::time::timeout(HANG_GUARD, waiting)
        .await
        .expect("the waiting RPC ends")
        .expect("the RPC task does not panic")
        .expect("the RPC succeeds once the backend is SERVING");
    assert_eq!(served, addr);
    assert_eq!(
        channel.snapshot().state_of(addr),
        Some(BackendState::Serving)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backend_that_goes_not_serving_gets_no_further_rpc_until_serving_again() {
    let backends = backends(3, true);
    let channel = channel(&list(&backends));
    wait_serving(&channel, &backends).await;
    let counts = spread(&channel, 300).await;
    assert_eq!(counts.len(), 3, "every backend takes traffic: {counts:?}");

    let out = backends[0].addr();
    backends[0].set_ready(false);
    wait_state(&channel, out, BackendState::NotServing).await;
    let counts = spread(&channel, 300).await;
    assert_eq!(
        counts.get(&out),
        None,
        "no RPC to the NOT_SERVING backend: {counts:?}"
    );
    assert_eq!(counts.values().sum::<usize>(), 300);

    backends[0].set_ready(true);
    wait_state(&channel, out, BackendState::Serving).await;
    let counts = spread(&channel, 300).await;
    assert!(
        counts.get(&out).is_some_and(|&n| n > 0),
        "back in: {counts:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_the_server_does_not_know_takes_the_backend_out() {
    let backends = backends(2, true);
    let channel = Balanced::builder(list(&backends))
        .health_service("no.such.Service")
        .no_backend_wait(Duration::from_millis(100))
        .connect_lazy()
        .expect("a valid target");
    for backend in &backends {
        wait_state(&channel, backend.addr(), BackendState::ServiceUnknown).await;
    }
    let refused = say_hello_without_deadline(&channel).await;
    assert_eq!(refused.code(), Code::Unavailable);
    assert_eq!(
        refused.message(),
        r#"no backend SERVING for "no.such.Service" (2 known: 2 SERVICE_UNKNOWN)"#
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_without_health_service_counts_as_healthy() {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("a local address");
    let (stop, stopped) = test_support::server::Stop::new();
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(GreeterServer::new(HelloGreeter))
            .serve_with_incoming_shutdown(TcpListenerStream::new(listener), stopped),
    );
    let channel = channel(&addr.to_string());
    assert_eq!(say_hello(&channel).await.expect("served"), addr);
    let snapshot = channel.snapshot();
    assert_eq!(snapshot.state_of(addr), Some(BackendState::NoHealthService));
    drop(stop);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_no_healthy_backend_an_rpc_fails_unavailable_saying_why() {
    let backends = backends(2, false);
    let closed = format!("127.0.0.1:{}", test_support::process::free_port());
    let target = format!("{},{closed}", list(&backends));
    let channel = Balanced::builder(&target)
        .health_service(GREETER)
        .no_backend_wait(Duration::from_millis(300))
        .connect_lazy()
        .expect("a valid target");
    for backend in &backends {
        wait_state(&channel, backend.addr(), BackendState::NotServing).await;
    }
    let closed = closed.parse().expect("an address");
    wait_state(&channel, closed, BackendState::Unreachable).await;

    // Without a deadline, the builder's wait applies.
    let refused = say_hello_without_deadline(&channel).await;
    assert_eq!(refused.code(), Code::Unavailable);
    let message =
        r#"no backend SERVING for "helloworld.Greeter" (3 known: 2 NOT_SERVING, 1 unreachable)"#;
    assert_eq!(refused.message(), message);

    // With one, the RPC's own deadline does (longer than the builder's wait).
    let waiting = tokio::spawn({
        let channel = channel.clone();
        async move {
            let mut request = tonic::Request::new(examples::greeter::HelloRequest::default());
            request.set_timeout(HANG_GUARD);
            examples::greeter::GreeterClient::new(channel)
                .say_hello(request)
                .await
        }
    });
    // Twice the builder's wait, the RPC is still waiting (an absence, so it
    // takes a pause to show; a slow machine only makes it stronger).
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(
        !waiting.is_finished(),
        "an RPC with a deadline waits up to it"
    );
    backends[1].set_ready(true);
    let answer = waiting.await.expect("no panic");
    assert!(
        answer.is_ok(),
        "served once a backend is SERVING: {answer:?}"
    );
}

async fn say_hello_without_deadline(channel: &Balanced) -> tonic::Status {
    let request = tonic::Request::new(examples::greeter::HelloRequest::default());
    tokio::time::timeout(
        HANG_GUARD,
        examples::greeter::GreeterClient::new(channel.clone()).say_hello(request),
    )
    .await
    .expect("the builder's wait ends the RPC")
    .expect_err("no healthy backend")
}

#[test]
fn a_bad_target_says_what_to_write() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let _guard = runtime.enter();
    let error = Balanced::builder("greeter")
        .health_service(GREETER)
        .connect_lazy()
        .expect_err("no port");
    assert!(error.to_string().contains("is not host:port"), "{error}");
}
