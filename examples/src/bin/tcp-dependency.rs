//! Run with `cargo run -p examples --bin tcp-dependency -- --dependency 127.0.0.1:6379`
//!
//! A greeter whose readiness follows a real dependency: an async check opens a
//! TCP connection to `--dependency` (a Redis or Postgres port, say) every
//! interval. The dependency going down takes readiness (and the greeter's
//! health) to NOT_SERVING; liveness stays SERVING, so Kubernetes stops sending
//! traffic but does not restart the pod.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use examples::greeter::SERVICE_NAME;
use examples::serve::{ServeError, ServeOptions, exit_code, init_logging, serve_with_greeter};
use grpc_health_checks::{Check, Group, HealthChecks};
use tokio::net::TcpStream;

/// A gRPC server whose readiness depends on a TCP service.
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    /// `host:port` of the dependency to connect to.
    #[arg(long)]
    dependency: String,
    /// How long one connection attempt may take.
    #[arg(long, default_value = "500ms", value_parser = humantime::parse_duration)]
    check_timeout: Duration,
    /// Consecutive failed connections before readiness fails.
    #[arg(long, default_value_t = 2)]
    failure_threshold: u32,
    #[command(flatten)]
    serve: ServeOptions,
}

async fn run(cli: Cli) -> Result<(), ServeError> {
    let dependency = cli.dependency.clone();
    let connect = Check::new_async(format!("tcp {dependency}"), move || {
        let dependency = dependency.clone();
        async move { TcpStream::connect(dependency).await.map(drop) }
    })
    .timeout(cli.check_timeout)
    .failure_threshold(cli.failure_threshold);
    let checks = HealthChecks::new()
        .interval(cli.serve.interval)
        .check(connect)
        .service(SERVICE_NAME, Group::Readiness);
    serve_with_greeter(&cli.serve, checks).await
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    exit_code("tcp-dependency", run(cli).await)
}
