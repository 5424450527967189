//! The admin HTTP endpoints (library features `admin` and `metrics`), as
//! health-demo's `--admin-addr` serves them: `/readyz` throughput beside gRPC
//! Check on the same server, and what one `/metrics` scrape costs.
//!
//! One health-lib server with 100 instant checks and metrics recorded serves
//! gRPC on one listener and the admin endpoints on another, in this process.
//! `/readyz` and Check take turns in short slices, the order alternating, with
//! the same 64 calls in flight: 64 HTTP/1.1 keep-alive connections (HTTP/1.1
//! has one request in flight per connection, as kubelet sends them) against 4
//! HTTP/2 connections of 16 streams. `readyz_vs_check_rps` is the median of
//! each round's ratio. Then one connection scrapes `/metrics` back to back.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{ACCEPT, HOST};
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use prometheus_client::registry::Registry;
use tokio::net::TcpStream;
use tokio::task::JoinSet;
use tonic::service::Routes;

use crate::Result;
use crate::cli::Plan;
use crate::fixtures::dependency::Dependency;
use crate::fixtures::load::{CheckClients, LoadResult, closed_loop};
use crate::fixtures::servers::{self, Running};
use crate::harness::report::{Figures, Measured};
use crate::harness::stats::{Spread, median, percentile, ratio};

/// What the admin endpoints measured.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AdminHttp {
    /// `/readyz` throughput, the median over slices.
    pub(crate) readyz_rps: f64,
    /// Check throughput on the same server, the ratio's denominator.
    pub(crate) check_rps: f64,
    /// Each round's `/readyz` ÷ Check throughput.
    pub(crate) readyz_vs_check: Spread,
    /// The median `/metrics` scrape, in µs.
    pub(crate) scrape_us: f64,
    /// The 99th-percentile scrape, in µs.
    pub(crate) scrape_p99_us: f64,
    /// The size of a scrape's body.
    pub(crate) scrape_bytes: usize,
}

impl Measured for AdminHttp {
    fn record(&self, figures: &mut Figures) {
        figures.push("readyz_rps", self.readyz_rps, 0);
        figures.push("check_rps_admin_server", self.check_rps, 0);
        figures.push_spread("readyz_vs_check_rps", self.readyz_vs_check, 3);
        figures.push("metrics_scrape_us", self.scrape_us, 0);
        figures.push("metrics_scrape_p99_us", self.scrape_p99_us, 0);
        figures.push("metrics_scrape_bytes", self.scrape_bytes as f64, 0);
    }
}

/// Checks behind the server, each with its series in `/metrics`.
const CHECKS: usize = 100;
/// HTTP/1.1 connections, one request in flight on each.
const HTTP_CONNECTIONS: usize = 64;
/// gRPC connections to the same server, and calls in flight on each: as many
/// calls in flight in all as over HTTP.
const GRPC_CONNECTIONS: usize = 4;
/// Calls in flight per gRPC connection.
const GRPC_STREAMS: usize = HTTP_CONNECTIONS / GRPC_CONNECTIONS;
/// The longest one HTTP request may take before the run fails.
const CALL_TIMEOUT: Duration = Duration::from_secs(5);
/// How long the server may take to become ready (its first evaluation).
const READY_WITHIN: Duration = Duration::from_secs(10);
/// Scrapes stop once they have taken this long, however many were asked for.
const SCRAPE_BUDGET: Duration = Duration::from_secs(30);
/// What Prometheus sends: OpenMetrics first, the text format as a fallback.
const PROMETHEUS_ACCEPT: &str =
    "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5";
/// The series each check has in a scrape.
const CHECK_SERIES: &str = "grpc_health_check_status{";

/// Measures the admin endpoints.
pub(crate) async fn measure(plan: &Plan) -> Result<AdminHttp> {
    let server = AdminServer::start(CHECKS).await?;
    let grpc = CheckClients::connect(server.grpc.addr, GRPC_CONNECTIONS).await?;
    let mut connections = Vec::with_capacity(HTTP_CONNECTIONS);
    for _ in 0..HTTP_CONNECTIONS {
        connections.push(HttpConnection::open(server.admin.addr).await?);
    }
    // Warm-up slices: every connection's buffers filled, both paths run once.
    let mut http = readyz_loop(connections, plan.check_slice).await?.0;
    check_slice(&grpc, plan.check_slice).await?;
    eprintln!(
        "bench: /readyz and Check on one server, {} slices of {:?} each",
        plan.http_slices, plan.check_slice
    );
    let (mut readyz_rps, mut check_rps, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..plan.http_slices {
        // The order alternates, so that neither path always follows the other.
        let early = if round % 2 == 1 {
            Some(check_slice(&grpc, plan.check_slice).await?)
        } else {
            None
        };
        let (connections, readyz) = readyz_loop(http, plan.check_slice).await?;
        http = connections;
        let check = match early {
            Some(rps) => rps,
            None => check_slice(&grpc, plan.check_slice).await?,
        };
        readyz_rps.push(readyz.rps());
        check_rps.push(check);
        ratios.push(ratio(readyz.rps(), check));
    }
    drop(http);
    let scrapes = scrape_metrics(server.admin.addr, plan.metrics_scrapes).await?;
    Ok(AdminHttp {
        readyz_rps: median(&readyz_rps),
        check_rps: median(&check_rps),
        readyz_vs_check: Spread::of(&ratios),
        scrape_us: scrapes.median_us(),
        scrape_p99_us: scrapes.p99_us(),
        scrape_bytes: scrapes.body_bytes,
    })
}

/// One slice of closed-loop Check load; its calls per second.
async fn check_slice(grpc: &CheckClients, duration: Duration) -> Result<f64> {
    Ok(closed_loop(grpc, GRPC_STREAMS, duration).await?.rps())
}

/// health-lib with `checks` instant checks and metrics recorded: gRPC on one
/// listener, the admin endpoints (with `/metrics`) on another; ready.
struct AdminServer {
    grpc: Running,
    admin: Running,
}

impl AdminServer {
    async fn start(checks: usize) -> Result<Self> {
        let dependencies: Vec<_> = (0..checks).map(|_| Dependency::instant()).collect();
        let mut registry = Registry::default();
        let (health, handle) = servers::checks(&dependencies, grpc_health_checks::DEFAULT_INTERVAL)
            .metrics(&mut registry)
            .build()?;
        let service =
            grpc_health_checks::admin::AdminService::new(&handle).metrics(Arc::new(registry));
        let server = Self {
            grpc: servers::serve(Routes::new(health)).await?,
            admin: servers::serve_admin(service).await?,
        };
        server.ready().await?;
        Ok(server)
    }

    /// Waits for `/readyz` to answer 200: readiness fails until the first
    /// evaluation.
    async fn ready(&self) -> Result<()> {
        let deadline = Instant::now() + READY_WITHIN;
        let mut connection = HttpConnection::open(self.admin.addr).await?;
        loop {
            let (status, _) = connection.get("/readyz", None).await?;
            if status == StatusCode::OK {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(
                    format!("/readyz still answers {status} after {READY_WITHIN:?}").into(),
                );
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// One HTTP/1.1 keep-alive connection.
struct HttpConnection {
    send: SendRequest<Empty<Bytes>>,
}

impl HttpConnection {
    async fn open(addr: SocketAddr) -> Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (send, connection) = http1::handshake(TokioIo::new(stream)).await?;
        // Ends when `send` is dropped; errors surface on the requests.
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(Self { send })
    }

    /// `GET path`, its status and whole body, within the call timeout.
    async fn get(&mut self, path: &str, accept: Option<&str>) -> Result<(StatusCode, Bytes)> {
        let mut request = Request::get(path).header(HOST, "127.0.0.1");
        if let Some(accept) = accept {
            request = request.header(ACCEPT, accept);
        }
        let request = request.body(Empty::new())?;
        let call = async {
            self.send.ready().await?;
            let response = self.send.send_request(request).await?;
            let status = response.status();
            let body = response.into_body().collect().await?.to_bytes();
            Ok::<_, crate::BoxError>((status, body))
        };
        tokio::time::timeout(CALL_TIMEOUT, call)
            .await
            .map_err(|_| format!("GET {path} timed out"))?
    }
}

/// `GET /readyz` back to back on every connection for `duration`; each must
/// answer 200. Gives the connections back with the result.
async fn readyz_loop(
    connections: Vec<HttpConnection>,
    duration: Duration,
) -> Result<(Vec<HttpConnection>, LoadResult)> {
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = JoinSet::new();
    for mut connection in connections {
        tasks.spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let sent = Instant::now();
                let (status, _) = connection.get("/readyz", None).await?;
                if status != StatusCode::OK {
                    return Err(format!("/readyz answered {status}").into());
                }
                latencies.push(sent.elapsed());
            }
            Ok::<_, crate::BoxError>((connection, latencies))
        });
    }
    let mut connections = Vec::with_capacity(tasks.len());
    let mut latencies = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let (connection, answered) = joined??;
        connections.push(connection);
        latencies.extend(answered);
    }
    Ok((connections, LoadResult::new(latencies, started.elapsed())))
}

/// What the scrapes measured.
#[derive(Debug)]
struct Scrapes {
    /// Every scrape's latency, sorted.
    latencies: Vec<Duration>,
    /// The size of the last scrape's body.
    body_bytes: usize,
}

impl Scrapes {
    fn new(mut latencies: Vec<Duration>, body_bytes: usize) -> Self {
        latencies.sort_unstable();
        Self {
            latencies,
            body_bytes,
        }
    }

    fn median_us(&self) -> f64 {
        percentile(&self.latencies, 50.0).map_or(f64::NAN, |d| d.as_secs_f64() * 1e6)
    }

    fn p99_us(&self) -> f64 {
        percentile(&self.latencies, 99.0).map_or(f64::NAN, |d| d.as_secs_f64() * 1e6)
    }
}

/// `count` scrapes of `/metrics` one after another on one connection, as
/// Prometheus asks for them (bounded by [`SCRAPE_BUDGET`] too); every body
/// must hold a status series for each of the [`CHECKS`] checks.
async fn scrape_metrics(addr: SocketAddr, count: usize) -> Result<Scrapes> {
    let mut connection = HttpConnection::open(addr).await?;
    let started = Instant::now();
    let mut latencies = Vec::with_capacity(count);
    let mut body_bytes = 0;
    while latencies.len() < count && started.elapsed() < SCRAPE_BUDGET {
        let sent = Instant::now();
        let (status, body) = connection.get("/metrics", Some(PROMETHEUS_ACCEPT)).await?;
        latencies.push(sent.elapsed());
        if status != StatusCode::OK {
            return Err(format!("/metrics answered {status}").into());
        }
        let series = check_series(&body);
        if series < CHECKS {
            return Err(format!("/metrics has {series} check series, not {CHECKS}").into());
        }
        body_bytes = body.len();
    }
    if latencies.len() < count {
        eprintln!(
            "bench: {} of {count} scrapes within {SCRAPE_BUDGET:?}",
            latencies.len()
        );
    }
    Ok(Scrapes::new(latencies, body_bytes))
}

/// How many `grpc_health_check_status` series a scrape holds.
fn check_series(body: &[u8]) -> usize {
    body.split(|&byte| byte == b'\n')
        .filter(|line| line.starts_with(CHECK_SERIES.as_bytes()))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_series_are_counted_by_line() {
        let body = b"# TYPE grpc_health_check_status gauge\n\
            grpc_health_check_status{check=\"a\",group=\"readiness\"} 1\n\
            grpc_health_check_status{check=\"b\",group=\"readiness\"} 0\n\
            grpc_health_check_runs_total{check=\"a\"} 3\n";
        assert_eq!(check_series(body), 2);
        assert_eq!(check_series(b""), 0);
    }

    #[test]
    fn scrapes_give_median_and_tail() {
        let latencies = (1..=100).rev().map(Duration::from_micros).collect();
        let scrapes = Scrapes::new(latencies, 10);
        assert_eq!(scrapes.median_us(), 50.0);
        assert_eq!(scrapes.p99_us(), 99.0);
        assert!(Scrapes::new(Vec::new(), 0).p99_us().is_nan());
    }

    /// The client against a real admin server: ready, then scraped, with
    /// every check's series in the body. Bounded by the call timeouts.
    #[tokio::test]
    async fn the_admin_server_is_ready_and_scraped() {
        let server = AdminServer::start(CHECKS).await.expect("server ready");
        let scrapes = scrape_metrics(server.admin.addr, 3).await.expect("scraped");
        assert_eq!(scrapes.latencies.len(), 3);
        assert!(scrapes.body_bytes > 0);
    }
}
