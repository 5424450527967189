#![doc = include_str!("../README.md")]

#[cfg(feature = "server")]
pub mod auth;
#[cfg(feature = "server")]
mod builder;
#[cfg(feature = "server")]
mod check;
pub mod checks;
mod codec;
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
#[cfg(feature = "http")]
pub mod http;
#[cfg(feature = "server")]
pub mod incoming;
#[cfg(feature = "server")]
mod metrics;
pub mod pb;
#[cfg(feature = "server")]
mod registry;
#[cfg(feature = "server")]
mod service;
#[cfg(feature = "server")]
mod shared;
#[cfg(feature = "server")]
mod snapshot;
#[cfg(all(test, feature = "server"))]
mod test_support;
#[cfg(feature = "server")]
mod watch_stream;

/// A service's health, as sent on the wire.
pub use pb::health_check_response::ServingStatus;

#[cfg(feature = "server")]
pub use builder::MAX_REQUEST_BYTES;
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
