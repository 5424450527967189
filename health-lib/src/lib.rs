#![doc = include_str!("../README.md")]
// docs.rs (`--cfg docsrs`, nightly) marks each feature-gated item with its feature.
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "admin")]
pub mod admin;
pub mod auth;
mod builder;
mod check;
mod error;
mod evaluate;
mod group;
mod handle;
pub mod incoming;
#[cfg(feature = "metrics")]
mod metrics;
mod observe;
mod service;
mod shared;
mod signal;
mod snapshot;
mod status_table;
#[cfg(test)]
mod test_support;
mod watch_stream;

/// The prometheus-client crate that the `metrics` feature records into,
/// prometheus-client 0.24 as this crate pins it. Its
/// [`Registry`](prometheus_client::registry::Registry) is part of this crate's
/// API ([`HealthChecks::metrics`], and `AdminService::metrics` with `admin`):
/// use it from here rather than adding prometheus-client yourself, since
/// another version is another `Registry` type.
#[cfg(feature = "metrics")]
pub use prometheus_client;

/// The `grpc.health.v1` protocol types and tonic stubs, from
/// [grpc-health-proto](https://docs.rs/grpc-health-proto).
pub use grpc_health_proto::pb;

/// A service's health, as sent on the wire.
pub use grpc_health_proto::ServingStatus;

pub use builder::MAX_REQUEST_BYTES;
pub use builder::{DEFAULT_INTERVAL, DEFAULT_LIST_LIMIT, DEFAULT_TIMEOUT, HealthChecks};
pub use check::{Check, CheckOutput, IntoCheck, IntoChecks, error_reason};
pub use error::{BuildError, UpdateError, UpdateErrorKind};
pub use group::Group;
pub use handle::HealthHandle;
pub use observe::{CheckRan, HealthListener, LISTENER_QUEUE, RunOutcome, StatusChanged};
pub use service::HealthService;
pub use signal::termination_signal;
pub use snapshot::{CheckSnapshot, CheckStatus};
pub use watch_stream::WatchStream;

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
pub fn from_checks<M>(
    checks: impl IntoChecks<M>,
) -> Result<pb::health_server::HealthServer<HealthService>, BuildError> {
    HealthChecks::from_checks(checks)
        .build()
        .map(|(server, _)| server)
}
