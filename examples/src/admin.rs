//! `--admin-addr`: the library's HTTP health endpoints and Prometheus metrics
//! on their own address, next to the gRPC server.

use std::net::SocketAddr;
use std::sync::Arc;

use grpc_health_checks::admin::{self, AdminService, ShowDetails};
use grpc_health_checks::pb::health_server::HealthServer;
use grpc_health_checks::prometheus_client::registry::Registry;
use grpc_health_checks::{HealthChecks, HealthHandle, HealthService};
use tokio::net::TcpListener;

use crate::serve::{ServeError, ServeOptions};

/// Builds `checks`; with an admin address, also records metrics, prints
/// `admin listening on ADDR` and serves `/livez`, `/readyz`, `/healthz` and
/// `/metrics` there in the background.
pub async fn build_with_admin(
    options: &ServeOptions,
    checks: HealthChecks,
) -> Result<(HealthServer<HealthService>, HealthHandle), ServeError> {
    let Some(addr) = options.admin_addr else {
        return Ok(checks.build()?);
    };
    let mut registry = Registry::default();
    let (health, handle) = checks.metrics(&mut registry).build()?;
    serve_admin(addr, &handle, Arc::new(registry), options.show_details()).await?;
    Ok((health, handle))
}

/// Prints `admin listening on ADDR` and serves `/livez`, `/readyz`,
/// `/healthz`, `/groupz/NAME` and `registry` on `/metrics` there in the
/// background, with reasons shown as `details` says.
pub async fn serve_admin(
    addr: SocketAddr,
    handle: &HealthHandle,
    registry: Arc<Registry>,
    details: ShowDetails,
) -> Result<(), ServeError> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|error| format!("cannot listen on --admin-addr {addr}: {error}"))?;
    println!("admin listening on {}", listener.local_addr()?);
    let admin = AdminService::new(handle)
        .metrics(registry)
        .show_details(details);
    tokio::spawn(admin::serve(listener, admin));
    Ok(())
}
