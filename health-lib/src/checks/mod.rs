//! Ready-made checks for common dependencies, one cargo feature per backend so
//! that an application pays only for the clients it enables.
//!
//! The modules are present only with their features. Each builder turns into
//! an ordinary [`Check`] with `into_check()` (or `.into()`), so it plugs into
//! [`HealthChecks::check`](crate::HealthChecks::check) like any other check.
//! Dependencies go to readiness unless placed elsewhere with [`Check::group`]:
//! a dependency that is down must take the pod out of load balancing, never
//! restart it. Every builder has `name()` and `timeout()`.
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

#![cfg(any(
    feature = "check-tcp",
    feature = "check-http",
    feature = "check-grpc",
    feature = "check-deadpool-postgres",
    feature = "check-sqlx-postgres",
    feature = "check-redis",
    feature = "check-disk",
    feature = "check-file"
))]

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

use crate::Check;

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

/// The settings every ready-made builder has: a name and a timeout.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Common {
    name: Option<String>,
    /// `None` leaves the [`HealthChecks`](crate::HealthChecks) default.
    timeout: Option<Duration>,
}

impl Common {
    /// How long the dependency may take within the timeout (for the checks
    /// that wait on the network).
    #[cfg(any(
        feature = "check-tcp",
        feature = "check-http",
        feature = "check-deadpool-postgres",
        feature = "check-sqlx-postgres",
        feature = "check-redis"
    ))]
    const fn wait(&self) -> Duration {
        match self.timeout {
            Some(timeout) => wait_within(timeout),
            None => DEFAULT_WAIT,
        }
    }

    /// The check `make` builds, named `default_name` unless renamed, with the
    /// timeout if one was set.
    fn finish(self, default_name: String, make: impl FnOnce(String) -> Check) -> Check {
        let check = make(self.name.unwrap_or(default_name));
        match self.timeout {
            Some(timeout) => check.timeout(timeout),
            None => check,
        }
    }
}

/// The methods every ready-made builder shares (`name`, `timeout`) and its
/// conversion into a [`Check`]; the builder keeps a [`Common`] in `common`.
macro_rules! common_builder {
    ($builder:ty, $default_name:literal) => {
        impl $builder {
            #[doc = concat!("The check's name in logs and snapshots (default `", $default_name, "`).")]
            #[must_use]
            pub fn name(mut self, name: impl Into<String>) -> Self {
                self.common.name = Some(name.into());
                self
            }

            /// The check's timeout (default: the
            /// [`HealthChecks`](crate::HealthChecks) one). A network check waits
            /// three quarters of it for its dependency, so that its reason says
            /// what it was waiting for.
            #[must_use]
            pub const fn timeout(mut self, timeout: std::time::Duration) -> Self {
                self.common.timeout = Some(timeout);
                self
            }
        }

        impl From<$builder> for crate::Check {
            fn from(builder: $builder) -> Self {
                builder.into_check()
            }
        }
    };
}
use common_builder;
