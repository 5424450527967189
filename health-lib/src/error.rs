//! Errors returned by [`HealthChecks::build`](crate::HealthChecks::build)
//! and [`HealthHandle`](crate::HealthHandle).

use std::fmt;

/// Why a status update was not applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum UpdateErrorKind {
    /// The update came after [`HealthHandle::shutdown`](crate::HealthHandle::shutdown).
    Draining,
    /// The service's status is computed from the checks (`""`, `liveness`,
    /// `readiness` and services mapped to a group).
    DrivenByChecks,
}

/// A status update that was not applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateError {
    service: String,
    kind: UpdateErrorKind,
}

impl UpdateError {
    pub(crate) fn new(service: &str, kind: UpdateErrorKind) -> Self {
        Self {
            service: service.to_owned(),
            kind,
        }
    }

    /// The service the update was for.
    pub fn service(&self) -> &str {
        &self.service
    }

    /// Why the update was refused.
    pub const fn kind(&self) -> UpdateErrorKind {
        self.kind
    }
}

impl fmt::Display for UpdateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let service = &self.service;
        match self.kind {
            UpdateErrorKind::Draining => write!(
                f,
                "health of {service:?} not updated: the health service is draining"
            ),
            UpdateErrorKind::DrivenByChecks => write!(
                f,
                "health of {service:?} not updated: it is computed from the health checks; \
                 add a check instead of setting it by hand"
            ),
        }
    }
}

impl std::error::Error for UpdateError {}

/// A [`HealthChecks`](crate::HealthChecks) configuration that
/// [`build`](crate::HealthChecks::build) refuses; the message says what to fix.
#[derive(Debug)]
#[non_exhaustive]
pub enum BuildError {
    /// [`service`](crate::HealthChecks::service) was given `""`, `liveness`
    /// or `readiness`, which are always served from the checks.
    ReservedService {
        /// The name given.
        service: String,
    },
    /// A [named group](crate::Group::named) was given `""`, `liveness` or
    /// `readiness`: use [`Group::Liveness`](crate::Group::Liveness) or
    /// [`Group::Readiness`](crate::Group::Readiness) for those.
    ReservedGroup {
        /// The name given.
        group: String,
    },
    /// A named group has the name of a service
    /// [mapped](crate::HealthChecks::service) to another group, and both
    /// cannot be served under one name.
    GroupNameTaken {
        /// The group's name.
        group: String,
    },
    /// A check's failure or success threshold is 0.
    ZeroThreshold {
        /// The check's name.
        check: String,
        /// `failure_threshold` or `success_threshold`.
        threshold: &'static str,
    },
    /// The thread of a [`HealthListener`](crate::HealthListener) could not start.
    ListenerThread(std::io::Error),
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ReservedService { service } => write!(
                f,
                "health service {service:?} cannot be mapped to a group: \"\", \"liveness\" and \
                 \"readiness\" are always served from the checks; choose another name"
            ),
            Self::ReservedGroup { group } => write!(
                f,
                "{group:?} cannot be a named group: \"\", \"liveness\" and \"readiness\" are \
                 fixed; use Group::Liveness or Group::Readiness, or choose another name"
            ),
            Self::GroupNameTaken { group } => write!(
                f,
                "named group {group:?} has the name of a service mapped to another group; \
                 rename the group or the service"
            ),
            Self::ZeroThreshold { check, threshold } => write!(
                f,
                "check {check:?} has {threshold}(0): a threshold counts consecutive runs \
                 and must be at least 1"
            ),
            Self::ListenerThread(error) => {
                write!(f, "cannot start a health listener's thread: {error}")
            }
        }
    }
}

impl std::error::Error for BuildError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::ListenerThread(error) => Some(error),
            _ => None,
        }
    }
}
