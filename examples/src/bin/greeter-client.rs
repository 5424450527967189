//! Run with `cargo run -p examples --bin greeter-client -- --target 127.0.0.1:50051,127.0.0.1:50052 --rps 100 --duration 30s`
//!
//! Sends `helloworld.Greeter/SayHello` at a steady rate through a
//! health-aware balanced channel (`grpc_health_balance`): no RPC goes to a
//! backend whose health Watch says NOT_SERVING, so a rolling restart of the
//! backends loses none. Prints one progress line per second and, at the
//! end, `sent=N ok=N failed=N`; exits 0 only if no RPC failed. SIGTERM or
//! SIGINT ends the run early (RPCs in flight are awaited), as if the
//! duration had passed.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use clap::Parser;
use examples::greeter::{GreeterClient, HelloRequest};
use examples::serve::{ServeError, exit_code, init_logging};
use grpc_health_balance::Balanced;
use tokio::task::JoinSet;
use tokio::time::{Instant, MissedTickBehavior};

/// Each RPC's deadline: long enough to wait out a moment with no SERVING backend.
const RPC_DEADLINE: Duration = Duration::from_secs(5);

/// Sends SayHello at a steady rate through a health-aware balanced channel.
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    /// `dns:///host:port`, or a comma-separated list of `host:port`.
    #[arg(long)]
    target: String,
    /// The service name each backend's health Watch asks about.
    #[arg(long, default_value = "helloworld.Greeter")]
    health_service: String,
    /// RPCs per second.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    rps: u32,
    /// How long to send, e.g. `30s`, `2m`.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    duration: Duration,
}

#[derive(Debug, Default)]
struct Counts {
    sent: AtomicU64,
    ok: AtomicU64,
    failed: AtomicU64,
}

impl Counts {
    fn line(&self) -> String {
        format!(
            "sent={} ok={} failed={}",
            self.sent.load(Ordering::Relaxed),
            self.ok.load(Ordering::Relaxed),
            self.failed.load(Ordering::Relaxed)
        )
    }
}

async fn run(cli: Cli) -> Result<(), ServeError> {
    let channel = Balanced::builder(&cli.target)
        .health_service(&cli.health_service)
        .connect_lazy()?;
    let counts = Arc::new(Counts::default());
    let mut rpcs = JoinSet::new();
    let mut ticks = tokio::time::interval(Duration::from_secs(1) / cli.rps);
    // After a stall, catch up on the RPCs the rate asked for.
    ticks.set_missed_tick_behavior(MissedTickBehavior::Burst);
    let start = Instant::now();
    let mut progress =
        tokio::time::interval_at(start + Duration::from_secs(1), Duration::from_secs(1));
    let stop = tokio::time::sleep(cli.duration);
    let signal = grpc_health_checks::termination_signal();
    tokio::pin!(stop, signal);
    loop {
        tokio::select! {
            () = &mut stop => break,
            () = &mut signal => break,
            _ = progress.tick() => print_progress(&channel, &counts, start),
            _ = ticks.tick() => {
                counts.sent.fetch_add(1, Ordering::Relaxed);
                rpcs.spawn(say_hello(channel.clone(), counts.clone()));
            }
            Some(_) = rpcs.join_next(), if !rpcs.is_empty() => {}
        }
    }
    while rpcs.join_next().await.is_some() {}
    println!("{}", counts.line());
    match counts.failed.load(Ordering::Relaxed) {
        0 => Ok(()),
        failed => Err(format!("{failed} RPCs failed").into()),
    }
}

async fn say_hello(channel: Balanced, counts: Arc<Counts>) {
    let mut request = tonic::Request::new(HelloRequest {
        name: "greeter-client".to_owned(),
    });
    request.set_timeout(RPC_DEADLINE);
    match GreeterClient::new(channel).say_hello(request).await {
        Ok(_) => counts.ok.fetch_add(1, Ordering::Relaxed),
        Err(status) => {
            tracing::warn!(code = ?status.code(), message = status.message(), "RPC failed");
            counts.failed.fetch_add(1, Ordering::Relaxed)
        }
    };
}

fn print_progress(channel: &Balanced, counts: &Counts, start: Instant) {
    let snapshot = channel.snapshot();
    println!(
        "t={}s {} serving={}/{}",
        start.elapsed().as_secs(),
        counts.line(),
        snapshot.healthy(),
        snapshot.backends.len()
    );
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    exit_code("greeter-client", run(cli).await)
}
