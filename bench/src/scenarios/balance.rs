//! Health-aware balancing (grpc-health-balance) against tonic's
//! `Channel::balance_list` over the same in-process greeter backends:
//!
//! - failover: a backend set NOT_SERVING by hand (so only the client's
//!   reaction is timed) under open-loop load; the time from the flip to the
//!   last RPC that backend receives, p99 over the trials, at 3 and 100 backends;
//! - rolling drain: three backends drained like health-demo (NOT_SERVING,
//!   a drain delay, a graceful close) and restarted on their port one after
//!   another, under open-loop load from both clients at once; failed RPCs;
//! - cost: all backends healthy, a closed loop from each client in turn on
//!   a thread of its own; that thread's CPU time per RPC and the p50 latency,
//!   as ratios to `balance_list`.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use examples::greeter::{
    Greeter, GreeterClient, GreeterServer, HelloGreeter, HelloReply, HelloRequest,
};
use grpc_health_balance::{BackendState, Balanced};
use grpc_health_checks::{HealthChecks, HealthHandle};
use nix::sys::resource::UsageWho;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinSet;
use tonic::body::Body;
use tonic::transport::{Channel, Endpoint, Server};
use tonic::{Request, Response, Status};

use crate::Result;
use crate::fixtures::servers::incoming;
use crate::harness::report::{Figures, Measured};
use crate::harness::rusage::cpu_time_of;
use crate::harness::stats::{median, percentile};

/// The service the backends' health reports and the clients watch.
const SERVICE: &str = "helloworld.Greeter";
/// How long a drained backend keeps serving after NOT_SERVING (health-demo's default).
const DRAIN_DELAY: Duration = Duration::from_secs(1);
/// Each RPC's deadline.
const RPC_DEADLINE: Duration = Duration::from_secs(5);

/// Sample sizes of the quick and the full run.
struct Sizes {
    failover_trials: usize,
    drain_duration: Duration,
    cost_rounds: usize,
    cost_rpcs: usize,
}

impl Sizes {
    const fn new(quick: bool) -> Self {
        if quick {
            Self {
                failover_trials: 30,
                drain_duration: Duration::from_secs(8),
                cost_rounds: 4,
                cost_rpcs: 5_000,
            }
        } else {
            Self {
                failover_trials: 200,
                drain_duration: Duration::from_secs(20),
                cost_rounds: 10,
                cost_rpcs: 20_000,
            }
        }
    }
}

/// What the balancing scenario measured.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Balance {
    /// Failover p99 in ms, by number of backends.
    pub(crate) failover_p99_ms: Vec<(usize, f64)>,
    /// The rolling drain under grpc-health-balance.
    pub(crate) drain: Outcome,
    /// The same drain under `balance_list`.
    pub(crate) list_drain: Outcome,
    /// The cost per RPC, all backends healthy.
    pub(crate) cost: Cost,
}

/// The cost per RPC of each client, and grpc-health-balance ÷ `balance_list`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Cost {
    /// grpc-health-balance's client-thread CPU µs per RPC, median over rounds.
    pub(crate) cpu_us: f64,
    /// `balance_list`'s.
    pub(crate) list_cpu_us: f64,
    /// The median of the per-round CPU ratios.
    pub(crate) cpu_ratio: f64,
    /// grpc-health-balance's p50 latency in µs, median over rounds.
    pub(crate) p50_us: f64,
    /// `balance_list`'s.
    pub(crate) list_p50_us: f64,
    /// The median of the per-round p50 ratios.
    pub(crate) p50_ratio: f64,
}

impl Measured for Balance {
    fn record(&self, figures: &mut Figures) {
        for &(backends, p99_ms) in &self.failover_p99_ms {
            figures.push(format!("balance_failover_p99_ms_{backends}"), p99_ms, 3);
        }
        figures.push("balance_drain_sent", self.drain.sent as f64, 0);
        figures.push("balance_drain_failed", self.drain.failed as f64, 0);
        figures.push("balance_list_drain_sent", self.list_drain.sent as f64, 0);
        figures.push(
            "balance_list_drain_failed",
            self.list_drain.failed as f64,
            0,
        );
        let cost = &self.cost;
        figures.push("balance_cpu_us_per_rpc", cost.cpu_us, 2);
        figures.push("balance_list_cpu_us_per_rpc", cost.list_cpu_us, 2);
        figures.push("balance_cpu_ratio", cost.cpu_ratio, 3);
        figures.push("balance_p50_us", cost.p50_us, 1);
        figures.push("balance_list_p50_us", cost.list_p50_us, 1);
        figures.push("balance_p50_ratio", cost.p50_ratio, 3);
    }
}

/// Measures failover, the rolling drain and the cost per RPC.
pub(crate) async fn measure(quick: bool) -> Result<Balance> {
    let sizes = Sizes::new(quick);
    let mut failover_p99_ms = Vec::new();
    for (backends, rate) in [(3, 2000), (100, 2000)] {
        eprintln!("bench: failover with {backends} backends at {rate} RPC/s");
        let p99 = failover_p99(backends, rate, sizes.failover_trials).await?;
        failover_p99_ms.push((backends, p99.as_secs_f64() * 1e3));
    }
    eprintln!("bench: rolling drain of 3 backends under 1000 RPC/s from each client");
    let (drain, list_drain) = rolling_drain(sizes.drain_duration).await?;
    eprintln!("bench: cost per RPC against balance_list, all healthy");
    Ok(Balance {
        failover_p99_ms,
        drain,
        list_drain,
        cost: cost(&sizes).await?,
    })
}

/// The greeter, noting when it last answered.
#[derive(Debug, Clone)]
struct NotingGreeter(Arc<Mutex<Option<Instant>>>);

#[tonic::async_trait]
impl Greeter for NotingGreeter {
    async fn say_hello(
        &self,
        request: Request<HelloRequest>,
    ) -> Result<Response<HelloReply>, Status> {
        if let Ok(mut last) = self.0.lock() {
            *last = Some(Instant::now());
        }
        HelloGreeter.say_hello(request).await
    }
}

/// An in-process backend: health (its greeter status set by hand) and the greeter.
struct Backend {
    addr: SocketAddr,
    health: HealthHandle,
    last_answer: Arc<Mutex<Option<Instant>>>,
    stop: Option<oneshot::Sender<()>>,
    served: tokio::task::JoinHandle<()>,
}

impl Backend {
    async fn start(addr: SocketAddr) -> Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let (health_service, health) = HealthChecks::new().build()?;
        health.set_serving(SERVICE)?;
        let last_answer = Arc::new(Mutex::new(None));
        let greeter = GreeterServer::new(NotingGreeter(last_answer.clone()));
        let (stop, stopped) = oneshot::channel::<()>();
        // As health-demo on SIGTERM: every service NOT_SERVING, the drain
        // delay, then Watch streams end and the server closes gracefully.
        let shutdown = health.clone().drain(
            async {
                let _ = stopped.await;
            },
            DRAIN_DELAY,
        );
        let served = tokio::spawn(async move {
            let served = Server::builder()
                .add_service(health_service)
                .add_service(greeter)
                .serve_with_incoming_shutdown(incoming(listener), shutdown)
                .await;
            if let Err(error) = served {
                eprintln!("bench: backend on {addr} failed: {error}");
            }
        });
        Ok(Self {
            addr,
            health,
            last_answer,
            stop: Some(stop),
            served,
        })
    }

    fn last_answer(&self) -> Option<Instant> {
        self.last_answer.lock().ok().and_then(|last| *last)
    }

    /// Drains like health-demo on SIGTERM and waits until it has closed.
    async fn drain(mut self) -> Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        (&mut self.served).await?;
        Ok(())
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        self.served.abort();
    }
}

async fn start_backends(count: usize) -> Result<Vec<Backend>> {
    let mut backends = Vec::with_capacity(count);
    for _ in 0..count {
        backends.push(Backend::start(([127, 0, 0, 1], 0).into()).await?);
    }
    Ok(backends)
}

fn addrs(backends: &[Backend]) -> Vec<SocketAddr> {
    backends.iter().map(|backend| backend.addr).collect()
}

/// A balanced channel over `addrs`, once every one of them is SERVING.
async fn balanced(addrs: &[SocketAddr]) -> Result<Balanced> {
    let target = addrs.iter().map(ToString::to_string).collect::<Vec<_>>();
    let channel = Balanced::builder(target.join(","))
        .health_service(SERVICE)
        .connect_lazy()?;
    channel
        .watch_snapshot()
        .wait_for(|snapshot| snapshot.healthy() == addrs.len())
        .await?;
    Ok(channel)
}

fn balance_list(addrs: &[SocketAddr]) -> Result<Channel> {
    let endpoints = addrs
        .iter()
        .map(|addr| Endpoint::from_shared(format!("http://{addr}")))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Channel::balance_list(endpoints.into_iter()))
}

/// Either client, so that one load drives both.
#[derive(Debug, Clone)]
enum Client {
    Balanced(Balanced),
    List(Channel),
}

impl tower::Service<http::Request<Body>> for Client {
    type Response = http::Response<Body>;
    type Error = grpc_health_balance::BoxError;
    type Future = grpc_health_balance::ResponseFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        match self {
            Self::Balanced(channel) => channel.poll_ready(cx),
            Self::List(channel) => channel.poll_ready(cx).map_err(Into::into),
        }
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        match self {
            Self::Balanced(channel) => channel.call(request),
            Self::List(channel) => {
                let response = channel.call(request);
                Box::pin(async move { response.await.map_err(Into::into) })
            }
        }
    }
}

async fn say_hello(client: Client) -> Result<(), Status> {
    let mut request = Request::new(HelloRequest {
        name: "bench".to_owned(),
    });
    request.set_timeout(RPC_DEADLINE);
    GreeterClient::new(client)
        .say_hello(request)
        .await
        .map(drop)
}

/// Sent and failed RPCs of an open-loop load.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Outcome {
    /// RPCs sent.
    pub(crate) sent: usize,
    /// RPCs that failed.
    pub(crate) failed: usize,
    /// The first failure's status, to say why.
    first_error: Option<String>,
}

/// Sends RPCs through `channel` at `rate` per second until `stop` fires.
async fn open_loop(channel: Client, rate: u32, stop: oneshot::Receiver<()>) -> Outcome {
    let failed = Arc::new(AtomicUsize::new(0));
    let first_error = Arc::new(Mutex::new(None));
    let mut rpcs = JoinSet::new();
    let mut ticks = tokio::time::interval(Duration::from_secs(1) / rate);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut sent = 0;
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => break,
            _ = ticks.tick() => {
                sent += 1;
                let (channel, failed, first_error) =
                    (channel.clone(), failed.clone(), first_error.clone());
                rpcs.spawn(async move {
                    if let Err(status) = say_hello(channel).await {
                        failed.fetch_add(1, Ordering::Relaxed);
                        if let Ok(mut first) = first_error.lock() {
                            first.get_or_insert_with(|| status.to_string());
                        }
                    }
                });
            }
            Some(_) = rpcs.join_next(), if !rpcs.is_empty() => {}
        }
    }
    while rpcs.join_next().await.is_some() {}
    let first_error = first_error.lock().ok().and_then(|mut first| first.take());
    Outcome {
        sent,
        failed: failed.load(Ordering::Relaxed),
        first_error,
    }
}

/// p99 of the time from a NOT_SERVING flip to the flipped backend's last answer.
async fn failover_p99(count: usize, rate: u32, trials: usize) -> Result<Duration> {
    let backends = start_backends(count).await?;
    let channel = balanced(&addrs(&backends)).await?;
    let (stop, stopped) = oneshot::channel();
    let load = tokio::spawn(open_loop(Client::Balanced(channel.clone()), rate, stopped));
    let mut snapshots = channel.watch_snapshot();
    let mut samples = Vec::with_capacity(trials);
    for trial in 0..trials {
        let victim = &backends[trial % count];
        snapshots
            .wait_for(|snapshot| snapshot.state_of(victim.addr) == Some(BackendState::Serving))
            .await?;
        let flipped = Instant::now();
        victim.health.set_not_serving(SERVICE)?;
        snapshots
            .wait_for(|snapshot| snapshot.state_of(victim.addr) == Some(BackendState::NotServing))
            .await?;
        // RPCs picked before the flip was seen may still be on their way.
        tokio::time::sleep(Duration::from_millis(50)).await;
        let after = victim.last_answer().map_or(Duration::ZERO, |last| {
            last.saturating_duration_since(flipped)
        });
        samples.push(after);
        victim.health.set_serving(SERVICE)?;
    }
    let _ = stop.send(());
    let outcome = load.await?;
    if outcome.failed > 0 {
        return Err(format!(
            "{} of {} RPCs failed during failover, the first with {:?}",
            outcome.failed, outcome.sent, outcome.first_error
        )
        .into());
    }
    samples.sort();
    percentile(&samples, 99.0).ok_or_else(|| "no failover trial".into())
}

/// Failed RPCs of each client while three backends are drained and
/// restarted (on their port) one after another over `duration`.
async fn rolling_drain(duration: Duration) -> Result<(Outcome, Outcome)> {
    let mut backends = start_backends(3).await?;
    let balanced = Client::Balanced(balanced(&addrs(&backends)).await?);
    let list = Client::List(balance_list(&addrs(&backends))?);
    say_hello(list.clone()).await?;
    let (stop_balanced, balanced_stopped) = oneshot::channel();
    let (stop_list, list_stopped) = oneshot::channel();
    let balanced_load = tokio::spawn(open_loop(balanced, 1000, balanced_stopped));
    let list_load = tokio::spawn(open_loop(list, 1000, list_stopped));
    let pause = duration / 4;
    for index in 0..backends.len() {
        tokio::time::sleep(pause.saturating_sub(DRAIN_DELAY)).await;
        let drained = backends.remove(index);
        let addr = drained.addr;
        drained.drain().await?;
        backends.insert(index, Backend::start(addr).await?);
    }
    tokio::time::sleep(pause).await;
    let _ = stop_balanced.send(());
    let _ = stop_list.send(());
    Ok((balanced_load.await?, list_load.await?))
}

/// Which client a cost round measures.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Balanced,
    List,
}

/// CPU time per RPC and p50 latency of each client, rounds taken in turn.
async fn cost(sizes: &Sizes) -> Result<Cost> {
    let backends = start_backends(3).await?;
    let addrs = addrs(&backends);
    let (mut cpu, mut p50) = ([Vec::new(), Vec::new()], [Vec::new(), Vec::new()]);
    for _ in 0..sizes.cost_rounds {
        for (slot, kind) in [Kind::Balanced, Kind::List].into_iter().enumerate() {
            let (addrs, rpcs) = (addrs.clone(), sizes.cost_rpcs);
            let (cpu_us, p50_us) =
                tokio::task::spawn_blocking(move || client_thread(kind, &addrs, rpcs)).await??;
            cpu[slot].push(cpu_us);
            p50[slot].push(p50_us);
        }
    }
    let ratio = |values: &[Vec<f64>; 2]| {
        let per_round: Vec<f64> = values[0]
            .iter()
            .zip(&values[1])
            .map(|(a, b)| a / b)
            .collect();
        median(&per_round)
    };
    drop(backends);
    Ok(Cost {
        cpu_us: median(&cpu[0]),
        list_cpu_us: median(&cpu[1]),
        cpu_ratio: ratio(&cpu),
        p50_us: median(&p50[0]),
        list_p50_us: median(&p50[1]),
        p50_ratio: ratio(&p50),
    })
}

/// One cost round on a thread of its own, with a runtime of its own: every
/// task of the client (its connections, the Watches) runs on that thread,
/// so the thread's CPU time is the client's.
fn client_thread(kind: Kind, addrs: &[SocketAddr], rpcs: usize) -> Result<(f64, f64)> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let client = match kind {
            Kind::Balanced => Client::Balanced(balanced(addrs).await?),
            Kind::List => Client::List(balance_list(addrs)?),
        };
        closed_loop(client, rpcs).await
    })
}

/// Concurrent RPCs in the cost rounds' closed loop.
const CONCURRENCY: usize = 16;

/// `rpcs` RPCs, `CONCURRENCY` at a time after a warm-up: this thread's CPU
/// time per RPC and the p50 latency, in µs.
async fn closed_loop(client: Client, rpcs: usize) -> Result<(f64, f64)> {
    for _ in 0..200 {
        say_hello(client.clone()).await?;
    }
    let before = cpu_time_of(UsageWho::RUSAGE_THREAD)?;
    let mut workers = JoinSet::new();
    for _ in 0..CONCURRENCY {
        let client = client.clone();
        workers.spawn(async move {
            let mut latencies = Vec::with_capacity(rpcs / CONCURRENCY);
            for _ in 0..rpcs / CONCURRENCY {
                let started = Instant::now();
                say_hello(client.clone()).await?;
                latencies.push(started.elapsed());
            }
            Ok::<_, Status>(latencies)
        });
    }
    let mut latencies = Vec::with_capacity(rpcs);
    while let Some(worker) = workers.join_next().await {
        latencies.extend(worker??);
    }
    let cpu = cpu_time_of(UsageWho::RUSAGE_THREAD)? - before;
    latencies.sort();
    let p50 = percentile(&latencies, 50.0).ok_or("no RPC measured")?;
    Ok((
        cpu.as_secs_f64() * 1e6 / latencies.len() as f64,
        p50.as_secs_f64() * 1e6,
    ))
}
