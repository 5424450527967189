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
}

/// The state of one check.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct CheckSnapshot {
    /// The check's name.
    pub name: String,
    /// The group it feeds.
    pub group: Group,
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
    pub(crate) const fn pending(name: String, group: Group) -> Self {
        Self {
            name,
            group,
            status: CheckStatus::Pending,
            reason: None,
            last_duration: None,
            last_change: None,
            evaluations: 0,
        }
    }
}
