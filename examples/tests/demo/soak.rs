//! Many Watch streams plus Check load against the demo process: no errors,
//! every watcher sees both flips, and the demo's RSS stays flat.

use std::time::Instant;

use grpc_health_checks::ServingStatus::Serving;
use test_support::health::{client, wait_for, watch};

use crate::load::{Checked, join, reach, start_check_load, start_watchers};
use crate::start_demo;

/// A soak knob from the environment, or its default for the ordinary test run.
fn knob(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .map(|value| {
            value
                .parse()
                .unwrap_or_else(|_| panic!("{name}={value} is not a whole number"))
        })
        .unwrap_or(default)
}

/// The resident set size of `pid` in KiB, from /proc.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read /proc status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc status")
}

/// Many Watch streams plus closed-loop Check workers against the demo
/// process, with a readiness flip half-way: zero errors, every watcher sees
/// both flips, and the demo's RSS stays flat after warm-up. RSS is sampled
/// every 500 Checks, so the run is the same size on any machine. Small by
/// default; the long run is
/// `SOAK_CHECKS=60000 SOAK_WATCHERS=10000 cargo test -p examples --release --test demo soak -- --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_watchers_and_checks_keep_rss_flat() {
    const SAMPLE_EVERY: usize = 500;
    let total = usize::try_from(knob("SOAK_CHECKS", 4000))
        .expect("fits")
        .max(4 * SAMPLE_EVERY);
    let watchers = usize::try_from(knob("SOAK_WATCHERS", 300)).expect("fits");
    let dir = tempfile::tempdir().expect("temp dir");
    let ready_file = dir.path().join("ready");
    std::fs::write(&ready_file, b"").expect("create ready file");
    let ready_arg = ready_file.to_str().expect("utf-8 path");
    let demo = start_demo(&["--ready-file", ready_arg]);
    let greeter = "helloworld.Greeter";
    let mut first = client(demo.addr()).await;
    let mut ready = watch(&mut first, greeter).await;
    wait_for(&mut ready, Serving).await;
    drop((ready, first));
    let rss_start = rss_kib(demo.pid());
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let (tally, watch_tasks) = start_watchers(demo.addr(), &[greeter], watchers, &stopped).await;
    let rss_with_watchers = rss_kib(demo.pid());
    let began = Instant::now();
    let (checks_done, check_tasks) = start_check_load(demo.addr(), greeter, 8, &stopped).await;

    let mut samples = Vec::new();
    for sample in 1..=total / SAMPLE_EVERY {
        reach("the next 500 Checks", &checks_done, sample * SAMPLE_EVERY).await;
        samples.push(rss_kib(demo.pid()));
        if sample == total / SAMPLE_EVERY / 2 {
            std::fs::remove_file(&ready_file).expect("remove ready file");
            reach(
                "every watcher told NOT_SERVING",
                &tally.not_serving,
                watchers,
            )
            .await;
            std::fs::write(&ready_file, b"").expect("recreate ready file");
            reach(
                "every watcher told SERVING again",
                &tally.serving,
                2 * watchers,
            )
            .await;
        }
    }
    let elapsed = began.elapsed();
    stop.send_replace(true);
    let watched = join(watch_tasks).await;
    let checks: Vec<Checked> = join(check_tasks).await.into_iter().flatten().collect();
    demo.terminate();
    let status = demo.exited().await;

    let check_errors = checks.iter().filter(|check| check.answer.is_err()).count();
    let watch_errors: Vec<_> = watched
        .iter()
        .filter(|seen| seen.ended.is_some() || seen.messages != 3)
        .collect();
    // Warm-up: the first 1000 Checks grow allocator pools; after them, flat.
    let steady = &samples[2..];
    let (low, high) = (
        steady.iter().copied().min().unwrap_or(0),
        steady.iter().copied().max().unwrap_or(0),
    );
    println!(
        "soak: {watchers} watchers + {} Checks in {elapsed:?}: {check_errors} Check errors, {} \
         watch errors; RSS KiB: start {rss_start}, with watchers {rss_with_watchers}, steady min \
         {low} max {high}, last {}",
        checks.len(),
        watch_errors.len(),
        samples.last().copied().unwrap_or(0),
    );
    assert_eq!(check_errors, 0);
    assert!(checks.len() >= total, "{} Checks", checks.len());
    assert!(watch_errors.is_empty(), "{:?}", watch_errors.first());
    assert!(
        high <= low + low / 10 + 2048,
        "RSS grew from {low} to {high} KiB after warm-up"
    );
    assert!(status.success(), "exit status {status}");
}
