//! A check-driven `grpc.health.v1` health service for any tonic server.
//!
//! Hand over your checks, add one service, and every client of the standard
//! protocol (kubelet's `grpc:` probe, grpc-probe, grpc-health-probe, grpcurl,
//! Envoy) can ask whether your server is healthy:
//!
//! ```no_run
//! # fn db_is_up() -> bool { true }
//! # #[tokio::main] async fn main() -> Result<(), tonic::transport::Error> {
//! tonic::transport::Server::builder()
//!     .add_service(grpc_health_checks::from_checks(vec![|| true, || db_is_up()]))
//!     .serve("0.0.0.0:50051".parse().expect("valid address"))
//!     .await
//! # }
//! ```
//!
//! # Semantics
//!
//! | service | SERVING when |
//! |---|---|
//! | `""` | every check passes |
//! | `readiness` | every readiness check passes (checks go here unless placed elsewhere) |
//! | `liveness` | every liveness check passes; with none, while the process answers |
//! | a mapped name ([`HealthChecks::service`]) | its group is SERVING |
//! | a hand-driven name ([`HealthHandle::set_status`]) | you set it so |
//!
//! - Checks run in the background every interval (default 1 s), concurrently,
//!   each with a timeout (default 800 ms, inside kubelet's 1 s). Check and Watch
//!   answer from the latest result and never wait for a check, so a dependency
//!   is called at most once per interval however many probes arrive.
//! - A group with checks is NOT_SERVING until they have passed once: readiness
//!   is NOT_SERVING before the first evaluation finishes.
//! - A check that panics fails with the panic message as its reason (this needs
//!   `panic = "unwind"`, Rust's default). A check that times out fails; an async
//!   one is cancelled, a blocking one is left to finish and is not started
//!   again until it has, so hung checks never pile up.
//! - Plain closures run on Tokio's blocking pool and may block.
//! - Reasons go to `tracing` events and [`HealthHandle::snapshot`], never on the wire.
//! - Check answers NOT_FOUND for an unknown service; Watch answers
//!   SERVICE_UNKNOWN and keeps the stream open until it is registered; List
//!   answers RESOURCE_EXHAUSTED above 100 services.
//! - [`auth::RequireAuthExceptHealthLayer`] keeps health reachable without
//!   credentials when every other RPC needs them.
//! - [`HealthHandle::drain_on_signal`] turns SIGTERM/SIGINT into a drain:
//!   everything goes NOT_SERVING, watchers are told, and after a delay the
//!   server stops.
//!
//! Must be built inside a Tokio runtime, since evaluation runs as a task.

#[cfg(feature = "server")]
pub mod auth;
#[cfg(feature = "server")]
mod builder;
#[cfg(feature = "server")]
mod check;
#[cfg(feature = "server")]
mod drain;
#[cfg(feature = "server")]
mod error;
#[cfg(feature = "server")]
mod evaluate;
mod generated;
#[cfg(feature = "server")]
mod group;
#[cfg(feature = "server")]
mod handle;
pub mod pb;
#[cfg(feature = "server")]
mod registry;
#[cfg(feature = "server")]
mod service;
#[cfg(feature = "server")]
mod shared;
#[cfg(feature = "server")]
mod snapshot;
#[cfg(feature = "server")]
mod watch_stream;

/// A service's health, as sent on the wire.
pub use pb::health_check_response::ServingStatus;

#[cfg(feature = "server")]
pub use builder::{DEFAULT_INTERVAL, DEFAULT_LIST_LIMIT, DEFAULT_TIMEOUT, HealthChecks};
#[cfg(feature = "server")]
pub use check::{Check, CheckOutput};
#[cfg(feature = "server")]
pub use drain::termination_signal;
#[cfg(feature = "server")]
pub use error::{UpdateError, UpdateErrorKind};
#[cfg(feature = "server")]
pub use group::Group;
#[cfg(feature = "server")]
pub use handle::HealthHandle;
#[cfg(feature = "server")]
pub use service::HealthService;
#[cfg(feature = "server")]
pub use snapshot::{CheckSnapshot, CheckStatus};
#[cfg(feature = "server")]
pub use watch_stream::WatchStream;

/// A health service running `checks` as readiness checks: the one-line form of
/// [`HealthChecks::from_checks`], for when no [`HealthHandle`] is needed.
///
/// # Panics
///
/// Outside a Tokio runtime, as `tokio::spawn` does.
#[cfg(feature = "server")]
pub fn from_checks<F, O>(
    checks: impl IntoIterator<Item = F>,
) -> pb::health_server::HealthServer<HealthService>
where
    F: Fn() -> O + Send + Sync + 'static,
    O: CheckOutput,
{
    HealthChecks::from_checks(checks).build().0
}
