//! Errors returned by [`HealthHandle`](crate::HealthHandle).

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
