//! Failure reasons stay inside the process: only statuses reach the wire.

use std::time::Duration;

use grpc_health_checks::pb::HealthListRequest;
use grpc_health_checks::{Check, Group, HealthChecks, ServingStatus};
use tokio::sync::oneshot;
use tonic::Code;
use tonic::metadata::MetadataMap;

use crate::relay::Relay;
use test_support::HANG_GUARD;
use test_support::eventually;
use test_support::health::{client, wait_for};
use test_support::server::start_with;

use ServingStatus::{NotServing, Serving};

/// A reason no part of the protocol would say by accident.
const SECRET: &str = "db-password=hunter2@10.1.2.3";

fn leaks(text: &str) -> bool {
    text.contains(SECRET) || text.contains("hunter2")
}

fn metadata_text(metadata: &MetadataMap) -> String {
    format!("{:?}", metadata.clone().into_headers())
}

/// Checks fail with the secret in their reason (as an error, a panic message
/// and an async error); every Check, Watch and List answer, including headers,
/// trailers, status messages and details, and the raw bytes the server sent, is
/// free of it, while the snapshot shows it.
#[tokio::test]
async fn failure_reasons_never_reach_the_wire() {
    let (drain, drained) = oneshot::channel::<()>();
    let server = start_with(
        HealthChecks::new()
            .interval(Duration::from_millis(10))
            .service("helloworld.Greeter", Group::Readiness)
            .check(Check::new("db", || Err::<(), _>(SECRET)))
            .check(Check::new("config", || -> bool { panic!("{SECRET}") }))
            .check(
                Check::new_async("cache", || async { Err::<(), _>(SECRET) }).group(Group::Liveness),
            ),
        |handle| {
            handle.drain(
                async {
                    let _ = drained.await;
                },
                Duration::from_millis(50),
            )
        },
    )
    .await;
    let relay = Relay::start(server.addr).await;
    let mut client = client(relay.addr).await;
    let mut seen = Vec::new();

    let mut watcher = client
        .watch(grpc_health_checks::pb::HealthCheckRequest {
            service: "readiness".into(),
        })
        .await
        .expect("watch");
    seen.push(metadata_text(watcher.metadata()));
    let watcher = watcher.get_mut();
    wait_for(watcher, NotServing).await;
    eventually("all three reasons recorded", || {
        server
            .handle
            .snapshot()
            .iter()
            .filter(|check| check.reason.as_deref().is_some_and(leaks))
            .count()
            == 3
    })
    .await;

    for service in ["", "liveness", "readiness", "helloworld.Greeter", "unknown"] {
        let answer = client
            .check(grpc_health_checks::pb::HealthCheckRequest {
                service: service.into(),
            })
            .await;
        match answer {
            Ok(response) => {
                seen.push(metadata_text(response.metadata()));
                seen.push(format!("{:?}", response.get_ref()));
                assert_eq!(response.get_ref().status(), NotServing, "{service:?}");
            }
            Err(status) => {
                assert_eq!(status.code(), Code::NotFound, "{service:?}");
                seen.push(format!("{status:?}"));
                seen.push(String::from_utf8_lossy(status.details()).into_owned());
                seen.push(metadata_text(status.metadata()));
            }
        }
    }
    let listed = client.list(HealthListRequest {}).await.expect("list");
    seen.push(metadata_text(listed.metadata()));
    seen.push(format!("{:?}", listed.get_ref()));
    assert!(
        listed
            .get_ref()
            .statuses
            .values()
            .all(|status| status.status() != Serving),
        "every service fails"
    );

    drain.send(()).expect("drain trigger");
    let end = tokio::time::timeout(HANG_GUARD, async {
        loop {
            match watcher.message().await {
                Ok(Some(message)) => seen.push(format!("{message:?}")),
                Ok(None) => break None,
                Err(status) => break Some(status),
            }
        }
    })
    .await
    .expect("the watch ends after the drain");
    if let Some(status) = end {
        seen.push(format!("{status:?}"));
        seen.push(metadata_text(status.metadata()));
    }
    if let Ok(Some(trailers)) = watcher.trailers().await {
        seen.push(metadata_text(&trailers));
    }

    let raw = relay.downstream.lock().expect("recording").clone();
    assert!(
        raw.len() > 100,
        "the relay recorded the answers ({} bytes)",
        raw.len()
    );
    assert!(
        !raw.windows(b"hunter2".len())
            .any(|window| window == b"hunter2"),
        "the secret is in the bytes the server sent"
    );
    for text in &seen {
        assert!(!leaks(text), "leaked: {text}");
    }
    assert!(seen.len() >= 15, "captured {} answers", seen.len());
    println!(
        "{} answers and {} raw bytes captured; the secret is in none",
        seen.len(),
        raw.len()
    );
}
