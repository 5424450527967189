//! The background evaluation loop.
//!
//! Every `interval` all checks run concurrently, each bounded by its timeout
//! (plain closures that were quick last time share a few blocking tasks, see
//! [`batch`]); thresholds are applied and the derived services ("", the
//! groups and the services mapped to them) are published. Check and Watch only read the
//! published statuses, so however many calls arrive, a dependency is called at
//! most once per interval.

mod batch;
mod run;
mod runner;
mod threshold;

use std::sync::{Arc, Weak};
use std::time::{Duration, SystemTime};

use futures::future::{join, join_all};
use tokio::time::MissedTickBehavior;

use crate::check::Check;
use crate::group::Source;
use crate::observe::{CheckRan, Observers};
use crate::shared::Shared;
use crate::snapshot::{CheckSnapshot, CheckStatus};
use crate::status_table::Phase;
use crate::{Group, ServingStatus};

use run::Observation;
use runner::Runner;
use threshold::Debounce;

/// A service whose status the checks drive.
#[derive(Clone, Debug)]
pub(crate) struct DerivedService {
    pub(crate) name: String,
    pub(crate) source: Source,
}

impl DerivedService {
    /// The services always served: [`Group::OVERALL_SERVICE`] from every
    /// check, and each group under its own name.
    pub(crate) fn reserved() -> Vec<Self> {
        let overall = Self {
            name: Group::OVERALL_SERVICE.to_owned(),
            source: Source::All,
        };
        let groups = Group::ALL.map(|group| Self {
            name: group.service_name().to_owned(),
            source: Source::Group(group),
        });
        std::iter::once(overall).chain(groups).collect()
    }
}

/// One check as the loop tracks it: how to run it, its thresholds and its
/// latest state.
struct CheckState {
    runner: Runner,
    debounce: Debounce,
    snapshot: CheckSnapshot,
}

/// The check states a run of the loop works on.
pub(crate) struct Evaluator {
    checks: Vec<CheckState>,
    derived: Vec<DerivedService>,
    /// The most blocking tasks a round's quick plain-closure checks share.
    batch_workers: usize,
    /// Told about every run.
    observers: Arc<Observers>,
}

impl Evaluator {
    pub(crate) fn new(
        checks: Vec<Check>,
        derived: Vec<DerivedService>,
        timeout: Duration,
        observers: Arc<Observers>,
    ) -> Self {
        let checks = checks
            .into_iter()
            .map(|check| CheckState {
                runner: Runner::new(check.function, check.timeout.unwrap_or(timeout)),
                debounce: Debounce::new(check.failure_threshold, check.success_threshold),
                snapshot: CheckSnapshot::pending(check.name, check.group),
            })
            .collect();
        let batch_workers = std::thread::available_parallelism().map_or(1, usize::from);
        Self {
            checks,
            derived,
            batch_workers,
            observers,
        }
    }

    pub(crate) fn snapshots(&self) -> Vec<CheckSnapshot> {
        self.checks
            .iter()
            .map(|check| check.snapshot.clone())
            .collect()
    }

    /// The status of every derived service given the current check states.
    pub(crate) fn derived_statuses(&self) -> impl Iterator<Item = (&str, ServingStatus)> {
        self.derived
            .iter()
            .map(|service| (service.name.as_str(), self.status_of(service.source)))
    }

    fn status_of(&self, source: Source) -> ServingStatus {
        let all_pass = self
            .checks
            .iter()
            .filter(|check| source.covers(check.snapshot.group))
            .all(|check| check.debounce.passing());
        if all_pass {
            ServingStatus::Serving
        } else {
            ServingStatus::NotServing
        }
    }

    /// Runs every check once, concurrently, and records the results: quick
    /// plain closures in one batch, the other checks each on its own task.
    async fn evaluate(&mut self) {
        let jobs: Vec<_> = self
            .checks
            .iter()
            .map(|check| check.runner.batch_job())
            .collect();
        let batched = jobs.iter().map(Option::is_some).collect::<Vec<_>>();
        let alone = self
            .checks
            .iter_mut()
            .zip(&batched)
            .filter(|(_, batched)| !**batched)
            .map(|(check, _)| check.runner.run());
        let batch = batch::run(jobs.into_iter().flatten().collect(), self.batch_workers);
        let (alone, batch) = join(join_all(alone), batch).await;
        let (mut alone, mut batch) = (alone.into_iter(), batch.into_iter());
        for (check, batched) in self.checks.iter_mut().zip(batched) {
            let observation = if batched {
                batch.next().map(|outcome| check.runner.batched(outcome))
            } else {
                alone.next()
            };
            if let Some(observation) = observation {
                record(check, observation, &self.observers);
            }
        }
    }

    /// Evaluates every `interval` until the health service is dropped or drains.
    pub(crate) async fn run(mut self, shared: Weak<Shared>, interval: Duration) {
        let Some(mut phase) = shared.upgrade().map(|shared| shared.phase()) else {
            return;
        };
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticker.tick() => {}
                // Also ends when the service is dropped (the sender goes with it).
                _ = phase.wait_for(|phase| *phase != Phase::Serving) => return,
            }
            self.evaluate().await;
            let Some(shared) = shared.upgrade() else {
                return;
            };
            shared.publish(
                self.checks.iter().map(|check| &check.snapshot),
                self.derived_statuses(),
            );
        }
    }
}

/// Applies one run to its check's state, then tells the observers.
fn record(check: &mut CheckState, observation: Observation, observers: &Observers) {
    let Observation {
        result,
        kind,
        duration,
    } = observation;
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
    observers.check_ran(&CheckRan {
        check: &snapshot.name,
        group: snapshot.group,
        outcome: kind,
        reason: snapshot.reason.as_deref(),
        duration,
        status,
    });
}

/// Logs a check's change of status, once per transition (never per run): a
/// warning with the reason when it starts failing, else info (a check only
/// starts passing on a passing run, which has no reason).
fn log_transition(snapshot: &CheckSnapshot, to: CheckStatus, duration: Duration) {
    let duration_ms = duration.as_secs_f64() * 1000.0;
    if to == CheckStatus::Failing {
        let reason = snapshot.reason.as_deref().unwrap_or("");
        tracing::warn!(check = %snapshot.name, group = ?snapshot.group, from = ?snapshot.status, to = ?to, reason, duration_ms, "health check changed");
    } else {
        tracing::info!(check = %snapshot.name, group = ?snapshot.group, from = ?snapshot.status, to = ?to, duration_ms, "health check changed");
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;
    use crate::test_support::logs;

    fn evaluator(checks: Vec<Check>) -> Evaluator {
        Evaluator::new(
            checks,
            DerivedService::reserved(),
            Duration::from_secs(1),
            Arc::default(),
        )
    }

    fn statuses(evaluator: &Evaluator) -> Vec<ServingStatus> {
        evaluator
            .derived_statuses()
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

    #[tokio::test]
    async fn a_transition_is_logged_once_with_its_reason_not_every_run() {
        let up = Arc::new(AtomicBool::new(false));
        let check_up = up.clone();
        let mut evaluator = evaluator(vec![Check::new("db", move || {
            if check_up.load(Ordering::SeqCst) {
                Ok(())
            } else {
                Err("connection refused")
            }
        })]);
        let logs = logs(|| async {
            for _ in 0..3 {
                evaluator.evaluate().await;
            }
            up.store(true, Ordering::SeqCst);
            for _ in 0..3 {
                evaluator.evaluate().await;
            }
        })
        .await;
        let changes: Vec<&str> = logs
            .lines()
            .filter(|line| line.contains("health check changed"))
            .collect();
        assert_eq!(changes.len(), 2, "{logs}");
        assert!(
            changes[0].contains("WARN")
                && changes[0].contains("check=db")
                && changes[0].contains("to=Failing")
                && changes[0].contains(r#"reason="connection refused""#),
            "{logs}"
        );
        assert!(
            changes[1].contains("INFO")
                && changes[1].contains("from=Failing to=Passing")
                && !changes[1].contains("reason"),
            "{logs}"
        );
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
