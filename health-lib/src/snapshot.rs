//! Per-check state for logs and metrics, from [`HealthHandle::snapshot`](crate::HealthHandle::snapshot).

use std::time::{Duration, SystemTime};

use crate::Group;

/// Where a check stands after its thresholds are applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckStatus {
    /// Not evaluated yet, or failing since it started: counts as failing.
    Pending,
    /// Passing.
    Passing,
    /// Failing.
    Failing,
    /// An [optional](crate::Check::optional) check that fails (or has not
    /// passed yet after running): reported, but no service's status changes.
    Degraded,
}

/// The state of one check.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct CheckSnapshot {
    /// The check's name.
    pub name: String,
    /// The groups it belongs to (at least one).
    pub groups: Vec<Group>,
    /// Whether it is [optional](crate::Check::optional): it decides no service's status.
    pub optional: bool,
    /// Its status after thresholds.
    pub status: CheckStatus,
    /// Why the last run failed; `None` when it passed or has not run.
    pub reason: Option<String>,
    /// How long the last run took (up to the timeout).
    pub last_duration: Option<Duration>,
    /// When `status` last changed; `None` while pending.
    pub last_change: Option<SystemTime>,
    /// How many times the check has been evaluated.
    pub evaluations: u64,
}

impl CheckSnapshot {
    /// Takes what a run of the same check changed from `ran`: status,
    /// reason, duration, last change and count (a check's name, groups and
    /// optional flag never change). The reason's buffer is reused.
    pub(crate) fn record_run(&mut self, ran: &Self) {
        self.status = ran.status;
        self.reason.clone_from(&ran.reason);
        self.last_duration = ran.last_duration;
        self.last_change = ran.last_change;
        self.evaluations = ran.evaluations;
    }

    pub(crate) const fn pending(name: String, groups: Vec<Group>, optional: bool) -> Self {
        Self {
            name,
            groups,
            optional,
            status: CheckStatus::Pending,
            reason: None,
            last_duration: None,
            last_change: None,
            evaluations: 0,
        }
    }
}
