//! Check evaluation seen from a client: panics, hangs, load, thresholds and groups.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use futures::future::join_all;
use grpc_health_checks::{Check, CheckStatus, Group, HealthChecks, ServingStatus};

use test_support::eventually;
use test_support::health::{check, client, next_status, wait_for, watch};
use test_support::server::start;

use ServingStatus::{NotServing, Serving};

fn counter() -> (Arc<AtomicUsize>, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    (calls.clone(), calls)
}

#[tokio::test]
async fn panicking_check_fails_with_its_message_and_others_stay_correct() {
    let server = start(
        HealthChecks::new()
            .interval(Duration::from_millis(20))
            .check(Check::new("boom", || -> bool { panic!("config is gone") }))
            .check(Check::new("fine", || true).group(Group::Liveness)),
    )
    .await;
    let mut client = client(server.addr).await;
    let mut liveness = watch(&mut client, "liveness").await;
    wait_for(&mut liveness, Serving).await;
    assert_eq!(check(&mut client, "readiness").await, Ok(NotServing));
    eventually("the panic is recorded", || {
        server.handle.snapshot().iter().any(|check| {
            check.name == "boom" && check.reason.as_deref() == Some("panicked: config is gone")
        })
    })
    .await;
}

/// A blocking check that never returns is started once, and Check keeps answering.
#[tokio::test]
async fn hung_check_is_invoked_once_and_check_still_answers() {
    let (calls, counted) = counter();
    let (release, hang) = std::sync::mpsc::channel::<()>();
    let hang = std::sync::Mutex::new(hang);
    let server = start(
        HealthChecks::new()
            .interval(Duration::from_millis(10))
            .timeout(Duration::from_millis(30))
            .check(Check::new("hung", move || {
                counted.fetch_add(1, Ordering::SeqCst);
                hang.lock()
                    .map(|receiver| receiver.recv().is_ok())
                    .unwrap_or(false)
            })),
    )
    .await;
    let mut client = client(server.addr).await;
    eventually("several evaluations", || {
        server.handle.snapshot()[0].evaluations >= 10
    })
    .await;
    // The check cannot return until `release` is dropped below, so every
    // answer here was given while it hung: Check never waits for a check.
    for _ in 0..20 {
        assert_eq!(check(&mut client, "readiness").await, Ok(NotServing));
    }
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "a running check is never started again"
    );
    let reason = server.handle.snapshot()[0]
        .reason
        .clone()
        .unwrap_or_default();
    assert!(reason.starts_with("still running after"), "{reason}");
    drop(release);
}

/// An async check that never returns is cancelled at each timeout; nothing piles up.
#[tokio::test]
async fn hung_async_check_times_out_every_round() {
    let (calls, counted) = counter();
    let server = start(
        HealthChecks::new()
            .interval(Duration::from_millis(10))
            .check(
                Check::new_async("hung", move || {
                    counted.fetch_add(1, Ordering::SeqCst);
                    std::future::pending::<bool>()
                })
                .timeout(Duration::from_millis(20)),
            ),
    )
    .await;
    eventually("five evaluations", || {
        server.handle.snapshot()[0].evaluations >= 5
    })
    .await;
    let snapshot = &server.handle.snapshot()[0];
    assert_eq!(snapshot.reason.as_deref(), Some("timed out after 20ms"));
    assert_eq!(snapshot.status, CheckStatus::Failing);
    let evaluations = usize::try_from(snapshot.evaluations).expect("small count");
    assert!(
        calls.load(Ordering::SeqCst) <= evaluations + 1,
        "one call per evaluation at most"
    );
}

/// 1000 concurrent Checks against a 50 ms dependency: the dependency is called
/// once per evaluation round, never per Check, whatever the machine's speed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousand_concurrent_checks_call_the_dependency_once_per_interval() {
    let interval = Duration::from_millis(200);
    let (calls, counted) = counter();
    let server = start(
        HealthChecks::new()
            .interval(interval)
            .check(Check::new_async("slow", move || {
                counted.fetch_add(1, Ordering::SeqCst);
                async {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    true
                }
            })),
    )
    .await;
    let mut clients = Vec::new();
    for _ in 0..4 {
        clients.push(client(server.addr).await);
    }
    let mut readiness = watch(&mut clients[0], "readiness").await;
    wait_for(&mut readiness, Serving).await;
    let rounds = || server.handle.snapshot()[0].evaluations;
    let (before, rounds_before) = (calls.load(Ordering::SeqCst), rounds());
    let answers = join_all((0..1000).map(|index| {
        let mut client = clients[index % clients.len()].clone();
        async move { check(&mut client, "readiness").await }
    }))
    .await;
    assert!(answers.iter().all(|answer| *answer == Ok(Serving)));
    let during = calls.load(Ordering::SeqCst) - before;
    // One round may be running (called, not yet counted) at each end.
    let rounds_during = usize::try_from(rounds() - rounds_before).expect("small") + 1;
    assert!(
        during <= rounds_during,
        "{during} dependency calls in {rounds_during} evaluation rounds"
    );
}

#[tokio::test]
async fn thresholds_need_consecutive_results_before_flipping() {
    let healthy = Arc::new(AtomicBool::new(true));
    let (passes, counted_passes) = counter();
    let (failures, counted_failures) = counter();
    let state = healthy.clone();
    let server = start(
        HealthChecks::new()
            .interval(Duration::from_millis(10))
            .check(
                Check::new("flaky", move || {
                    let up = state.load(Ordering::SeqCst);
                    let tally = if up {
                        &counted_passes
                    } else {
                        &counted_failures
                    };
                    tally.fetch_add(1, Ordering::SeqCst);
                    up
                })
                .failure_threshold(3)
                .success_threshold(2),
            ),
    )
    .await;
    let mut client = client(server.addr).await;
    let mut readiness = watch(&mut client, "readiness").await;
    wait_for(&mut readiness, Serving).await;
    assert!(passes.load(Ordering::SeqCst) >= 2, "success threshold of 2");
    healthy.store(false, Ordering::SeqCst);
    wait_for(&mut readiness, NotServing).await;
    assert!(
        failures.load(Ordering::SeqCst) >= 3,
        "failure threshold of 3"
    );
    let passes_before = passes.load(Ordering::SeqCst);
    healthy.store(true, Ordering::SeqCst);
    wait_for(&mut readiness, Serving).await;
    assert!(
        passes.load(Ordering::SeqCst) - passes_before >= 2,
        "success threshold of 2 again"
    );
}

#[tokio::test]
async fn flapping_check_without_thresholds_reports_every_flip() {
    let healthy = Arc::new(AtomicBool::new(true));
    let state = healthy.clone();
    let server = start(
        HealthChecks::new()
            .interval(Duration::from_millis(5))
            .check(Check::new("flapping", move || state.load(Ordering::SeqCst))),
    )
    .await;
    let mut client = client(server.addr).await;
    let mut readiness = watch(&mut client, "readiness").await;
    wait_for(&mut readiness, Serving).await;
    for expected in [NotServing, Serving, NotServing, Serving] {
        healthy.store(expected == Serving, Ordering::SeqCst);
        assert_eq!(next_status(&mut readiness).await, expected);
    }
}

#[tokio::test]
async fn liveness_stays_serving_while_readiness_fails() {
    let dependency_up = Arc::new(AtomicBool::new(true));
    let state = dependency_up.clone();
    let server = start(
        HealthChecks::new()
            .interval(Duration::from_millis(10))
            .service("helloworld.Greeter", Group::Readiness)
            .check(Check::new_async("db", move || {
                let up = state.load(Ordering::SeqCst);
                async move {
                    if up {
                        Ok(())
                    } else {
                        Err("connection refused")
                    }
                }
            })),
    )
    .await;
    let mut client = client(server.addr).await;
    let mut greeter = watch(&mut client, "helloworld.Greeter").await;
    wait_for(&mut greeter, Serving).await;
    dependency_up.store(false, Ordering::SeqCst);
    wait_for(&mut greeter, NotServing).await;
    assert_eq!(check(&mut client, "readiness").await, Ok(NotServing));
    assert_eq!(
        check(&mut client, "liveness").await,
        Ok(Serving),
        "a dependency never fails liveness"
    );
    let db = &server.handle.snapshot()[0];
    assert_eq!(db.reason.as_deref(), Some("connection refused"));
}

#[tokio::test]
async fn hundred_checks_run_concurrently() {
    let release = Arc::new(tokio::sync::Barrier::new(100));
    let checks = (0..100).fold(
        HealthChecks::new().timeout(Duration::from_secs(4)),
        |builder, index| {
            let release = release.clone();
            builder.check(Check::new_async(format!("check-{index}"), move || {
                let release = release.clone();
                // Passes only if all 100 are running at once.
                async move {
                    release.wait().await;
                    true
                }
            }))
        },
    );
    let server = start(checks).await;
    let mut client = client(server.addr).await;
    let mut readiness = watch(&mut client, "readiness").await;
    wait_for(&mut readiness, Serving).await;
}
