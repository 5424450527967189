//! Check path: the same closed-loop load against health-lib (cached checks),
//! tonic-health (status set) and naive evaluation, in rounds that visit every
//! server once, in rotating order; medians over rounds.

use std::time::Duration;

use crate::Result;
use crate::cli::Plan;
use crate::dependency::Dependency;
use crate::load::closed_loop;
use crate::report::Figures;
use crate::servers::{self, Running};
use crate::stats::{median, ratio};

/// Connections per load run.
const CONNECTIONS: usize = 4;
/// Calls in flight per connection.
const STREAMS: usize = 32;
/// Cheap checks behind the health-lib and naive servers.
const CHECKS: usize = 3;
/// An untimed load on each server before its timed one, each round.
const WARM_UP: Duration = Duration::from_millis(300);

/// Per-server samples over the rounds.
#[derive(Default)]
struct Samples {
    rps: Vec<f64>,
    p99_us: Vec<f64>,
}

/// Measures the Check-path figures into `figures`.
pub(crate) async fn measure(plan: &Plan, figures: &mut Figures) -> Result<()> {
    let dependencies: Vec<_> = (0..CHECKS).map(|_| Dependency::instant()).collect();
    let servers: [Running; 3] = [
        servers::serve(servers::health_lib(
            &dependencies,
            health_lib::DEFAULT_INTERVAL,
        ))
        .await?,
        servers::serve(servers::tonic_health().await).await?,
        servers::serve(servers::naive(dependencies)).await?,
    ];
    // health-lib's readiness is NOT_SERVING until the first evaluation.
    tokio::time::sleep(Duration::from_millis(200)).await;
    eprintln!(
        "bench: Check load, {} rounds of {:?} on each of health-lib, tonic-health and naive",
        plan.check_rounds, plan.check_round
    );
    let mut samples: [Samples; 3] = Default::default();
    let mut ratios = Vec::new();
    for round in 0..plan.check_rounds {
        for offset in 0..servers.len() {
            let index = (round + offset) % servers.len();
            let addr = servers[index].addr;
            closed_loop(addr, CONNECTIONS, STREAMS, WARM_UP).await?;
            let result = closed_loop(addr, CONNECTIONS, STREAMS, plan.check_round).await?;
            samples[index].rps.push(result.rps());
            samples[index].p99_us.push(result.p99().as_secs_f64() * 1e6);
        }
        let [health_lib, tonic_health, _] = &samples;
        ratios.push(ratio(health_lib.rps[round], tonic_health.rps[round]));
    }
    let [health_lib, tonic_health, naive] = samples;
    figures.push("check_rps_health_lib", median(&health_lib.rps), 0);
    figures.push("check_rps_tonic_health", median(&tonic_health.rps), 0);
    // Each round's ratio is of two runs close together in time; the median of those.
    figures.push("check_rps_ratio", median(&ratios), 2);
    figures.push("check_p99_us_health_lib", median(&health_lib.p99_us), 0);
    figures.push("check_p99_us_tonic_health", median(&tonic_health.p99_us), 0);
    figures.push("check_rps_naive", median(&naive.rps), 0);
    Ok(())
}
