//! The `grpc.health.v1` rules, calling the [`Health`] trait on the service
//! directly: a transport would add nothing here (the `tests` crate covers the wire).

use std::time::Duration;

use futures::StreamExt;
use tonic::{Code, Request};

use super::*;
use crate::test_support::EVENT_TIMEOUT;
use crate::{Check, Group, HealthChecks, HealthHandle, ServingStatus, UpdateErrorKind};

use ServingStatus::{NotServing, ServiceUnknown, Serving};

fn service(checks: HealthChecks) -> (HealthService, HealthHandle) {
    let (_, handle) = checks.build().expect("valid health configuration");
    let service = HealthService {
        shared: handle.shared.clone(),
    };
    (service, handle)
}

fn request(service: &str) -> Request<HealthCheckRequest> {
    Request::new(HealthCheckRequest {
        service: service.to_owned(),
    })
}

async fn check(health: &HealthService, service: &str) -> Result<ServingStatus, Code> {
    health
        .check(request(service))
        .await
        .map(|response| response.into_inner().status())
        .map_err(|status| status.code())
}

async fn watch(health: &HealthService, service: &str) -> WatchStream {
    health
        .watch(request(service))
        .await
        .expect("watch starts")
        .into_inner()
}

async fn next_status(stream: &mut WatchStream) -> ServingStatus {
    tokio::time::timeout(EVENT_TIMEOUT, stream.next())
        .await
        .expect("a watch message in time")
        .expect("stream still open")
        .expect("stream still healthy")
        .status()
}

async fn list(health: &HealthService) -> Result<Vec<(String, ServingStatus)>, Code> {
    let response = health
        .list(Request::new(HealthListRequest {}))
        .await
        .map_err(|status| status.code())?;
    let mut statuses: Vec<_> = response
        .into_inner()
        .statuses
        .into_iter()
        .map(|(name, response)| (name, response.status()))
        .collect();
    statuses.sort_unstable();
    Ok(statuses)
}

#[tokio::test]
async fn check_answers_known_services_and_not_found_for_unknown() {
    let (health, _handle) =
        service(HealthChecks::new().service("helloworld.Greeter", Group::Readiness));
    for service in ["", "liveness", "readiness", "helloworld.Greeter"] {
        assert_eq!(check(&health, service).await, Ok(Serving), "{service:?}");
    }
    assert_eq!(
        check(&health, "helloworld.greeter").await,
        Err(Code::NotFound),
        "names match exactly"
    );
    assert_eq!(check(&health, "nope").await, Err(Code::NotFound));
}

#[tokio::test]
async fn overall_health_needs_every_check() {
    let (health, _handle) = service(
        HealthChecks::new()
            .interval(Duration::from_millis(20))
            .check(Check::new("alive", || true).group(Group::Liveness))
            .check(Check::new("db", || false)),
    );
    let mut liveness = watch(&health, "liveness").await;
    while next_status(&mut liveness).await != Serving {}
    assert_eq!(check(&health, "").await, Ok(NotServing));
    assert_eq!(check(&health, "readiness").await, Ok(NotServing));
}

#[tokio::test]
async fn watch_sends_current_status_then_each_change_without_repeats() {
    let (health, handle) = service(HealthChecks::new());
    handle.set_serving("svc").expect("set");
    let mut stream = watch(&health, "svc").await;
    assert_eq!(
        next_status(&mut stream).await,
        Serving,
        "first message is the current status"
    );
    handle.set_serving("svc").expect("same status again");
    handle.set_not_serving("svc").expect("change");
    assert_eq!(
        next_status(&mut stream).await,
        NotServing,
        "no repeated SERVING before the change"
    );
    handle.set_serving("svc").expect("change back");
    assert_eq!(next_status(&mut stream).await, Serving);
}

#[tokio::test]
async fn watch_of_unknown_service_stays_open_until_it_is_registered() {
    let (health, handle) = service(HealthChecks::new());
    let mut stream = watch(&health, "later").await;
    assert_eq!(next_status(&mut stream).await, ServiceUnknown);
    assert_eq!(
        check(&health, "later").await,
        Err(Code::NotFound),
        "a watcher does not register it"
    );
    handle
        .set_not_serving("later")
        .expect("register at runtime");
    assert_eq!(next_status(&mut stream).await, NotServing);
    handle.clear_status("later").expect("unregister");
    assert_eq!(next_status(&mut stream).await, ServiceUnknown);
    assert_eq!(handle.watcher_count(), 1);
    drop(stream);
    assert_eq!(handle.watcher_count(), 0, "dropping the stream releases it");
}

/// Nothing runs between these updates, so the stream must skip straight to
/// the latest status.
#[tokio::test]
async fn slow_watcher_gets_the_latest_status_not_a_backlog() {
    let (health, handle) = service(HealthChecks::new());
    handle.set_serving("svc").expect("set");
    let mut stream = watch(&health, "svc").await;
    assert_eq!(next_status(&mut stream).await, Serving);
    for _ in 0..1000 {
        handle.set_not_serving("svc").expect("flip");
        handle.set_serving("svc").expect("flip");
    }
    handle.set_not_serving("svc").expect("last flip");
    assert_eq!(
        next_status(&mut stream).await,
        NotServing,
        "the latest status, not the first flip"
    );
    handle.set_serving("svc").expect("one more change");
    assert_eq!(
        next_status(&mut stream).await,
        Serving,
        "no queued flips in between"
    );
}

#[tokio::test]
async fn list_returns_every_service_and_refuses_above_the_cap() {
    let (health, handle) = service(HealthChecks::new().list_limit(4));
    handle.set_not_serving("a").expect("set a");
    let expected = [
        ("", Serving),
        ("a", NotServing),
        ("liveness", Serving),
        ("readiness", Serving),
    ]
    .map(|(name, status)| (name.to_owned(), status));
    assert_eq!(list(&health).await, Ok(expected.to_vec()));
    handle.set_serving("b").expect("set b");
    assert_eq!(
        list(&health).await,
        Err(Code::ResourceExhausted),
        "five services over a cap of four"
    );
}

#[tokio::test]
async fn default_list_cap_is_one_hundred() {
    let (health, handle) = service(HealthChecks::new());
    for index in 0..97 {
        handle.set_serving(&format!("svc-{index}")).expect("set");
    }
    assert_eq!(list(&health).await.map(|listed| listed.len()), Ok(100));
    handle.set_serving("svc-97").expect("the 101st");
    assert_eq!(list(&health).await, Err(Code::ResourceExhausted));
}

#[tokio::test]
async fn group_driven_services_cannot_be_set_by_hand() {
    let (health, handle) =
        service(HealthChecks::new().service("helloworld.Greeter", Group::Readiness));
    for service in ["", "liveness", "readiness", "helloworld.Greeter"] {
        let error = handle
            .set_not_serving(service)
            .expect_err("driven by checks");
        assert_eq!(error.kind(), UpdateErrorKind::DrivenByChecks);
        assert!(
            error
                .to_string()
                .contains("computed from the health checks"),
            "{error}"
        );
        assert_eq!(check(&health, service).await, Ok(Serving));
    }
}

#[tokio::test]
async fn shutdown_sets_not_serving_tells_watchers_and_refuses_later_updates() {
    let (health, handle) = service(HealthChecks::new());
    handle.set_serving("svc").expect("set");
    let mut stream = watch(&health, "svc").await;
    assert_eq!(next_status(&mut stream).await, Serving);
    handle.shutdown();
    assert_eq!(
        next_status(&mut stream).await,
        NotServing,
        "watchers are told"
    );
    for service in ["", "liveness", "readiness", "svc"] {
        assert_eq!(check(&health, service).await, Ok(NotServing), "{service:?}");
    }
    let error = handle
        .set_serving("svc")
        .expect_err("refused after shutdown");
    assert_eq!(error.kind(), UpdateErrorKind::Draining);
    assert_eq!(check(&health, "svc").await, Ok(NotServing));
}

/// The end of a Watch stream once the server stops: its latest status, then
/// UNAVAILABLE, then nothing; also for a watch opened after the stop.
async fn ends_after(stream: &mut WatchStream, last: Option<ServingStatus>) {
    if let Some(last) = last {
        assert_eq!(next_status(stream).await, last);
    }
    let end = tokio::time::timeout(EVENT_TIMEOUT, stream.next())
        .await
        .expect("the stream ends in time")
        .expect("an error before the end")
        .expect_err("ends with a status");
    assert_eq!(end.code(), Code::Unavailable);
    let after = tokio::time::timeout(EVENT_TIMEOUT, stream.next())
        .await
        .expect("the stream ends in time");
    assert!(after.is_none(), "nothing after UNAVAILABLE: {after:?}");
    assert!(stream.next().await.is_none(), "and nothing ever after");
}

#[tokio::test]
async fn stop_ends_every_watch_after_its_latest_status() {
    let (health, handle) = service(HealthChecks::new());
    let mut overall = watch(&health, "").await;
    assert_eq!(next_status(&mut overall).await, Serving);
    let mut unknown = watch(&health, "later").await;
    assert_eq!(next_status(&mut unknown).await, ServiceUnknown);
    handle.shutdown();
    let mut told = watch(&health, "readiness").await;
    assert_eq!(next_status(&mut told).await, NotServing);
    handle.shared.stop();
    ends_after(&mut overall, Some(NotServing)).await;
    ends_after(&mut unknown, None).await;
    ends_after(&mut told, None).await;
    ends_after(&mut watch(&health, "liveness").await, Some(NotServing)).await;
    ends_after(&mut watch(&health, "never").await, Some(ServiceUnknown)).await;
    drop((overall, unknown, told));
    assert_eq!(
        handle.watcher_count(),
        0,
        "ended streams release their names"
    );
}
