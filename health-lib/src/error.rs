//! Errors returned by [`HealthHandle`](crate::HealthHandle).

use std::fmt;

/// A status update that was not applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateError {
    service: String,
    draining: bool,
}

impl UpdateError {
    pub(crate) fn draining(service: &str) -> Self {
        Self {
            service: service.to_owned(),
            draining: true,
        }
    }

    pub(crate) fn driven_by_checks(service: &str) -> Self {
        Self {
            service: service.to_owned(),
            draining: false,
        }
    }

    /// The service the update was for.
    pub fn service(&self) -> &str {
        &self.service
    }

    /// `true` when the update came after [`HealthHandle::shutdown`](crate::HealthHandle::shutdown);
    /// `false` when the service's status is computed from the checks.
    pub fn is_draining(&self) -> bool {
        self.draining
    }
}

impl fmt::Display for UpdateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.draining {
            write!(
                f,
                "health of {:?} not updated: the health service is draining",
                self.service
            )
        } else {
            write!(
                f,
                "health of {:?} not updated: it is computed from the health checks; \
                 add a check instead of setting it by hand",
                self.service
            )
        }
    }
}

impl std::error::Error for UpdateError {}
