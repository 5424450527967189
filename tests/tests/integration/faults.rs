//! Faulty checks that checks.rs does not cover: hangs over 1000 intervals under
//! test time control, late answers, a blocked thread on a current-thread
//! runtime, damped flapping, and 100 different faults at once. Throughout,
//! Check and Watch answer while the faulty checks are still running, and the
//! other checks' results stay right.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use futures::future::join_all;
use grpc_health_checks::{Check, CheckStatus, Group, HealthChecks, ServingStatus};

use test_support::eventually;
use test_support::health::{check, client, next_status, wait_for, watch};
use test_support::server::{start, start_in_memory};

use ServingStatus::{NotServing, Serving};

fn alive_tasks() -> usize {
    tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks()
}

/// An async check that never returns, evaluated 1000 times under paused time:
/// each run is cancelled at its timeout, so the task count stays flat, and Check
/// answers in (virtual) microseconds, not at the check's timeout.
#[tokio::test(start_paused = true)]
async fn never_returning_check_keeps_task_count_bounded_over_1000_intervals() {
    let interval = Duration::from_millis(10);
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let (handle, mut client) = start_in_memory(
        HealthChecks::new()
            .interval(interval)
            .timeout(Duration::from_millis(5))
            .check(Check::new_async("hung", move || {
                counted.fetch_add(1, Ordering::SeqCst);
                std::future::pending::<bool>()
            }))
            .check(Check::new_async("alive", || async { true }).group(Group::Liveness)),
    )
    .await;
    let mut liveness = watch(&mut client, "liveness").await;
    wait_for(&mut liveness, Serving).await;
    let baseline = alive_tasks();
    let evaluations = || handle.snapshot()[0].evaluations;
    let mut most_tasks = baseline;
    let mut next_probe = 0;
    let started = tokio::time::Instant::now();
    while evaluations() < 1000 {
        assert!(
            started.elapsed() < interval * 1100,
            "1000 evaluations take 1000 intervals"
        );
        tokio::time::sleep(interval / 2).await;
        most_tasks = most_tasks.max(alive_tasks());
        if evaluations() >= next_probe {
            next_probe += 100;
            let asked = tokio::time::Instant::now();
            assert_eq!(check(&mut client, "readiness").await, Ok(NotServing));
            assert_eq!(
                check(&mut client, "liveness").await,
                Ok(Serving),
                "the other check is unaffected"
            );
            assert!(
                asked.elapsed() < Duration::from_millis(5),
                "Check never waits for the hung check (took {:?} of test time)",
                asked.elapsed()
            );
        }
    }
    let evaluated = usize::try_from(evaluations()).expect("small");
    assert!(
        most_tasks <= baseline + 2,
        "alive tasks peaked at {most_tasks} (baseline {baseline}) over {evaluated} intervals"
    );
    let called = calls.load(Ordering::SeqCst);
    assert!(
        (evaluated..=evaluated + 1).contains(&called),
        "one run per interval: {called} calls in {evaluated} evaluations"
    );
    println!(
        "hung check: {evaluated} intervals, {called} runs, alive tasks peak {most_tasks} (baseline {baseline})"
    );
    let hung = &handle.snapshot()[0];
    assert_eq!(hung.reason.as_deref(), Some("timed out after 5ms"));
    assert_eq!(hung.status, CheckStatus::Failing);
}

/// An async check that answers "healthy" only after its timeout is cancelled
/// every time: its late pass never counts.
#[tokio::test(start_paused = true)]
async fn async_check_answering_after_its_timeout_is_cancelled_and_never_passes() {
    let completed = Arc::new(AtomicUsize::new(0));
    let done = completed.clone();
    let (handle, mut client) = start_in_memory(
        HealthChecks::new()
            .interval(Duration::from_millis(20))
            .check(
                Check::new_async("late", move || {
                    let done = done.clone();
                    async move {
                        tokio::time::sleep(Duration::from_millis(30)).await;
                        done.fetch_add(1, Ordering::SeqCst);
                        true
                    }
                })
                .timeout(Duration::from_millis(10)),
            )
            .check(Check::new_async("alive", || async { true }).group(Group::Liveness)),
    )
    .await;
    let mut readiness = watch(&mut client, "readiness").await;
    assert_eq!(next_status(&mut readiness).await, NotServing);
    let baseline = alive_tasks();
    let mut most_tasks = baseline;
    while handle.snapshot()[0].evaluations < 50 {
        tokio::time::sleep(Duration::from_millis(10)).await;
        most_tasks = most_tasks.max(alive_tasks());
        assert_eq!(check(&mut client, "readiness").await, Ok(NotServing));
    }
    assert_eq!(
        completed.load(Ordering::SeqCst),
        0,
        "every run was cancelled at 10 ms"
    );
    assert!(
        most_tasks <= baseline + 2,
        "{most_tasks} tasks, baseline {baseline}"
    );
    println!(
        "late async check: 50 runs, 0 completed, alive tasks peak {most_tasks} (baseline {baseline})"
    );
    assert_eq!(
        handle.snapshot()[0].reason.as_deref(),
        Some("timed out after 10ms")
    );
    assert_eq!(check(&mut client, "liveness").await, Ok(Serving));
}

/// A blocking check that passes, but only after its timeout: its late result is
/// dropped, it never runs twice at once, and readiness never turns SERVING.
/// Each run blocks until the test has seen it time out and releases it, so the
/// late pass is late whatever the machine's speed.
#[tokio::test]
async fn blocking_check_answering_after_its_timeout_never_overlaps_or_counts() {
    let running = Arc::new(AtomicUsize::new(0));
    let most_running = Arc::new(AtomicUsize::new(0));
    let completed = Arc::new(AtomicUsize::new(0));
    let (release, released) = std::sync::mpsc::channel::<()>();
    let released = std::sync::Mutex::new(released);
    let (now, most, done) = (running.clone(), most_running.clone(), completed.clone());
    let server = start(
        HealthChecks::new()
            .interval(Duration::from_millis(10))
            .check(
                Check::new("late", move || {
                    let concurrent = now.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(concurrent, Ordering::SeqCst);
                    // The fault under test: a synchronous call slower than the timeout.
                    let passed = released
                        .lock()
                        .is_ok_and(|released| released.recv().is_ok());
                    now.fetch_sub(1, Ordering::SeqCst);
                    done.fetch_add(1, Ordering::SeqCst);
                    passed
                })
                .timeout(Duration::from_millis(20)),
            )
            .check(Check::new("alive", || true).group(Group::Liveness)),
    )
    .await;
    let mut client = client(server.addr).await;
    let mut readiness = watch(&mut client, "readiness").await;
    assert_eq!(next_status(&mut readiness).await, NotServing);
    let mut reasons = std::collections::BTreeSet::new();
    for late_runs in 1..=3 {
        eventually("the blocked run to time out", || {
            let snapshot = &server.handle.snapshot()[0];
            snapshot.reason.as_deref().is_some_and(|reason| {
                reason.starts_with("timed out") || reason.starts_with("still running")
            }) && running.load(Ordering::SeqCst) == 1
        })
        .await;
        if let Some(reason) = &server.handle.snapshot()[0].reason {
            reasons.insert(reason.split(" after").next().unwrap_or("").to_owned());
        }
        assert_eq!(
            check(&mut client, "readiness").await,
            Ok(NotServing),
            "a late pass never counts"
        );
        release.send(()).expect("the check is waiting");
        eventually("the released run to return", || {
            completed.load(Ordering::SeqCst) == late_runs
        })
        .await;
    }
    assert_eq!(most_running.load(Ordering::SeqCst), 1, "runs never overlap");
    assert_eq!(check(&mut client, "readiness").await, Ok(NotServing));
    println!(
        "late blocking check: 3 late passes dropped, at most 1 run at a time, reasons {reasons:?}"
    );
    assert_eq!(check(&mut client, "liveness").await, Ok(Serving));
    drop(release);
}

/// A synchronous check blocking its thread until the test releases it: sync
/// checks run on Tokio's blocking pool, so even a current-thread runtime (the
/// one serving gRPC here) keeps answering, from the last published results.
/// Every answer below is given while the check is provably still blocked.
#[tokio::test(flavor = "current_thread")]
async fn sync_check_blocking_its_thread_does_not_stall_a_current_thread_runtime() {
    let blocking = Arc::new(AtomicBool::new(false));
    let runs = Arc::new(AtomicUsize::new(0));
    let (release, released) = std::sync::mpsc::channel::<()>();
    let released = std::sync::Mutex::new(released);
    let (flag, count) = (blocking.clone(), runs.clone());
    let server = start(
        HealthChecks::new()
            .interval(Duration::from_millis(50))
            .timeout(test_support::HANG_GUARD)
            .check(Check::new("sync", move || {
                if count.fetch_add(1, Ordering::SeqCst) == 0 {
                    return true;
                }
                flag.store(true, Ordering::SeqCst);
                // The fault under test: the second run blocks its thread.
                let _ = released.lock().map(|released| released.recv());
                flag.store(false, Ordering::SeqCst);
                false
            }))
            .check(Check::new("alive", || true).group(Group::Liveness)),
    )
    .await;
    let mut client = client(server.addr).await;
    let mut readiness = watch(&mut client, "readiness").await;
    wait_for(&mut readiness, Serving).await;
    eventually("the check blocks", || blocking.load(Ordering::SeqCst)).await;
    for _ in 0..100 {
        assert_eq!(
            check(&mut client, "readiness").await,
            Ok(Serving),
            "the last published result, while the new run blocks"
        );
        assert_eq!(check(&mut client, "liveness").await, Ok(Serving));
    }
    assert!(
        blocking.load(Ordering::SeqCst),
        "every Check above was answered while the check blocked"
    );
    release.send(()).expect("the check is waiting");
    wait_for(&mut readiness, NotServing).await;
    drop(release);
}

/// A check alternating pass/fail on every run with `failure_threshold(2)` never
/// flips readiness: no two failures are consecutive. Once it really fails,
/// readiness follows after two runs.
#[tokio::test]
async fn flapping_check_with_a_failure_threshold_is_damped() {
    let runs = Arc::new(AtomicUsize::new(0));
    let broken = Arc::new(AtomicBool::new(false));
    let (count, down) = (runs.clone(), broken.clone());
    let server = start(
        HealthChecks::new()
            .interval(Duration::from_millis(5))
            .check(
                Check::new("flapping", move || {
                    let run = count.fetch_add(1, Ordering::SeqCst);
                    !down.load(Ordering::SeqCst) && run % 2 == 0
                })
                .failure_threshold(2),
            )
            .check(Check::new("steady", || true).group(Group::Liveness)),
    )
    .await;
    let mut client = client(server.addr).await;
    let mut readiness = watch(&mut client, "readiness").await;
    wait_for(&mut readiness, Serving).await;
    let flapping = || server.handle.snapshot()[0].clone();
    let since = flapping().last_change.expect("it passed once");
    eventually("40 more flapping runs", || flapping().evaluations >= 41).await;
    let state = flapping();
    assert_eq!(state.status, CheckStatus::Passing);
    assert_eq!(
        state.last_change,
        Some(since),
        "no flip in {} runs",
        state.evaluations
    );
    assert_eq!(check(&mut client, "readiness").await, Ok(Serving));
    println!("flapping check: {} runs without a flip", state.evaluations);
    broken.store(true, Ordering::SeqCst);
    assert_eq!(
        next_status(&mut readiness).await,
        NotServing,
        "the first message since SERVING is the real failure"
    );
    assert_eq!(check(&mut client, "liveness").await, Ok(Serving));
}

/// 100 checks, a quarter each passing, failing, panicking and hanging: each
/// reports its own result, and 100 concurrent Checks answer in time.
#[tokio::test]
async fn hundred_faulty_checks_each_report_their_own_result() {
    let checks = (0..100).fold(
        HealthChecks::new()
            .interval(Duration::from_millis(100))
            .timeout(Duration::from_secs(2)),
        |builder, index| {
            let name = format!("check-{index}");
            builder.check(match index % 4 {
                0 => Check::new(name, || true).group(Group::Liveness),
                1 => Check::new(name, move || Err::<(), _>(format!("fail-{index}"))),
                2 => Check::new(name, move || -> bool { panic!("panic-{index}") }),
                _ => Check::new_async(name, std::future::pending::<bool>)
                    .timeout(Duration::from_millis(50)),
            })
        },
    );
    let server = start(checks).await;
    let mut client = client(server.addr).await;
    let mut liveness = watch(&mut client, "liveness").await;
    wait_for(&mut liveness, Serving).await;
    eventually("two evaluations of every check", || {
        server
            .handle
            .snapshot()
            .iter()
            .all(|check| check.evaluations >= 2)
    })
    .await;
    for (index, check) in server.handle.snapshot().iter().enumerate() {
        let (status, reason) = match index % 4 {
            0 => (CheckStatus::Passing, None),
            1 => (CheckStatus::Failing, Some(format!("fail-{index}"))),
            2 => (
                CheckStatus::Failing,
                Some(format!("panicked: panic-{index}")),
            ),
            _ => (
                CheckStatus::Failing,
                Some("timed out after 50ms".to_owned()),
            ),
        };
        assert_eq!(check.name, format!("check-{index}"));
        assert_eq!((check.status, check.reason.clone()), (status, reason));
    }
    let answers = join_all((0..100).map(|index| {
        let mut client = client.clone();
        let service = ["", "liveness", "readiness"][index % 3];
        async move { (service, check(&mut client, service).await) }
    }))
    .await;
    for (service, answer) in answers {
        let expected = if service == "liveness" {
            Serving
        } else {
            NotServing
        };
        assert_eq!(answer, Ok(expected), "{service:?}");
    }
}
