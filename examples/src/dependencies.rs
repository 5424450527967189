//! The demo's ready-made dependency checks (grpc-health-contrib):
//! `--postgres URL`, `--redis URL` and `--upstream ADDR`, each a readiness check.

use deadpool_postgres::{self, Runtime, tokio_postgres};
use grpc_health_checks::HealthChecks;
use grpc_health_contrib::grpc::UpstreamCheck;
use grpc_health_contrib::postgres::PostgresCheck;
use grpc_health_contrib::redis::RedisCheck;

use crate::serve::ServeError;

/// The connections the `--postgres` pool may open.
const POSTGRES_POOL_SIZE: usize = 2;

/// Dependencies readiness waits for.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct DependencyOptions {
    /// Readiness needs `SELECT 1` to succeed on this PostgreSQL URL (postgres://user@host:port/db).
    #[arg(long, value_name = "URL")]
    pub postgres: Option<String>,
    /// Readiness needs the Redis server at this URL (redis://host:port) to answer PING.
    #[arg(long, value_name = "URL")]
    pub redis: Option<String>,
    /// Readiness follows the `""` health status of the gRPC server at this
    /// `host:port`, through Watch.
    #[arg(long, value_name = "ADDR")]
    pub upstream: Option<String>,
}

impl DependencyOptions {
    /// `checks` with a readiness check for each dependency given. Must run
    /// inside the Tokio runtime, where `--upstream` starts following.
    ///
    /// # Errors
    ///
    /// A message naming the flag whose value is invalid.
    pub fn add_checks(&self, mut checks: HealthChecks) -> Result<HealthChecks, ServeError> {
        if let Some(url) = &self.postgres {
            checks = checks.check(PostgresCheck::deadpool(postgres_pool(url)?).into_check());
        }
        if let Some(url) = &self.redis {
            let client = redis::Client::open(url.as_str())
                .map_err(|error| format!("invalid --redis {url}: {error}"))?;
            checks = checks.check(RedisCheck::new(client).into_check());
        }
        if let Some(addr) = &self.upstream {
            let upstream =
                UpstreamCheck::new(addr).map_err(|error| format!("--upstream: {error}"))?;
            checks = checks.check(upstream.into_check());
        }
        Ok(checks)
    }
}

/// A small pool; it connects on first use, so the server may be down at start-up.
fn postgres_pool(url: &str) -> Result<deadpool_postgres::Pool, ServeError> {
    let config: tokio_postgres::Config = url.parse().map_err(|error: tokio_postgres::Error| {
        // tokio-postgres keeps the detail (which part is wrong) in the source.
        let detail = std::error::Error::source(&error)
            .map(|cause| format!(": {cause}"))
            .unwrap_or_default();
        format!("invalid --postgres {url}: {error}{detail}")
    })?;
    let manager = deadpool_postgres::Manager::new(config, tokio_postgres::NoTls);
    Ok(deadpool_postgres::Pool::builder(manager)
        .max_size(POSTGRES_POOL_SIZE)
        .runtime(Runtime::Tokio1)
        .build()
        .map_err(|error| format!("--postgres: {error}"))?)
}
