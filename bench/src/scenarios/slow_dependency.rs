//! Slow dependency: a 50 ms check evaluated every 1 s, under 1000 Check/s for
//! 5 s; then the same load on naive evaluation of the same check, and on
//! tonic-health (no check at all: the floor of an open-loop p99 here).

use std::time::{Duration, Instant};

use crate::Result;
use crate::cli::Plan;
use crate::fixtures::dependency::Dependency;
use crate::fixtures::load::{CheckClients, open_loop};
use crate::fixtures::servers::{self, Running};
use crate::harness::report::{Figures, Measured};

/// How long the dependency takes to answer.
const DEPENDENCY_DELAY: Duration = Duration::from_millis(50);
/// How often health-lib runs the check.
const INTERVAL: Duration = Duration::from_secs(1);
/// Check calls per second.
const RATE: u32 = 1000;
/// Connections the calls are spread over.
const CONNECTIONS: usize = 4;

/// What the slow dependency measured, for each server.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SlowDependency {
    /// health-lib (the check cached).
    pub(crate) health_lib: SlowRun,
    /// Naive evaluation (the check run in every call).
    pub(crate) naive: SlowRun,
    /// tonic-health's Check p99 under the same load, in ms: no check at all.
    pub(crate) tonic_health_p99_ms: f64,
}

/// One server under the load.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct SlowRun {
    /// Check p99 latency, in ms.
    pub(crate) p99_ms: f64,
    /// How often the dependency was called, per second.
    pub(crate) dependency_calls_per_s: f64,
}

impl Measured for SlowDependency {
    fn record(&self, figures: &mut Figures) {
        figures.push("slow_check_p99_ms", self.health_lib.p99_ms, 3);
        figures.push(
            "slow_check_dependency_calls_per_s",
            self.health_lib.dependency_calls_per_s,
            2,
        );
        figures.push("naive_check_p99_ms", self.naive.p99_ms, 3);
        figures.push(
            "naive_check_dependency_calls_per_s",
            self.naive.dependency_calls_per_s,
            0,
        );
        figures.push(
            "slow_check_p99_ms_tonic_health",
            self.tonic_health_p99_ms,
            3,
        );
    }
}

/// Measures the slow dependency.
pub(crate) async fn measure(plan: &Plan) -> Result<SlowDependency> {
    eprintln!(
        "bench: {RATE} Check/s for {:?} against a {DEPENDENCY_DELAY:?} dependency",
        plan.slow_duration
    );
    let dependency = Dependency::slow(DEPENDENCY_DELAY);
    let server = servers::serve(servers::grpc_health_checks(
        std::slice::from_ref(&dependency),
        INTERVAL,
    )?)
    .await?;
    // Past the first evaluation, so readiness is SERVING.
    tokio::time::sleep(DEPENDENCY_DELAY * 4).await;
    let health_lib = load(&server, &dependency, plan).await?;
    drop(server);

    let naive_dependency = Dependency::slow(DEPENDENCY_DELAY);
    let naive = servers::serve(servers::naive(vec![naive_dependency.clone()])).await?;
    let naive_run = load(&naive, &naive_dependency, plan).await?;
    drop(naive);

    let tonic_health = servers::serve(servers::tonic_health().await).await?;
    let clients = CheckClients::connect(tonic_health.addr, CONNECTIONS).await?;
    let result = open_loop(&clients, RATE, plan.slow_duration).await?;
    Ok(SlowDependency {
        health_lib,
        naive: naive_run,
        tonic_health_p99_ms: result.p99().as_secs_f64() * 1e3,
    })
}

/// The load on `server`, whose checks call `dependency`.
async fn load(server: &Running, dependency: &Dependency, plan: &Plan) -> Result<SlowRun> {
    let clients = CheckClients::connect(server.addr, CONNECTIONS).await?;
    let started = Instant::now();
    let result = open_loop(&clients, RATE, plan.slow_duration).await?;
    Ok(SlowRun {
        p99_ms: result.p99().as_secs_f64() * 1e3,
        // A window of whole intervals, so a periodic check is counted once per interval.
        dependency_calls_per_s: dependency.calls_per_s(started, plan.slow_duration),
    })
}
