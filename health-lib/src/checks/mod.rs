//! Ready-made checks for common dependencies, one cargo feature per backend so
//! that an application pays only for the clients it enables.
//!
//! The modules are present only with their features. Each builder turns into an ordinary [`Check`](crate::Check) with
//! `into_check()` (or `.into()`), so it plugs into
//! [`HealthChecks::check`](crate::HealthChecks::check) like any other check.
//! Dependencies go to readiness unless placed elsewhere with
//! [`Check::group`](crate::Check::group): a dependency that is down must take the
//! pod out of load balancing, never restart it.
//!
//! | module | feature | passes when |
//! |---|---|---|
//! | `tcp` | `check-tcp` | a TCP connection to `host:port` opens |
//! | `http` | `check-http` | a GET (http or https, rustls) answers an expected status, optionally with a body substring |
//! | `grpc` | `check-grpc` | another server's `grpc.health.v1` status, followed through Watch, is SERVING |
//! | `postgres` | `check-deadpool-postgres`, `check-sqlx-postgres` | `SELECT 1` through your pool succeeds |
//! | `redis` | `check-redis` | `PING` through a `ConnectionManager` answers |
//! | `disk` | `check-disk` | free space and free inodes under a path are above thresholds |
//! | `file` | `check-file` | a heartbeat file was modified recently |
//!
//! Network checks bound their own waits by [`DEFAULT_WAIT`] (or three quarters of
//! the timeout given to their builder), inside the check's timeout, so that a
//! failure names what it was waiting for rather than only "timed out".

#[cfg(feature = "check-disk")]
pub mod disk;
#[cfg(feature = "check-file")]
pub mod file;
#[cfg(feature = "check-grpc")]
pub mod grpc;
#[cfg(feature = "check-http")]
pub mod http;
#[cfg(any(feature = "check-deadpool-postgres", feature = "check-sqlx-postgres"))]
pub mod postgres;
#[cfg(feature = "check-redis")]
pub mod redis;
#[cfg(feature = "check-tcp")]
pub mod tcp;

#[cfg(any(
    feature = "check-http",
    feature = "check-grpc",
    feature = "check-deadpool-postgres",
    feature = "check-sqlx-postgres",
    feature = "check-redis"
))]
mod reason;

use std::time::Duration;

/// How long a ready-made check waits for its dependency unless its builder is
/// given a timeout: three quarters of the library's
/// [`DEFAULT_TIMEOUT`](crate::DEFAULT_TIMEOUT), so the check reports what it
/// was waiting for before the runner gives up on it.
pub const DEFAULT_WAIT: Duration = wait_within(crate::DEFAULT_TIMEOUT);

/// The part of a check's `timeout` its dependency may take: three quarters,
/// leaving room to report why.
const fn wait_within(timeout: Duration) -> Duration {
    match timeout.saturating_mul(3).checked_div(4) {
        Some(wait) => wait,
        None => timeout,
    }
}

/// A check's timeout as its network builders keep it: `None` leaves the
/// [`HealthChecks`](crate::HealthChecks) default.
#[cfg(any(
    feature = "check-tcp",
    feature = "check-http",
    feature = "check-deadpool-postgres",
    feature = "check-sqlx-postgres",
    feature = "check-redis"
))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Timeout(Option<Duration>);

#[cfg(any(
    feature = "check-tcp",
    feature = "check-http",
    feature = "check-deadpool-postgres",
    feature = "check-sqlx-postgres",
    feature = "check-redis"
))]
impl Timeout {
    /// How long the dependency may take within this timeout.
    const fn wait(self) -> Duration {
        match self.0 {
            Some(timeout) => wait_within(timeout),
            None => DEFAULT_WAIT,
        }
    }

    /// `check` with this timeout applied, if one was set.
    fn apply(self, check: crate::Check) -> crate::Check {
        match self.0 {
            Some(timeout) => check.timeout(timeout),
            None => check,
        }
    }
}
