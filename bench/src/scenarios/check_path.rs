//! Check path: the same closed-loop load against health-lib (cached checks),
//! tonic-health (status set) and naive evaluation.
//!
//! The machine is shared and noisy, so the servers take turns in short slices
//! (rotating which goes first), each over connections kept open. Throughput
//! is the median over slices; p99 is over every call of a server; the ratio
//! is the median of each round's health-lib ÷ tonic-health, two slices run
//! back to back.

use std::time::Duration;

use crate::Result;
use crate::cli::Plan;
use crate::fixtures::dependency::Dependency;
use crate::fixtures::load::{CheckClients, closed_loop};
use crate::fixtures::servers::{self, Running};
use crate::harness::report::{Figures, Measured};
use crate::harness::stats::{Spread, median, percentile, ratio};

/// Connections to each server.
const CONNECTIONS: usize = 4;
/// Calls in flight per connection.
const STREAMS: usize = 16;
/// Cheap checks behind the health-lib and naive servers.
const CHECKS: usize = 3;
/// The servers, in the order they are started.
const NAMES: [&str; 3] = ["health-lib", "tonic-health", "naive"];

/// One server's samples.
#[derive(Default)]
struct Samples {
    rps: Vec<f64>,
    latencies: Vec<Duration>,
}

impl Samples {
    fn p99_us(&mut self) -> f64 {
        self.latencies.sort_unstable();
        percentile(&self.latencies, 99.0).map_or(f64::NAN, |p99| p99.as_secs_f64() * 1e6)
    }
}

/// What the Check path measured.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CheckPath {
    /// health-lib's calls per second, the median over slices.
    pub(crate) rps_health_lib: f64,
    /// tonic-health's.
    pub(crate) rps_tonic_health: f64,
    /// Naive evaluation's.
    pub(crate) rps_naive: f64,
    /// Each round's health-lib ÷ tonic-health throughput.
    pub(crate) rps_ratio: Spread,
    /// p99 latency over every call of health-lib, in µs.
    pub(crate) p99_us_health_lib: f64,
    /// tonic-health's.
    pub(crate) p99_us_tonic_health: f64,
}

impl Measured for CheckPath {
    fn record(&self, figures: &mut Figures) {
        figures.push("check_rps_grpc_health_checks", self.rps_health_lib, 0);
        figures.push("check_rps_tonic_health", self.rps_tonic_health, 0);
        // The spread of the per-round ratios: where it straddles 1, the two are at parity.
        figures.push_spread("check_rps_ratio", self.rps_ratio, 3);
        figures.push("check_p99_us_grpc_health_checks", self.p99_us_health_lib, 0);
        figures.push("check_p99_us_tonic_health", self.p99_us_tonic_health, 0);
        figures.push("check_rps_naive", self.rps_naive, 0);
    }
}

/// Measures the Check path.
pub(crate) async fn measure(plan: &Plan) -> Result<CheckPath> {
    let dependencies: Vec<_> = (0..CHECKS).map(|_| Dependency::instant()).collect();
    let servers: [Running; 3] = [
        servers::serve(servers::grpc_health_checks(
            &dependencies,
            grpc_health_checks::DEFAULT_INTERVAL,
        )?)
        .await?,
        servers::serve(servers::tonic_health().await).await?,
        servers::serve(servers::naive(dependencies)).await?,
    ];
    let mut clients = Vec::with_capacity(servers.len());
    for server in &servers {
        clients.push(CheckClients::connect(server.addr, CONNECTIONS).await?);
    }
    // health-lib's readiness is NOT_SERVING until the first evaluation; the
    // warm-up slice also fills every connection's buffers.
    tokio::time::sleep(Duration::from_millis(200)).await;
    for server in &clients {
        closed_loop(server, STREAMS, plan.check_slice).await?;
    }
    eprintln!(
        "bench: Check load, {} slices of {:?} on each of {}",
        plan.check_slices,
        plan.check_slice,
        NAMES.join(", ")
    );
    let mut samples: [Samples; 3] = Default::default();
    let mut ratios = Vec::with_capacity(plan.check_slices);
    for round in 0..plan.check_slices {
        for offset in 0..servers.len() {
            let index = (round + offset) % servers.len();
            let result = closed_loop(&clients[index], STREAMS, plan.check_slice).await?;
            samples[index].rps.push(result.rps());
            samples[index]
                .latencies
                .extend_from_slice(result.latencies());
        }
        let [grpc_health_checks, tonic_health, _] = &samples;
        ratios.push(ratio(
            grpc_health_checks.rps[round],
            tonic_health.rps[round],
        ));
    }
    let [mut grpc_health_checks, mut tonic_health, naive] = samples;
    Ok(CheckPath {
        rps_health_lib: median(&grpc_health_checks.rps),
        rps_tonic_health: median(&tonic_health.rps),
        rps_naive: median(&naive.rps),
        rps_ratio: Spread::of(&ratios),
        p99_us_health_lib: grpc_health_checks.p99_us(),
        p99_us_tonic_health: tonic_health.p99_us(),
    })
}
