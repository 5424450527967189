//! Slow dependency: a 50 ms check evaluated every 1 s, under 1000 Check/s for
//! 5 s; then the same load on naive evaluation of the same check, and on
//! tonic-health (no check at all: the floor of an open-loop p99 here).

use std::time::{Duration, Instant};

use crate::Result;
use crate::cli::Plan;
use crate::dependency::Dependency;
use crate::load::{Clients, open_loop};
use crate::report::Figures;
use crate::servers;

/// How long the dependency takes to answer.
const DEPENDENCY_DELAY: Duration = Duration::from_millis(50);
/// How often health-lib runs the check.
const INTERVAL: Duration = Duration::from_secs(1);
/// Check calls per second.
const RATE: u32 = 1000;
/// Connections the calls are spread over.
const CONNECTIONS: usize = 4;

/// Measures the slow-dependency figures into `figures`.
pub(crate) async fn measure(plan: &Plan, figures: &mut Figures) -> Result<()> {
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
    let clients = Clients::connect(server.addr, CONNECTIONS).await?;
    let started = Instant::now();
    let result = open_loop(&clients, RATE, plan.slow_duration).await?;
    figures.push("slow_check_p99_ms", result.p99().as_secs_f64() * 1e3, 3);
    // A window of whole intervals, so a periodic check is counted once per interval.
    figures.push(
        "slow_check_dependency_calls_per_s",
        dependency.calls_per_s(started, plan.slow_duration),
        2,
    );
    drop(server);

    let naive_dependency = Dependency::slow(DEPENDENCY_DELAY);
    let naive = servers::serve(servers::naive(vec![naive_dependency.clone()])).await?;
    let clients = Clients::connect(naive.addr, CONNECTIONS).await?;
    let started = Instant::now();
    let result = open_loop(&clients, RATE, plan.slow_duration).await?;
    figures.push("naive_check_p99_ms", result.p99().as_secs_f64() * 1e3, 3);
    figures.push(
        "naive_check_dependency_calls_per_s",
        naive_dependency.calls_per_s(started, plan.slow_duration),
        0,
    );
    drop(naive);

    let tonic_health = servers::serve(servers::tonic_health().await).await?;
    let clients = Clients::connect(tonic_health.addr, CONNECTIONS).await?;
    let result = open_loop(&clients, RATE, plan.slow_duration).await?;
    figures.push(
        "slow_check_p99_ms_tonic_health",
        result.p99().as_secs_f64() * 1e3,
        3,
    );
    Ok(())
}
