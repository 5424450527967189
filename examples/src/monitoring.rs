//! health-demo's monitoring: RPC metrics of `helloworld.Greeter` beside the
//! health metrics in one registry (served on `--admin-addr`'s `/metrics`),
//! pushed to Graphite with `--graphite`, and the `--fail-ratio` greeter.

use std::sync::Arc;
use std::time::Duration;

use grpc_health_checks::HealthChecks;
use grpc_health_checks::prometheus_client::registry::Registry;
use grpc_rpc_metrics::graphite::GraphitePusher;
use grpc_rpc_metrics::{RpcKind, RpcMetrics};
use tonic::service::Routes;

use crate::admin::serve_admin;
use crate::flaky::{FlakyGreeter, parse_ratio};
use crate::greeter::{GreeterServer, SERVICE_NAME};
use crate::serve::{ServeError, ServeOptions, serve};

/// Monitoring options of health-demo.
#[derive(Debug, Clone, clap::Args)]
pub struct MonitoringOptions {
    /// Fraction of SayHello calls that fail with UNAVAILABLE, from 0 to 1
    /// (counted, not random: 0.25 fails every fourth call).
    #[arg(long, default_value = "0", value_name = "R", value_parser = parse_ratio)]
    pub fail_ratio: f64,
    /// Push the metrics to this Graphite plaintext endpoint (carbon, port 2003).
    #[arg(long, value_name = "HOST:PORT")]
    pub graphite: Option<String>,
    /// How often to push to --graphite, e.g. `10s`.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    pub graphite_interval: Duration,
    /// First part(s) of every Graphite path, e.g. `myteam.health-demo`.
    #[arg(long, default_value = "health-demo")]
    pub graphite_prefix: String,
}

/// Serves the health checks and the (flaky) greeter like
/// [`crate::serve::serve_with_greeter`], recording every greeter call.
pub async fn serve_monitored_greeter(
    options: &ServeOptions,
    monitoring: &MonitoringOptions,
    checks: HealthChecks,
) -> Result<(), ServeError> {
    let mut registry = Registry::default();
    let (health, handle) = checks.metrics(&mut registry).build()?;
    let rpc_metrics = RpcMetrics::server()
        .method(SERVICE_NAME, "SayHello", RpcKind::Unary)
        .register_server(&mut registry)?;
    let registry = Arc::new(registry);
    if let Some(addr) = options.admin_addr {
        serve_admin(addr, &handle, Arc::clone(&registry), options.show_details()).await?;
    }
    if let Some(addr) = &monitoring.graphite {
        start_graphite(addr, monitoring, registry)?;
    }
    let greeter = GreeterServer::new(FlakyGreeter::new(monitoring.fail_ratio));
    let routes = Routes::new(health).add_service(greeter);
    serve(options, routes, handle, rpc_metrics).await
}

fn start_graphite(
    addr: &str,
    monitoring: &MonitoringOptions,
    registry: Arc<Registry>,
) -> Result<(), ServeError> {
    let flag_error = |flag: &str, error: grpc_rpc_metrics::ConfigError| format!("{flag}: {error}");
    let has_port = addr
        .rsplit_once(':')
        .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
    if !has_port {
        return Err(
            format!("--graphite {addr:?} is not HOST:PORT: give e.g. 127.0.0.1:2003").into(),
        );
    }
    let pusher = GraphitePusher::new(addr, registry)
        .prefix(&monitoring.graphite_prefix)
        .map_err(|error| flag_error("--graphite-prefix", error))?
        .interval(monitoring.graphite_interval)
        .map_err(|error| flag_error("--graphite-interval", error))?;
    tracing::info!(interval = ?monitoring.graphite_interval, "pushing metrics to Graphite at {addr}");
    tokio::spawn(pusher.run());
    Ok(())
}
