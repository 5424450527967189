#![doc = include_str!("../README.md")]
// docs.rs (`--cfg docsrs`, nightly) marks each feature-gated item with its feature.
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "disk")]
pub mod disk;
#[cfg(feature = "file")]
pub mod file;
#[cfg(feature = "grpc")]
pub mod grpc;
#[cfg(feature = "http")]
pub mod http;
#[cfg(any(feature = "deadpool-postgres", feature = "sqlx-postgres"))]
pub mod postgres;
#[cfg(feature = "redis")]
pub mod redis;
#[cfg(feature = "tcp")]
pub mod tcp;

#[cfg(feature = "_builder")]
mod common;

#[cfg(feature = "_builder")]
use common::{Common, common_builder};

use std::time::Duration;

/// How long a ready-made check waits for its dependency unless its builder is
/// given a timeout: three quarters of the library's
/// [`DEFAULT_TIMEOUT`](grpc_health_checks::DEFAULT_TIMEOUT), so the check reports what it
/// was waiting for before the runner gives up on it.
pub const DEFAULT_WAIT: Duration = wait_within(grpc_health_checks::DEFAULT_TIMEOUT);

/// The part of a check's `timeout` its dependency may take: three quarters,
/// leaving room to report why.
pub(crate) const fn wait_within(timeout: Duration) -> Duration {
    match timeout.saturating_mul(3).checked_div(4) {
        Some(wait) => wait,
        None => timeout,
    }
}
