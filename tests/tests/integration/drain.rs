//! Drain: NOT_SERVING everywhere and watchers told before the listener closes.

use std::time::Duration;

use grpc_health_checks::{HealthChecks, ServingStatus};
use tokio::sync::oneshot;
use tonic::Code;

use test_support::HANG_GUARD;
use test_support::health::{check, client, next_status, watch};
use test_support::server::start_with;

use ServingStatus::{NotServing, Serving};

#[tokio::test]
async fn drain_tells_watchers_before_the_listener_closes() {
    let (trigger, triggered) = oneshot::channel::<()>();
    // Long enough that the assertions below always run inside it, even on a
    // loaded machine; the test waits for it once.
    let drain_delay = Duration::from_secs(5);
    let server = start_with(HealthChecks::new(), |handle| {
        handle.drain(
            async {
                let _ = triggered.await;
            },
            drain_delay,
        )
    })
    .await;
    let mut client = client(server.addr).await;
    let mut stream = watch(&mut client, "").await;
    assert_eq!(next_status(&mut stream).await, Serving);
    trigger.send(()).expect("drain waits for the trigger");
    assert_eq!(
        next_status(&mut stream).await,
        NotServing,
        "watchers told first"
    );
    assert_eq!(
        check(&mut client, "readiness").await,
        Ok(NotServing),
        "still answering while draining"
    );
    assert!(
        !server.task.is_finished(),
        "listener still open during the drain delay"
    );
    let end = tokio::time::timeout(HANG_GUARD, stream.message())
        .await
        .expect("stream ends after the drain delay")
        .expect_err("ends with a status");
    assert_eq!(end.code(), Code::Unavailable);
    tokio::time::timeout(HANG_GUARD, server.task)
        .await
        .expect("server stops after the drain")
        .expect("server task")
        .expect("server stopped cleanly");
}
