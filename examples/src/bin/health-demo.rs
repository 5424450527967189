//! Run with `cargo run -p examples --bin health-demo -- --addr 127.0.0.1:50051 --ready-file /tmp/ready`
//!
//! A greeter next to a health service: `""`, `liveness`, `readiness` and
//! `helloworld.Greeter` (which follows readiness). With `--ready-file`,
//! readiness passes only while that file exists; each time a check starts
//! failing, its reason is logged to stderr (`... does not exist`), and each
//! recovery too (`RUST_LOG` sets the level, default `info`). SIGTERM or SIGINT drains:
//! everything goes NOT_SERVING, then the server stops and the process exits 0.
//! With `--auth-token TOKEN` the greeter needs `authorization: Bearer TOKEN`
//! while health stays open to probes (`grpc_health_checks::auth`).
//! `--postgres URL`, `--redis URL` and `--upstream ADDR` add readiness checks
//! on those dependencies (grpc-health-contrib). `--admin-addr ADDR`
//! serves `/livez`, `/readyz`, `/healthz` and `/metrics` over HTTP and prints
//! `admin listening on ADDR`; its `/metrics` carries the RPC metrics of
//! `helloworld.Greeter` (`grpc_server_*`) beside the health metrics.
//! `--fail-ratio R` fails that fraction of SayHello calls with UNAVAILABLE;
//! `--graphite HOST:PORT` pushes the metrics to Graphite every
//! `--graphite-interval` (default 10s). `--optional-file PATH` adds an
//! optional readiness check (`optional-file`, degraded while PATH is missing,
//! readiness unchanged); `--group NAME=PATH` a named group NAME (gRPC service
//! NAME, `/groupz/NAME`) whose check passes while PATH exists;
//! `--details-token TOKEN` shows failure reasons on the admin endpoints
//! (`?verbose`, JSON) only to requests with `authorization: Bearer TOKEN`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use examples::dependencies::DependencyOptions;
use examples::greeter::SERVICE_NAME;
use examples::model::{ModelOptions, file_exists};
use examples::monitoring::{MonitoringOptions, serve_monitored_greeter};
use examples::serve::{ServeError, ServeOptions, exit_code, init_logging};
use grpc_health_checks::{Group, HealthChecks};

/// A demo gRPC server with health checks.
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    /// Readiness passes only while this file exists.
    #[arg(long)]
    ready_file: Option<PathBuf>,
    #[command(flatten)]
    serve: ServeOptions,
    #[command(flatten)]
    dependencies: DependencyOptions,
    #[command(flatten)]
    model: ModelOptions,
    #[command(flatten)]
    monitoring: MonitoringOptions,
}

async fn run(cli: Cli) -> Result<(), ServeError> {
    let mut checks = HealthChecks::new()
        .interval(cli.serve.interval)
        .service(SERVICE_NAME, Group::Readiness);
    if let Some(path) = &cli.ready_file {
        checks = checks.check(file_exists("ready-file", path));
    }
    let checks = cli.model.add_checks(cli.dependencies.add_checks(checks)?);
    serve_monitored_greeter(&cli.serve, &cli.monitoring, checks).await
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    exit_code("health-demo", run(cli).await)
}
