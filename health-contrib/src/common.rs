//! What every ready-made builder shares: a name, a timeout and the
//! conversion into a [`Check`].

use std::time::Duration;

use grpc_health_checks::Check;

use crate::wait_within;

/// The settings every ready-made builder has: a name and a timeout.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Common {
    pub(crate) name: Option<String>,
    /// `None` leaves the [`HealthChecks`](grpc_health_checks::HealthChecks) default.
    pub(crate) timeout: Option<Duration>,
}

impl Common {
    /// How long the dependency may take within the timeout (for the checks
    /// that wait on the network).
    #[cfg(feature = "_wait")]
    pub(crate) const fn wait(&self) -> Duration {
        match self.timeout {
            Some(timeout) => wait_within(timeout),
            None => crate::DEFAULT_WAIT,
        }
    }

    /// The check `make` builds, named `default_name` unless renamed, with the
    /// timeout if one was set.
    pub(crate) fn finish(self, default_name: String, make: impl FnOnce(String) -> Check) -> Check {
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
            /// [`HealthChecks`](grpc_health_checks::HealthChecks) one). A network check waits
            /// three quarters of it for its dependency, so that its reason says
            /// what it was waiting for.
            #[must_use]
            pub const fn timeout(mut self, timeout: std::time::Duration) -> Self {
                self.common.timeout = Some(timeout);
                self
            }
        }

        impl From<$builder> for grpc_health_checks::Check {
            fn from(builder: $builder) -> Self {
                builder.into_check()
            }
        }
    };
}
pub(crate) use common_builder;
