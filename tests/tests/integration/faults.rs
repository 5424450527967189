//! Faulty checks that checks.rs does not cover: hangs over 1000 intervals under
//! test time control, late answers, a blocked thread on a current-thread
//! runtime, damped flapping, and 100 different faults at once. Throughout,
//! Check and Watch answer within the caller's deadline and the other checks'
//! results stay right.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures::future::join_all;
use grpc_health_checks::{Check, CheckStatus, Group, HealthChecks, ServingStatus};

use crate::support::{
    check_within, client, eventually, next_status, start, start_in_memory, wait_for, watch,
};

use ServingStatus::{NotServing, Serving};

/// The caller's deadline: kubelet's default `timeoutSeconds`, 1 s. Observed
/// answers take milliseconds; the slack keeps a loaded CI machine green.
const DEADLINE: Duration = Duration::from_secs(1);

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
            assert_eq!(
                check_within(&mut client, "readiness", DEADLINE).await,
                Ok(NotServing)
            );
            assert_eq!(
                check_within(&mut client, "liveness", DEADLINE).await,
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
        assert_eq!(
            check_within(&mut client, "readiness", DEADLINE).await,
            Ok(NotServing)
        );
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
    assert_eq!(
        check_within(&mut client, "liveness", DEADLINE).await,
        Ok(Serving)
    );
}

/// A blocking check that passes, but only after its timeout: its late result is
/// dropped, it never runs twice at once, and readiness never turns SERVING.
#[tokio::test]
async fn blocking_check_answering_after_its_timeout_never_overlaps_or_counts() {
    let running = Arc::new(AtomicUsize::new(0));
    let most_running = Arc::new(AtomicUsize::new(0));
    let completed = Arc::new(AtomicUsize::new(0));
    let (now, most, done) = (running.clone(), most_running.clone(), completed.clone());
    let server = start(
        HealthChecks::new()
            .interval(Duration::from_millis(10))
            .check(
                Check::new("late", move || {
                    let concurrent = now.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(concurrent, Ordering::SeqCst);
                    // The fault under test: a synchronous call slower than the timeout.
                    std::thread::sleep(Duration::from_millis(60));
                    now.fetch_sub(1, Ordering::SeqCst);
                    done.fetch_add(1, Ordering::SeqCst);
                    true
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
    let mut asked = 0;
    while completed.load(Ordering::SeqCst) < 3 {
        assert!(asked < 5000, "three late runs complete within 5000 Checks");
        asked += 1;
        assert_eq!(
            check_within(&mut client, "readiness", DEADLINE).await,
            Ok(NotServing),
            "a late pass never counts"
        );
        if let Some(reason) = &server.handle.snapshot()[0].reason {
            reasons.insert(reason.split(" after").next().unwrap_or("").to_owned());
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    assert_eq!(most_running.load(Ordering::SeqCst), 1, "runs never overlap");
    println!(
        "late blocking check: {asked} Checks all NOT_SERVING, at most 1 run at a time, reasons {reasons:?}"
    );
    assert!(
        !reasons.is_empty()
            && reasons
                .iter()
                .all(|reason| reason == "timed out" || reason == "still running"),
        "{reasons:?}"
    );
    assert_eq!(
        check_within(&mut client, "liveness", DEADLINE).await,
        Ok(Serving)
    );
}

/// A synchronous check blocking its thread for 2 s: sync checks run on Tokio's
/// blocking pool, so even a current-thread runtime (the one serving gRPC here)
/// keeps answering, from the last published results.
#[tokio::test(flavor = "current_thread")]
async fn sync_check_blocking_two_seconds_does_not_stall_a_current_thread_runtime() {
    let blocking = Arc::new(AtomicBool::new(false));
    let runs = Arc::new(AtomicUsize::new(0));
    let (flag, count) = (blocking.clone(), runs.clone());
    let server = start(
        HealthChecks::new()
            .interval(Duration::from_millis(50))
            .timeout(Duration::from_secs(5))
            .check(Check::new("sync", move || {
                if count.fetch_add(1, Ordering::SeqCst) == 0 {
                    return true;
                }
                flag.store(true, Ordering::SeqCst);
                // The fault under test: the second run blocks its thread for 2 s.
                std::thread::sleep(Duration::from_secs(2));
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
    let block_seen = Instant::now();
    let mut answered = 0;
    let mut slowest = Duration::ZERO;
    let mut ticker = tokio::time::interval(Duration::from_millis(5));
    // The block lasts 2 s from before `block_seen`; stay well inside it.
    while block_seen.elapsed() < Duration::from_millis(1500) && answered < 1000 {
        ticker.tick().await;
        let asked = Instant::now();
        assert_eq!(
            check_within(&mut client, "readiness", DEADLINE).await,
            Ok(Serving),
            "the last published result, while the new run blocks"
        );
        assert_eq!(
            check_within(&mut client, "liveness", DEADLINE).await,
            Ok(Serving)
        );
        slowest = slowest.max(asked.elapsed());
        answered += 1;
    }
    assert!(
        blocking.load(Ordering::SeqCst),
        "every Check above was answered while the check blocked"
    );
    assert!(
        answered >= 50,
        "only {answered} Check pairs during a 2 s block"
    );
    println!("{answered} Check pairs answered during the 2 s block, slowest {slowest:?}");
    wait_for(&mut readiness, NotServing).await;
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
    assert_eq!(
        check_within(&mut client, "readiness", DEADLINE).await,
        Ok(Serving)
    );
    println!("flapping check: {} runs without a flip", state.evaluations);
    broken.store(true, Ordering::SeqCst);
    assert_eq!(
        next_status(&mut readiness).await,
        NotServing,
        "the first message since SERVING is the real failure"
    );
    assert_eq!(
        check_within(&mut client, "liveness", DEADLINE).await,
        Ok(Serving)
    );
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
    let started = Instant::now();
    let answers = join_all((0..100).map(|index| {
        let mut client = client.clone();
        let service = ["", "liveness", "readiness"][index % 3];
        async move { (service, check_within(&mut client, service, DEADLINE).await) }
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
    assert!(
        started.elapsed() < DEADLINE,
        "100 Checks in {:?}",
        started.elapsed()
    );
    println!(
        "100 faulty checks: 100 concurrent Checks in {:?}",
        started.elapsed()
    );
}
