//! `grpc_health_contrib::tcp` against a real listener on 127.0.0.1.

use grpc_health_checks::{Group, ServingStatus};
use grpc_health_contrib::tcp::TcpCheck;
use tokio::net::TcpListener;

use super::harness::{Evaluated, TIMEOUT};

#[tokio::test]
async fn passes_fails_while_nothing_listens_and_recovers() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    let check = TcpCheck::new(addr.to_string())
        .timeout(TIMEOUT)
        .into_check();
    assert_eq!(check.name(), format!("tcp {addr}"));
    let evaluated = Evaluated::start(check);
    evaluated.passes().await;
    assert_eq!(
        evaluated.handle().status(Group::Readiness.service_name()),
        Some(ServingStatus::Serving),
        "a dependency check feeds readiness"
    );

    drop(listener);
    let reason = evaluated
        .fails_with(&[&format!(
            "tcp connect to {addr} failed: {addr}: Connection refused"
        )])
        .await;
    assert_eq!(
        evaluated.handle().status("readiness"),
        Some(ServingStatus::NotServing),
        "{reason}"
    );

    let _listener = TcpListener::bind(addr).await.expect("rebind the same port");
    evaluated.passes().await;
}

/// A name is resolved and every address it resolves to is tried and named.
#[tokio::test]
async fn every_resolved_address_is_named() {
    let port = test_support::process::free_port();
    let target = format!("localhost:{port}");
    let resolved: Vec<_> = tokio::net::lookup_host(&target)
        .await
        .expect("localhost resolves")
        .collect();
    let evaluated = Evaluated::start(TcpCheck::new(&target).timeout(TIMEOUT).into_check());
    let reason = evaluated
        .fails_with(&[&format!("tcp connect to {target} failed: ")])
        .await;
    for addr in resolved {
        assert!(
            reason.contains(&format!("{addr}: ")),
            "{addr} missing from {reason}"
        );
    }
}

#[tokio::test]
async fn an_address_without_port_fails_with_the_resolver_error() {
    let evaluated = Evaluated::start(TcpCheck::new("127.0.0.1").into_check());
    evaluated
        .fails_with(&["tcp connect to 127.0.0.1 failed: cannot resolve: invalid socket address"])
        .await;
}
