#![doc = include_str!("../README.md")]
// docs.rs (`--cfg docsrs`, nightly) marks each feature-gated item with its feature.
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "admin")]
pub mod admin;
#[cfg(feature = "server")]
pub mod auth;
#[cfg(feature = "server")]
mod builder;
#[cfg(feature = "server")]
mod check;
pub mod checks;
mod codec;
#[cfg(feature = "server")]
mod error;
#[cfg(feature = "server")]
mod evaluate;
mod generated;
#[cfg(feature = "server")]
mod group;
#[cfg(feature = "server")]
mod handle;
#[cfg(feature = "server")]
pub mod incoming;
#[cfg(feature = "metrics")]
mod metrics;
#[cfg(feature = "server")]
mod observe;
pub mod pb;
#[cfg(feature = "server")]
mod service;
#[cfg(feature = "server")]
mod shared;
#[cfg(feature = "server")]
mod signal;
#[cfg(feature = "server")]
mod snapshot;
#[cfg(feature = "server")]
mod status_table;
#[cfg(all(test, feature = "server"))]
mod test_support;
#[cfg(feature = "server")]
mod watch_stream;

/// The prometheus-client crate that the `metrics` feature records into,
/// prometheus-client 0.24 as this crate pins it. Its
/// [`Registry`](prometheus_client::registry::Registry) is part of this crate's
/// API ([`HealthChecks::metrics`], and `AdminService::metrics` with `admin`):
/// use it from here rather than adding prometheus-client yourself, since
/// another version is another `Registry` type.
#[cfg(feature = "metrics")]
pub use prometheus_client;

/// A service's health, as sent on the wire.
pub use pb::health_check_response::ServingStatus;

#[cfg(feature = "server")]
pub use builder::MAX_REQUEST_BYTES;
#[cfg(feature = "server")]
pub use builder::{DEFAULT_INTERVAL, DEFAULT_LIST_LIMIT, DEFAULT_TIMEOUT, HealthChecks};
#[cfg(feature = "server")]
pub use check::{Check, CheckOutput, IntoCheck, IntoChecks};
#[cfg(feature = "server")]
pub use error::{BuildError, UpdateError, UpdateErrorKind};
#[cfg(feature = "server")]
pub use group::Group;
#[cfg(feature = "server")]
pub use handle::HealthHandle;
#[cfg(feature = "server")]
pub use observe::{CheckRan, HealthListener, LISTENER_QUEUE, RunOutcome, StatusChanged};
#[cfg(feature = "server")]
pub use service::HealthService;
#[cfg(feature = "server")]
pub use signal::termination_signal;
#[cfg(feature = "server")]
pub use snapshot::{CheckSnapshot, CheckStatus};
#[cfg(feature = "server")]
pub use watch_stream::WatchStream;

#[cfg(feature = "server")]
pub mod into_checks {
    //! The markers that tell [`IntoChecks`](crate::IntoChecks) implementations
    //! apart: always inferred, never written.
    pub use crate::check::into::{Iterable, Tuple};
}

/// A health service running `checks`: the one-line form of
/// [`HealthChecks::from_checks`], for when no [`HealthHandle`] is needed.
///
/// `checks` is a tuple of closures, each of its own type so that they may
/// capture, or anything iterable of closures or [`Check`]s (see [`IntoChecks`]).
/// Closures are readiness checks named `check-1`, `check-2`, … by position.
///
/// # Errors
///
/// As [`HealthChecks::build`]: a [`Check`] given with a threshold of 0.
#[cfg(feature = "server")]
pub fn from_checks<M>(
    checks: impl IntoChecks<M>,
) -> Result<pb::health_server::HealthServer<HealthService>, BuildError> {
    HealthChecks::from_checks(checks)
        .build()
        .map(|(server, _)| server)
}
