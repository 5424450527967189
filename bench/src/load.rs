//! Check load: closed loop (a fixed number of calls in flight, as fast as
//! answered) and open loop (a fixed rate of calls, whatever the answers take).
//! Every loop is bounded in time, and every call by a timeout.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use grpc_health_checks::pb::HealthCheckRequest;
use grpc_health_checks::pb::health_check_response::ServingStatus;
use grpc_health_checks::pb::health_client::HealthClient;
use tokio::task::JoinSet;
use tonic::transport::{Channel, Endpoint};

use crate::Result;
use crate::stats::{percentile, ratio};

/// The longest a single Check call may take before the run fails.
const CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// What a load run measured.
#[derive(Debug)]
pub(crate) struct LoadResult {
    /// Every call's latency, sorted.
    latencies: Vec<Duration>,
    /// From the first call sent to the last answered.
    elapsed: Duration,
}

impl LoadResult {
    /// The result of `latencies` answered over `elapsed`.
    pub(crate) fn new(mut latencies: Vec<Duration>, elapsed: Duration) -> Self {
        latencies.sort_unstable();
        Self { latencies, elapsed }
    }

    /// Calls answered per second.
    pub(crate) fn rps(&self) -> f64 {
        ratio(self.latencies.len() as f64, self.elapsed.as_secs_f64())
    }

    /// The 99th-percentile latency.
    pub(crate) fn p99(&self) -> Duration {
        percentile(&self.latencies, 99.0).unwrap_or_default()
    }

    /// Every call's latency, sorted.
    pub(crate) fn latencies(&self) -> &[Duration] {
        &self.latencies
    }
}

/// Open connections to one server, one client each.
#[derive(Debug)]
pub(crate) struct Clients(Vec<HealthClient<Channel>>);

impl Clients {
    /// Opens `connections` connections to `addr`.
    pub(crate) async fn connect(addr: SocketAddr, connections: usize) -> Result<Self> {
        let mut clients = Vec::with_capacity(connections);
        for _ in 0..connections {
            let channel = Endpoint::from_shared(format!("http://{addr}"))?
                .connect()
                .await?;
            clients.push(HealthClient::new(channel));
        }
        Ok(Self(clients))
    }
}

/// One `Check("")` call; it must answer SERVING in time.
async fn check(client: &mut HealthClient<Channel>) -> Result<Duration> {
    let started = Instant::now();
    let response = tokio::time::timeout(CALL_TIMEOUT, client.check(HealthCheckRequest::default()))
        .await
        .map_err(|_| "a Check call timed out")??;
    let latency = started.elapsed();
    match response.get_ref().status() {
        ServingStatus::Serving => Ok(latency),
        other => Err(format!("Check answered {}", other.as_str_name()).into()),
    }
}

/// `streams` calls in flight on each connection, for `duration`.
pub(crate) async fn closed_loop(
    clients: &Clients,
    streams: usize,
    duration: Duration,
) -> Result<LoadResult> {
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = JoinSet::new();
    for client in &clients.0 {
        for _ in 0..streams {
            let mut client = client.clone();
            tasks.spawn(async move {
                let mut latencies = Vec::new();
                while Instant::now() < deadline {
                    latencies.push(check(&mut client).await?);
                }
                Ok::<_, crate::BoxError>(latencies)
            });
        }
    }
    let mut latencies = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        latencies.extend(joined??);
    }
    Ok(LoadResult::new(latencies, started.elapsed()))
}

/// `rate` calls per second spread over the connections, for `duration`.
pub(crate) async fn open_loop(
    clients: &Clients,
    rate: u32,
    duration: Duration,
) -> Result<LoadResult> {
    let total = (f64::from(rate) * duration.as_secs_f64()).round() as usize;
    let mut ticker = tokio::time::interval(Duration::from_secs(1) / rate);
    // A late tick is made up at once, so the rate holds over the run.
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let started = Instant::now();
    let mut tasks = JoinSet::new();
    for (_, client) in (0..total).zip(clients.0.iter().cycle()) {
        ticker.tick().await;
        let mut client = client.clone();
        tasks.spawn(async move { check(&mut client).await });
    }
    let mut latencies = Vec::with_capacity(total);
    while let Some(joined) = tasks.join_next().await {
        latencies.push(joined??);
    }
    Ok(LoadResult::new(latencies, started.elapsed()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_reports_rate_and_tail() {
        let latencies = (1..=200).rev().map(Duration::from_micros).collect();
        let result = LoadResult::new(latencies, Duration::from_secs(2));
        assert_eq!(result.rps(), 100.0);
        assert_eq!(result.p99(), Duration::from_micros(198));
    }
}
