//! Watch fan-out at each scale (1k, 10k, 50k watchers): health-lib and
//! tonic-health each run in a child process with the same number of Watch
//! streams open on them, 100 to a connection (hyper allows 200). Then they
//! take turns flipping their service, the order rotating every round; each
//! flip is timed from the line written to the server to the last watcher's
//! delivery, and each round gives one health-lib ÷ tonic-health ratio. Server
//! memory is the RSS growth from idle to every watcher served. At 10,000
//! watchers, Check p99 is also taken while the watchers stay open.

use std::io::Write;
use std::net::SocketAddr;
use std::process::{ChildStdin, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use grpc_health_checks::pb::HealthCheckRequest;
use grpc_health_checks::pb::health_client::HealthClient;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tonic::transport::Endpoint;

use crate::Result;
use crate::cli::Plan;
use crate::fixtures::load::{CheckClients, open_loop};
use crate::fixtures::watch_server::FLIP_SERVICE;
use crate::harness::child_server::{ChildServer, vm_rss_kb};
use crate::harness::report::{Figures, Measured};
use crate::harness::stats::{Spread, median, percentile, ratio};

/// How long opening every stream, or one flip's deliveries, may take.
const PHASE_TIMEOUT: Duration = Duration::from_secs(120);
/// A pause for a server to settle before its RSS is read, and between flips.
const SETTLE: Duration = Duration::from_millis(200);
/// Watch streams on one connection.
const STREAMS_PER_CONNECTION: usize = 100;
/// The scale of the headline figures and of the Check p99 under watchers.
pub(crate) const HEADLINE_WATCHERS: usize = 10_000;
/// Check calls per second while the watchers are open, and their connections.
const BUSY_RATE: u32 = 1000;
const BUSY_CONNECTIONS: usize = 4;
/// How long each slice of that load lasts.
const BUSY_SLICE: Duration = Duration::from_secs(1);

/// The two servers, in the order they are started.
pub(crate) const SERVERS: [Server; 2] = [Server::HealthLib, Server::TonicHealth];

/// A server under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Server {
    /// grpc-health-checks.
    HealthLib,
    /// tonic-health, the floor of the stack.
    TonicHealth,
}

impl Server {
    /// The suffix of its figures' names: none for health-lib.
    const fn suffix(self) -> &'static str {
        match self {
            Self::HealthLib => "",
            Self::TonicHealth => "_tonic_health",
        }
    }

    /// Its crate's name, also its plots' label.
    pub(crate) const fn name(self) -> &'static str {
        match self {
            Self::HealthLib => "grpc-health-checks",
            Self::TonicHealth => "tonic-health",
        }
    }
}

/// The fan-out figure at `watchers`.
fn fanout_name(watchers: usize, server: Server) -> String {
    format!("watch_fanout_{watchers}_ms{}", server.suffix())
}

/// The server-memory figure at `watchers`: its RSS growth in MiB.
fn memory_name(watchers: usize, server: Server) -> String {
    format!("watch_server_{watchers}_mib{}", server.suffix())
}

/// One value for each server.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct PerServer([f64; 2]);

impl PerServer {
    /// health-lib's value and tonic-health's.
    pub(crate) const fn new(health_lib: f64, tonic_health: f64) -> Self {
        Self([health_lib, tonic_health])
    }

    /// `f` of each value.
    pub(crate) fn map(self, f: impl Fn(f64) -> f64) -> Self {
        Self(self.0.map(f))
    }

    /// `server`'s value.
    pub(crate) const fn get(self, server: Server) -> f64 {
        match server {
            Server::HealthLib => self.0[0],
            Server::TonicHealth => self.0[1],
        }
    }
}

/// What the Watch scenario measured.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct WatchFanout {
    /// Every scale, in the plan's order.
    pub(crate) scales: Vec<WatchScale>,
    /// The figures at `HEADLINE_WATCHERS`, when that scale ran.
    pub(crate) headline: Option<Headline>,
}

/// Both servers at one number of watchers.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct WatchScale {
    /// Watch streams open on each server.
    pub(crate) watchers: usize,
    /// Flip to last delivery, the median over flips, in ms.
    pub(crate) fanout_ms: PerServer,
    /// RSS growth from idle to every watcher served, in MiB.
    pub(crate) memory_mib: PerServer,
}

/// The figures at `HEADLINE_WATCHERS` watchers.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Headline {
    /// Each round's health-lib ÷ tonic-health fan-out.
    pub(crate) fanout_vs_tonic_health: Spread,
    /// RSS growth per watcher, in KiB.
    pub(crate) kb_per_watcher: PerServer,
    /// Check p99 while the watchers are open, in ms.
    pub(crate) check_p99_ms: PerServer,
}

impl Measured for WatchFanout {
    fn record(&self, figures: &mut Figures) {
        for scale in &self.scales {
            for server in SERVERS {
                let watchers = scale.watchers;
                figures.push(
                    fanout_name(watchers, server),
                    scale.fanout_ms.get(server),
                    2,
                );
                figures.push(
                    memory_name(watchers, server),
                    scale.memory_mib.get(server),
                    1,
                );
            }
        }
        let Some(headline) = &self.headline else {
            return;
        };
        figures.push_spread(
            "watch_fanout_vs_tonic_health",
            headline.fanout_vs_tonic_health,
            3,
        );
        for server in SERVERS {
            figures.push(
                format!("watch_kb_per_watcher{}", server.suffix()),
                headline.kb_per_watcher.get(server),
                2,
            );
        }
        for server in SERVERS {
            figures.push(
                format!("check_p99_ms_10k_watchers{}", server.suffix()),
                headline.check_p99_ms.get(server),
                3,
            );
        }
    }
}

/// A message a watcher received: which one (0 is the first) and when.
type Delivery = (usize, Instant);

/// One server with its watchers open.
struct Watched {
    server: ChildServer,
    /// The server's stdin: a line flips the service, EOF ends the server.
    flips: Option<ChildStdin>,
    delivered: mpsc::UnboundedReceiver<Delivery>,
    watchers: JoinSet<Result<()>>,
    /// RSS growth from idle to every watcher served, in KiB.
    growth_kb: u64,
    /// Flips so far.
    flipped: usize,
}

impl Watched {
    /// Flips the service and returns the time to the last delivery, in ms.
    async fn flip(&mut self, watchers: usize) -> Result<f64> {
        self.flipped += 1;
        let started = Instant::now();
        let flips = self.flips.as_mut().ok_or("the server's stdin is closed")?;
        flips.write_all(b"flip\n")?;
        flips.flush()?;
        let last = collect(&mut self.delivered, self.flipped, watchers).await?;
        Ok(last.duration_since(started).as_secs_f64() * 1e3)
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        self.watchers.abort_all();
    }
}

/// Measures Watch fan-out and memory at every scale of the plan.
pub(crate) async fn measure(plan: &Plan) -> Result<WatchFanout> {
    let mut measured = WatchFanout::default();
    for &watchers in plan.watch_scales {
        measure_scale(plan, watchers, &mut measured).await?;
    }
    Ok(measured)
}

/// Both servers with `watchers` watchers each: memory, then interleaved flips.
async fn measure_scale(plan: &Plan, watchers: usize, measured: &mut WatchFanout) -> Result<()> {
    eprintln!(
        "bench: {watchers} Watch streams on each of grpc-health-checks and tonic-health, {} rounds of flips",
        plan.fanout_rounds
    );
    let mut servers = Vec::with_capacity(SERVERS.len());
    for server in SERVERS {
        servers.push(open(server, watchers, &[]).await?);
    }
    let mut fanout_ms: [Vec<f64>; 2] = Default::default();
    let mut ratios = Vec::with_capacity(plan.fanout_rounds);
    for round in 0..plan.fanout_rounds {
        for offset in 0..SERVERS.len() {
            let index = (round + offset) % SERVERS.len();
            tokio::time::sleep(SETTLE).await;
            fanout_ms[index].push(servers[index].flip(watchers).await?);
        }
        ratios.push(ratio(fanout_ms[0][round], fanout_ms[1][round]));
    }
    let growth_kb = PerServer::new(servers[0].growth_kb as f64, servers[1].growth_kb as f64);
    measured.scales.push(WatchScale {
        watchers,
        fanout_ms: PerServer::new(median(&fanout_ms[0]), median(&fanout_ms[1])),
        memory_mib: growth_kb.map(|kb| kb / 1024.0),
    });
    if watchers == HEADLINE_WATCHERS {
        let addrs = servers.iter().map(|watched| watched.server.addr).collect();
        measured.headline = Some(Headline {
            fanout_vs_tonic_health: Spread::of(&ratios),
            kb_per_watcher: growth_kb.map(|kb| kb / watchers as f64),
            check_p99_ms: check_under_watchers(plan, addrs).await?,
        });
    }
    Ok(())
}

/// Starts `server` in a child process, run by `wrapper` (a profiler) when it
/// is not empty, and opens `watchers` Watch streams on it.
async fn open(server: Server, watchers: usize, wrapper: &[String]) -> Result<Watched> {
    let exe = std::env::current_exe()?;
    let mut command = match wrapper.split_first() {
        Some((program, args)) => {
            let mut command = Command::new(program);
            command.args(args).arg(exe);
            command
        }
        None => Command::new(exe),
    };
    command.arg("watch-server").stdin(Stdio::piped());
    if server == Server::TonicHealth {
        command.arg("--tonic-health");
    }
    let mut child = ChildServer::start(command)?;
    let flips = child.take_stdin().ok_or("watch-server stdin not piped")?;
    tokio::time::sleep(SETTLE).await;
    let rss_idle = vm_rss_kb(child.pid())?;
    let (deliveries, mut delivered) = mpsc::unbounded_channel();
    let opened = spawn_watchers(child.addr, watchers, deliveries).await?;
    collect(&mut delivered, 0, watchers).await?;
    tokio::time::sleep(SETTLE).await;
    let rss_watched = vm_rss_kb(child.pid())?;
    eprintln!(
        "bench: {} serves {watchers} watchers in {} MiB more",
        server.name(),
        rss_watched.saturating_sub(rss_idle) / 1024
    );
    Ok(Watched {
        server: child,
        flips: Some(flips),
        delivered,
        watchers: opened,
        growth_kb: rss_watched.saturating_sub(rss_idle),
        flipped: 0,
    })
}

/// `bench profile-watch`, on its own runtime.
pub(crate) fn profile_main(
    tonic_health: bool,
    watchers: usize,
    flips: usize,
    profiler: &[String],
) -> Result<ExitCode> {
    let server = if tonic_health {
        Server::TonicHealth
    } else {
        Server::HealthLib
    };
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(profile(server, watchers, flips, profiler))?;
    Ok(ExitCode::SUCCESS)
}

/// A server run by `profiler`, `watchers` watchers and `flips` flips; then
/// its stdin is closed and it exits by itself.
async fn profile(server: Server, watchers: usize, flips: usize, profiler: &[String]) -> Result<()> {
    let mut watched = open(server, watchers, profiler).await?;
    let mut fanout_ms = Vec::with_capacity(flips);
    for _ in 0..flips {
        tokio::time::sleep(SETTLE).await;
        fanout_ms.push(watched.flip(watchers).await?);
    }
    eprintln!(
        "bench: {flips} flips to {watchers} watchers, median {:.1} ms under the profiler",
        median(&fanout_ms)
    );
    watched.watchers.abort_all();
    watched.flips = None;
    let status = watched.server.wait_exit(PHASE_TIMEOUT)?;
    eprintln!("bench: the server exited: {status}");
    Ok(())
}

/// Opens `watchers` Watch streams, 100 to a connection; each reports every
/// message it gets on `deliveries` until it is aborted.
async fn spawn_watchers(
    addr: SocketAddr,
    watchers: usize,
    deliveries: mpsc::UnboundedSender<Delivery>,
) -> Result<JoinSet<Result<()>>> {
    let mut tasks = JoinSet::new();
    let mut left = watchers;
    while left > 0 {
        let channel = Endpoint::from_shared(format!("http://{addr}"))?
            .connect()
            .await?;
        let streams = left.min(STREAMS_PER_CONNECTION);
        left -= streams;
        for _ in 0..streams {
            let mut client = HealthClient::new(channel.clone());
            let deliveries = deliveries.clone();
            tasks.spawn(async move {
                let request = HealthCheckRequest {
                    service: FLIP_SERVICE.to_owned(),
                };
                let mut stream = client.watch(request).await?.into_inner();
                let mut index = 0;
                while stream.message().await?.is_some() {
                    if deliveries.send((index, Instant::now())).is_err() {
                        break;
                    }
                    index += 1;
                }
                Ok(())
            });
        }
    }
    Ok(tasks)
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

/// Check p99 (open loop, `BUSY_RATE` calls/s) on each server while its
/// watchers are open, the servers taking turns in slices.
async fn check_under_watchers(plan: &Plan, addrs: Vec<SocketAddr>) -> Result<PerServer> {
    eprintln!(
        "bench: {BUSY_RATE} Check/s in {} slices of {BUSY_SLICE:?} on each, with {HEADLINE_WATCHERS} watchers open",
        plan.busy_check_slices
    );
    let mut clients = Vec::with_capacity(addrs.len());
    for addr in addrs {
        clients.push(CheckClients::connect(addr, BUSY_CONNECTIONS).await?);
    }
    let mut latencies: [Vec<Duration>; 2] = Default::default();
    for round in 0..plan.busy_check_slices {
        for offset in 0..SERVERS.len() {
            let index = (round + offset) % SERVERS.len();
            let result = open_loop(&clients[index], BUSY_RATE, BUSY_SLICE).await?;
            latencies[index].extend_from_slice(result.latencies());
        }
    }
    let [health_lib, tonic_health] = latencies.map(|mut latencies| {
        latencies.sort_unstable();
        let p99 = percentile(&latencies, 99.0).unwrap_or_default();
        p99.as_secs_f64() * 1e3
    });
    Ok(PerServer::new(health_lib, tonic_health))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_put_the_tonic_health_suffix_last() {
        assert_eq!(
            fanout_name(10_000, Server::HealthLib),
            "watch_fanout_10000_ms"
        );
        assert_eq!(
            fanout_name(1_000, Server::TonicHealth),
            "watch_fanout_1000_ms_tonic_health"
        );
        assert_eq!(
            memory_name(50_000, Server::TonicHealth),
            "watch_server_50000_mib_tonic_health"
        );
    }

    #[tokio::test]
    async fn collect_waits_for_every_delivery_of_the_message() {
        let (sender, mut receiver) = mpsc::unbounded_channel();
        let early = Instant::now();
        let late = early + Duration::from_millis(5);
        for at in [late, early] {
            sender.send((1, at)).expect("open");
        }
        assert_eq!(collect(&mut receiver, 1, 2).await.expect("both"), late);
        sender.send((0, early)).expect("open");
        assert!(collect(&mut receiver, 1, 1).await.is_err());
    }
}
