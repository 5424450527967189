//! The `grpc.health.v1` rules of DESIGN.md §1, against a real server and client.

use grpc_health_checks::pb::HealthListRequest;
use grpc_health_checks::{Check, Group, HealthChecks, ServingStatus};
use tonic::Code;

use test_support::health::{check, client, next_status, wait_for, watch};
use test_support::server::start;

use ServingStatus::{NotServing, ServiceUnknown, Serving};

#[tokio::test]
async fn check_answers_known_services_and_not_found_for_unknown() {
    let server = start(HealthChecks::new().service("helloworld.Greeter", Group::Readiness)).await;
    let mut client = client(server.addr).await;
    for service in ["", "liveness", "readiness", "helloworld.Greeter"] {
        assert_eq!(
            check(&mut client, service).await,
            Ok(Serving),
            "service {service:?}"
        );
    }
    assert_eq!(
        check(&mut client, "helloworld.greeter").await,
        Err(Code::NotFound),
        "names match exactly"
    );
    assert_eq!(check(&mut client, "nope").await, Err(Code::NotFound));
}

#[tokio::test]
async fn overall_health_needs_every_check() {
    let server = start(
        HealthChecks::new()
            .interval(std::time::Duration::from_millis(20))
            .check(Check::new("alive", || true).group(Group::Liveness))
            .check(Check::new("db", || false)),
    )
    .await;
    let mut client = client(server.addr).await;
    let mut liveness = watch(&mut client, "liveness").await;
    wait_for(&mut liveness, Serving).await;
    assert_eq!(check(&mut client, "").await, Ok(NotServing));
    assert_eq!(check(&mut client, "readiness").await, Ok(NotServing));
}

#[tokio::test]
async fn watch_sends_current_status_then_each_change_without_repeats() {
    let server = start(HealthChecks::new()).await;
    server.handle.set_serving("svc").expect("set");
    let mut client = client(server.addr).await;
    let mut stream = watch(&mut client, "svc").await;
    assert_eq!(
        next_status(&mut stream).await,
        Serving,
        "first message is the current status"
    );
    server.handle.set_serving("svc").expect("same status again");
    server.handle.set_not_serving("svc").expect("change");
    assert_eq!(
        next_status(&mut stream).await,
        NotServing,
        "no repeated SERVING before the change"
    );
    server.handle.set_serving("svc").expect("change back");
    assert_eq!(next_status(&mut stream).await, Serving);
}

#[tokio::test]
async fn watch_of_unknown_service_stays_open_until_it_is_registered() {
    let server = start(HealthChecks::new()).await;
    let mut client = client(server.addr).await;
    let mut stream = watch(&mut client, "later").await;
    assert_eq!(next_status(&mut stream).await, ServiceUnknown);
    assert_eq!(
        check(&mut client, "later").await,
        Err(Code::NotFound),
        "a watcher does not register it"
    );
    server
        .handle
        .set_not_serving("later")
        .expect("register at runtime");
    assert_eq!(next_status(&mut stream).await, NotServing);
    server.handle.clear_status("later").expect("unregister");
    assert_eq!(next_status(&mut stream).await, ServiceUnknown);
    drop(stream);
    test_support::eventually("watcher count back to 0", || {
        server.handle.watcher_count() == 0
    })
    .await;
}

/// On a current-thread runtime the server cannot run between these updates, so
/// the stream must skip straight to the latest status.
#[tokio::test(flavor = "current_thread")]
async fn slow_watcher_gets_the_latest_status_not_a_backlog() {
    let server = start(HealthChecks::new()).await;
    server.handle.set_serving("svc").expect("set");
    let mut client = client(server.addr).await;
    let mut stream = watch(&mut client, "svc").await;
    assert_eq!(next_status(&mut stream).await, Serving);
    for _ in 0..1000 {
        server.handle.set_not_serving("svc").expect("flip");
        server.handle.set_serving("svc").expect("flip");
    }
    server.handle.set_not_serving("svc").expect("last flip");
    assert_eq!(
        next_status(&mut stream).await,
        NotServing,
        "the latest status, not the first flip"
    );
    server.handle.set_serving("svc").expect("one more change");
    assert_eq!(
        next_status(&mut stream).await,
        Serving,
        "no queued flips in between"
    );
}

#[tokio::test]
async fn list_returns_every_service_and_refuses_above_the_cap() {
    let server = start(HealthChecks::new().list_limit(4)).await;
    server.handle.set_not_serving("a").expect("set a");
    let mut client = client(server.addr).await;
    let statuses = client
        .list(HealthListRequest {})
        .await
        .expect("list under the cap")
        .into_inner()
        .statuses;
    let mut names: Vec<_> = statuses
        .iter()
        .map(|(name, response)| (name.as_str(), response.status()))
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            ("", Serving),
            ("a", NotServing),
            ("liveness", Serving),
            ("readiness", Serving)
        ]
    );
    server.handle.set_serving("b").expect("set b");
    let error = client
        .list(HealthListRequest {})
        .await
        .expect_err("five services over a cap of four");
    assert_eq!(error.code(), Code::ResourceExhausted);
}

#[tokio::test]
async fn default_list_cap_is_one_hundred() {
    let server = start(HealthChecks::new()).await;
    for index in 0..97 {
        server
            .handle
            .set_serving(&format!("svc-{index}"))
            .expect("set");
    }
    let mut client = client(server.addr).await;
    let listed = client
        .list(HealthListRequest {})
        .await
        .expect("exactly 100 services")
        .into_inner();
    assert_eq!(listed.statuses.len(), 100);
    server.handle.set_serving("svc-97").expect("the 101st");
    let error = client
        .list(HealthListRequest {})
        .await
        .expect_err("101 services");
    assert_eq!(error.code(), Code::ResourceExhausted);
}

#[tokio::test]
async fn group_driven_services_cannot_be_set_by_hand() {
    let server = start(HealthChecks::new().service("helloworld.Greeter", Group::Readiness)).await;
    for service in ["", "liveness", "readiness", "helloworld.Greeter"] {
        let error = server
            .handle
            .set_not_serving(service)
            .expect_err("driven by checks");
        assert!(!error.is_draining());
        assert!(
            error
                .to_string()
                .contains("computed from the health checks"),
            "{error}"
        );
    }
}
