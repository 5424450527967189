//! The background evaluation loop.
//!
//! Every `interval` all checks run concurrently, each bounded by its timeout;
//! thresholds are applied and the derived services ("", the groups and the
//! services mapped to them) are published. Check and Watch only read the
//! published statuses, so however many calls arrive, a dependency is called at
//! most once per interval.

mod runner;
mod threshold;

use std::sync::{Arc, PoisonError, Weak};
use std::time::{Duration, SystemTime};

use futures::future::join_all;
use tokio::time::MissedTickBehavior;

use crate::check::Check;
use crate::shared::Shared;
use crate::snapshot::{CheckSnapshot, CheckStatus};
use crate::{Group, ServingStatus};

use runner::{Observation, Runner};
use threshold::Debounce;

/// Which checks a derived service follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    /// Every check: the server's overall health, `""`.
    All,
    /// The checks of one group.
    Group(Group),
}

/// A service whose status the checks drive.
#[derive(Clone, Debug)]
pub(crate) struct DerivedService {
    pub(crate) name: String,
    pub(crate) source: Source,
}

struct Evaluated {
    runner: Runner,
    debounce: Debounce,
    snapshot: CheckSnapshot,
}

/// The check states a run of the loop works on.
pub(crate) struct Evaluator {
    checks: Vec<Evaluated>,
    derived: Vec<DerivedService>,
}

impl Evaluator {
    pub(crate) fn new(checks: Vec<Check>, derived: Vec<DerivedService>, timeout: Duration) -> Self {
        let checks = checks
            .into_iter()
            .map(|check| Evaluated {
                runner: Runner::new(check.probe, check.timeout.unwrap_or(timeout)),
                debounce: Debounce::new(check.failure_threshold, check.success_threshold),
                snapshot: CheckSnapshot::pending(check.name, check.group),
            })
            .collect();
        Self { checks, derived }
    }

    pub(crate) fn snapshots(&self) -> Vec<CheckSnapshot> {
        self.checks
            .iter()
            .map(|check| check.snapshot.clone())
            .collect()
    }

    /// The status of every derived service given the current check states.
    pub(crate) fn derived_statuses(&self) -> Vec<(String, ServingStatus)> {
        self.derived
            .iter()
            .map(|service| (service.name.clone(), self.status_of(service.source)))
            .collect()
    }

    fn status_of(&self, source: Source) -> ServingStatus {
        let all_pass = self
            .checks
            .iter()
            .filter(|check| source == Source::All || source == Source::Group(check.snapshot.group))
            .all(|check| check.debounce.passing());
        if all_pass {
            ServingStatus::Serving
        } else {
            ServingStatus::NotServing
        }
    }

    /// Runs every check once, concurrently, and records the results.
    async fn evaluate(&mut self) {
        let observations = join_all(self.checks.iter_mut().map(|check| check.runner.run())).await;
        for (check, observation) in self.checks.iter_mut().zip(observations) {
            record(check, observation);
        }
    }

    /// Evaluates every `interval` until the health service is dropped or drains.
    pub(crate) async fn run(mut self, shared: Weak<Shared>, interval: Duration) {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let Some(shared) = shared.upgrade() else {
                return;
            };
            if shared.registry.is_draining() {
                return;
            }
            self.evaluate().await;
            publish(&self, &shared);
        }
    }
}

/// Snapshots first, so that whoever sees a status change also sees its cause.
fn publish(evaluator: &Evaluator, shared: &Arc<Shared>) {
    *shared.checks.lock().unwrap_or_else(PoisonError::into_inner) = evaluator.snapshots();
    for (name, status) in evaluator.derived_statuses() {
        shared.registry.publish_derived(&name, status);
    }
}

fn record(check: &mut Evaluated, observation: Observation) {
    let Observation { result, duration } = observation;
    let passing = check.debounce.observe(result.is_ok());
    let snapshot = &mut check.snapshot;
    let status = if passing {
        CheckStatus::Passing
    } else if snapshot.status == CheckStatus::Pending && result.is_ok() {
        CheckStatus::Pending
    } else {
        CheckStatus::Failing
    };
    snapshot.evaluations += 1;
    snapshot.last_duration = Some(duration);
    snapshot.reason = result.err();
    if status != snapshot.status {
        log_transition(snapshot, status, duration);
        snapshot.status = status;
        snapshot.last_change = Some(SystemTime::now());
    }
}

fn log_transition(snapshot: &CheckSnapshot, to: CheckStatus, duration: Duration) {
    let reason = snapshot.reason.as_deref().unwrap_or("");
    let duration_ms = duration.as_secs_f64() * 1000.0;
    if to == CheckStatus::Failing {
        tracing::warn!(check = %snapshot.name, group = ?snapshot.group, from = ?snapshot.status, to = ?to, reason, duration_ms, "health check changed");
    } else {
        tracing::info!(check = %snapshot.name, group = ?snapshot.group, from = ?snapshot.status, to = ?to, reason, duration_ms, "health check changed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn evaluator(checks: Vec<Check>) -> Evaluator {
        let derived = vec![
            DerivedService {
                name: String::new(),
                source: Source::All,
            },
            DerivedService {
                name: "liveness".into(),
                source: Source::Group(Group::Liveness),
            },
            DerivedService {
                name: "readiness".into(),
                source: Source::Group(Group::Readiness),
            },
        ];
        Evaluator::new(checks, derived, Duration::from_secs(1))
    }

    fn statuses(evaluator: &Evaluator) -> Vec<ServingStatus> {
        evaluator
            .derived_statuses()
            .into_iter()
            .map(|(_, status)| status)
            .collect()
    }

    #[tokio::test]
    async fn failing_readiness_check_leaves_liveness_serving() {
        let mut evaluator = evaluator(vec![
            Check::new("alive", || true).group(Group::Liveness),
            Check::new("db", || Err::<(), _>("connection refused")),
        ]);
        use ServingStatus::{NotServing, Serving};
        assert_eq!(
            statuses(&evaluator),
            [NotServing, NotServing, NotServing],
            "before the first evaluation"
        );
        evaluator.evaluate().await;
        assert_eq!(statuses(&evaluator), [NotServing, Serving, NotServing]);
        let db = &evaluator.snapshots()[1];
        assert_eq!(db.status, CheckStatus::Failing);
        assert_eq!(db.reason.as_deref(), Some("connection refused"));
        assert_eq!(db.evaluations, 1);
    }

    #[test]
    fn empty_groups_serve_from_the_start() {
        let evaluator = evaluator(Vec::new());
        assert!(
            statuses(&evaluator)
                .iter()
                .all(|status| *status == ServingStatus::Serving)
        );
    }
}
