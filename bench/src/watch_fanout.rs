//! Watch fan-out: 10,000 Watch streams on one service of a server in a child
//! process, spread over 100 connections (hyper allows 200 streams on one);
//! then the service flips, and the time from the flip to the last watcher's
//! delivery is taken. The server's RSS growth is divided by the watchers.

use std::io::Write;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use grpc_health_checks::pb::HealthCheckRequest;
use grpc_health_checks::pb::health_client::HealthClient;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tonic::transport::Endpoint;

use crate::Result;
use crate::child_server::{ChildServer, vm_rss_kb};
use crate::cli::Plan;
use crate::report::Figures;
use crate::stats::median;
use crate::watch_server::FLIP_SERVICE;

/// How long opening every stream, or one flip's deliveries, may take.
const PHASE_TIMEOUT: Duration = Duration::from_secs(60);
/// A pause for the server to settle before its RSS is read, and between flips.
const SETTLE: Duration = Duration::from_millis(300);

/// A message a watcher received: which one (0 is the first) and when.
type Delivery = (usize, Instant);

/// What one server measured.
struct FanOut {
    /// Median over the flips, from writing the flip to the last delivery.
    fanout_ms: f64,
    /// The server's RSS growth per open watcher.
    kb_per_watcher: f64,
}

/// Measures the Watch fan-out figures into `figures`: health-lib's, then
/// tonic-health's under the same load, as the floor of the stack.
pub(crate) async fn measure(plan: &Plan, figures: &mut Figures) -> Result<()> {
    let grpc_health_checks = fan_out(plan, false).await?;
    figures.push("watch_fanout_10k_ms", grpc_health_checks.fanout_ms, 2);
    figures.push("watch_kb_per_watcher", grpc_health_checks.kb_per_watcher, 2);
    let tonic_health = fan_out(plan, true).await?;
    figures.push(
        "watch_fanout_10k_ms_tonic_health",
        tonic_health.fanout_ms,
        2,
    );
    figures.push(
        "watch_kb_per_watcher_tonic_health",
        tonic_health.kb_per_watcher,
        2,
    );
    Ok(())
}

/// Opens the watchers on a fresh server, then times the flips.
async fn fan_out(plan: &Plan, tonic_health: bool) -> Result<FanOut> {
    let mut command = Command::new(std::env::current_exe()?);
    command.arg("watch-server").stdin(Stdio::piped());
    if tonic_health {
        command.arg("--tonic-health");
    }
    let mut server = ChildServer::start(command)?;
    let mut flips = server.take_stdin().ok_or("watch-server stdin not piped")?;
    tokio::time::sleep(SETTLE).await;
    let rss_before = vm_rss_kb(server.pid())?;
    eprintln!(
        "bench: {} Watch streams over {} connections, {} flips, on {}",
        plan.watchers,
        plan.watch_connections,
        plan.flips,
        if tonic_health {
            "tonic-health"
        } else {
            "health-lib"
        }
    );

    let (deliveries, mut delivered) = mpsc::unbounded_channel();
    let mut watchers = spawn_watchers(server.addr, plan, deliveries).await?;
    collect(&mut delivered, 0, plan.watchers).await?;
    tokio::time::sleep(SETTLE).await;
    let rss_after = vm_rss_kb(server.pid())?;

    let mut fanout_ms = Vec::with_capacity(plan.flips);
    for flip in 1..=plan.flips {
        let flipped = Instant::now();
        flips.write_all(b"flip\n")?;
        flips.flush()?;
        let last = collect(&mut delivered, flip, plan.watchers).await?;
        fanout_ms.push(last.duration_since(flipped).as_secs_f64() * 1e3);
        tokio::time::sleep(SETTLE).await;
    }
    watchers.abort_all();
    let growth_kb = rss_after.saturating_sub(rss_before) as f64;
    Ok(FanOut {
        fanout_ms: median(&fanout_ms),
        kb_per_watcher: growth_kb / plan.watchers as f64,
    })
}

/// Opens every Watch stream; each reports every message it gets, up to the
/// last flip, on `deliveries`.
async fn spawn_watchers(
    addr: SocketAddr,
    plan: &Plan,
    deliveries: mpsc::UnboundedSender<Delivery>,
) -> Result<JoinSet<Result<()>>> {
    let mut watchers = JoinSet::new();
    let per_connection = plan.watchers.div_ceil(plan.watch_connections);
    let messages = plan.flips + 1;
    for connection in 0..plan.watch_connections {
        let channel = Endpoint::from_shared(format!("http://{addr}"))?
            .connect()
            .await?;
        let streams = per_connection.min(plan.watchers - connection * per_connection);
        for _ in 0..streams {
            let mut client = HealthClient::new(channel.clone());
            let deliveries = deliveries.clone();
            watchers.spawn(async move {
                let request = HealthCheckRequest {
                    service: FLIP_SERVICE.to_owned(),
                };
                let mut stream = client.watch(request).await?.into_inner();
                for index in 0..messages {
                    if stream.message().await?.is_none() {
                        break;
                    }
                    if deliveries.send((index, Instant::now())).is_err() {
                        break;
                    }
                }
                Ok(())
            });
        }
    }
    Ok(watchers)
}

/// Waits for `count` deliveries of message `index`; returns when the last came.
async fn collect(
    delivered: &mut mpsc::UnboundedReceiver<Delivery>,
    index: usize,
    count: usize,
) -> Result<Instant> {
    let deadline = tokio::time::Instant::now() + PHASE_TIMEOUT;
    let mut seen = 0;
    let mut last = Instant::now();
    while seen < count {
        let (message, at) = tokio::time::timeout_at(deadline, delivered.recv())
            .await
            .map_err(|_| format!("only {seen} of {count} watchers got message {index}"))?
            .ok_or("every watcher ended early")?;
        if message != index {
            return Err(format!("watcher got message {message} while waiting for {index}").into());
        }
        seen += 1;
        last = last.max(at);
    }
    Ok(last)
}
