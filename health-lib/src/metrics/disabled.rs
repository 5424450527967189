//! The metric handles when the `metrics` feature is off: they record nothing.

use std::time::Duration;

use crate::evaluate::RunKind;
use crate::{Group, ServingStatus};

/// No metrics.
#[derive(Clone, Debug)]
pub(crate) struct Metrics;

/// Records nothing about a check.
#[derive(Debug)]
pub(crate) struct CheckMetrics;

/// Records nothing about a service.
#[derive(Debug)]
pub(crate) struct ServiceMetrics;

impl Metrics {
    pub(crate) const fn none() -> Self {
        Self
    }

    pub(crate) const fn check(&self, _name: &str, _group: Group) -> CheckMetrics {
        CheckMetrics
    }

    pub(crate) const fn service(&self, _name: &str) -> ServiceMetrics {
        ServiceMetrics
    }

    pub(crate) const fn forget_service(&self, _name: &str) {}
}

impl CheckMetrics {
    pub(crate) const fn record(&self, _kind: RunKind, _duration: Duration, _passing: bool) {}
}

impl ServiceMetrics {
    /// Handles for a name that is not registered: no series.
    pub(crate) const fn none() -> Self {
        Self
    }

    pub(crate) const fn record(&self, _from: Option<ServingStatus>, _to: ServingStatus) {}
}
