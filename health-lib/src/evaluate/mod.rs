//! The background evaluation loop.
//!
//! Each check runs every its own interval (the builder's unless
//! [`Check::interval`](crate::Check::interval) sets one): the loop sleeps until
//! the earliest check is due, then runs every check that is due concurrently,
//! each bounded by its timeout (plain closures that were quick last time share
//! a few blocking tasks, see [`batch`]); thresholds are applied and the derived
//! services ("", the groups and the services mapped to them) are published.
//! Check and Watch only read the published statuses, so however many calls
//! arrive, a dependency is called at most once per its check's interval.

mod batch;
mod run;
mod runner;
mod threshold;

use std::sync::{Arc, Weak};
use std::time::{Duration, SystemTime};

use futures::future::{join, join_all};
use tokio::time::Instant;

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
    /// check, and each probe group under its own name.
    pub(crate) fn reserved() -> Vec<Self> {
        let overall = Self {
            name: Group::OVERALL_SERVICE.to_owned(),
            source: Source::All,
        };
        let groups = Group::ALL.map(Self::group);
        std::iter::once(overall).chain(groups).collect()
    }

    /// `group`, served under its own name.
    pub(crate) fn group(group: Group) -> Self {
        Self {
            name: group.service_name().to_owned(),
            source: Source::Group(group),
        }
    }
}

/// One check as the loop tracks it: how to run it, when, its thresholds and
/// its latest state.
struct CheckState {
    runner: Runner,
    debounce: Debounce,
    snapshot: CheckSnapshot,
    interval: Duration,
    /// When it runs next; `None` before the loop starts (due at once).
    next_due: Option<Instant>,
}

impl CheckState {
    fn due(&self, now: Instant) -> bool {
        self.next_due.is_none_or(|due| due <= now)
    }

    /// Schedules the next run after one that was due at `next_due` and
    /// started at `now`: one interval on, or one interval from now if the
    /// loop fell behind (as tokio's `MissedTickBehavior::Delay`).
    fn schedule(&mut self, now: Instant) {
        let on_time = self
            .next_due
            .map(|due| due + self.interval)
            .filter(|next| *next > now);
        self.next_due = Some(on_time.unwrap_or(now + self.interval));
    }
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
    /// Checks without an interval of their own run every `interval`.
    pub(crate) fn new(
        checks: Vec<Check>,
        derived: Vec<DerivedService>,
        interval: Duration,
        timeout: Duration,
        observers: Arc<Observers>,
    ) -> Self {
        let checks = checks
            .into_iter()
            .map(|check| CheckState {
                runner: Runner::new(check.function, check.timeout.unwrap_or(timeout)),
                debounce: Debounce::new(check.failure_threshold, check.success_threshold),
                snapshot: CheckSnapshot::pending(check.name, check.groups, check.optional),
                interval: check.interval.unwrap_or(interval),
                next_due: None,
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
            .map(|service| (service.name.as_str(), self.status_of(&service.source)))
    }

    fn status_of(&self, source: &Source) -> ServingStatus {
        let all_pass = self
            .checks
            .iter()
            .filter(|check| source.decides(&check.snapshot.groups, check.snapshot.optional))
            .all(|check| check.debounce.passing());
        if all_pass {
            ServingStatus::Serving
        } else {
            ServingStatus::NotServing
        }
    }

    /// Runs every check once, concurrently (for tests: the loop runs the due ones).
    #[cfg(test)]
    async fn evaluate(&mut self) {
        let due = vec![true; self.checks.len()];
        self.evaluate_due(&due).await;
    }

    /// Runs the checks marked in `due` once, concurrently, and records the
    /// results: quick plain closures in one batch, the other checks each on
    /// its own task.
    async fn evaluate_due(&mut self, due: &[bool]) {
        let jobs: Vec<_> = self
            .checks
            .iter()
            .zip(due)
            .map(|(check, due)| due.then(|| check.runner.batch_job()).flatten())
            .collect();
        let batched = jobs.iter().map(Option::is_some).collect::<Vec<_>>();
        let alone = self
            .checks
            .iter_mut()
            .zip(due.iter().zip(&batched))
            .filter(|(_, (due, batched))| **due && !**batched)
            .map(|(check, _)| check.runner.run());
        let batch = batch::run(jobs.into_iter().flatten().collect(), self.batch_workers);
        let (alone, batch) = join(join_all(alone), batch).await;
        let (mut alone, mut batch) = (alone.into_iter(), batch.into_iter());
        for ((check, batched), due) in self.checks.iter_mut().zip(batched).zip(due) {
            let observation = if batched {
                batch.next().map(|outcome| check.runner.batched(outcome))
            } else if *due {
                alone.next()
            } else {
                None
            };
            if let Some(observation) = observation {
                record(check, observation, &self.observers);
            }
        }
    }

    /// Runs each check when it is due until the health service is dropped or drains.
    pub(crate) async fn run(mut self, shared: Weak<Shared>) {
        let Some(mut phase) = shared.upgrade().map(|shared| shared.phase()) else {
            return;
        };
        loop {
            let next = self.checks.iter().filter_map(|check| check.next_due).min();
            let first = self.checks.iter().any(|check| check.next_due.is_none());
            tokio::select! {
                () = wake_at(next), if !first && !self.checks.is_empty() => {}
                () = std::future::ready(()), if first => {}
                // Also ends when the service is dropped (the sender goes with it).
                _ = phase.wait_for(|phase| *phase != Phase::Serving) => return,
            }
            let now = Instant::now();
            let due: Vec<bool> = self.checks.iter().map(|check| check.due(now)).collect();
            for check in self.checks.iter_mut().filter(|check| check.due(now)) {
                check.schedule(now);
            }
            self.evaluate_due(&due).await;
            let Some(shared) = shared.upgrade() else {
                return;
            };
            shared.publish(
                self.checks.iter().map(|check| &check.snapshot).zip(due),
                self.derived_statuses(),
            );
        }
    }
}

/// Sleeps until `at` (never, for `None`).
async fn wake_at(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
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
    } else if snapshot.optional {
        CheckStatus::Degraded
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
        groups: &snapshot.groups,
        optional: snapshot.optional,
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
    if matches!(to, CheckStatus::Failing | CheckStatus::Degraded) {
        let reason = snapshot.reason.as_deref().unwrap_or("");
        tracing::warn!(check = %snapshot.name, groups = ?snapshot.groups, from = ?snapshot.status, to = ?to, reason, duration_ms, "health check changed");
    } else {
        tracing::info!(check = %snapshot.name, groups = ?snapshot.groups, from = ?snapshot.status, to = ?to, duration_ms, "health check changed");
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
                && changes[0].contains("check=db groups=[Readiness]")
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

    /// Counts the runs of an async check (async, so that paused time
    /// advances only when every check has returned).
    fn counted(name: &str, runs: &Arc<std::sync::atomic::AtomicUsize>) -> Check {
        let runs = runs.clone();
        Check::new_async(name, move || {
            runs.fetch_add(1, Ordering::SeqCst);
            async { true }
        })
    }

    #[tokio::test(start_paused = true)]
    async fn each_check_runs_once_per_its_own_interval() {
        use std::sync::atomic::AtomicUsize;
        let (cheap, expensive, optional) = (
            Arc::new(AtomicUsize::new(0)),
            Arc::new(AtomicUsize::new(0)),
            Arc::new(AtomicUsize::new(0)),
        );
        let (_health, handle) = crate::HealthChecks::new()
            .interval(Duration::from_secs(1))
            .check(counted("cheap", &cheap))
            .check(counted("expensive", &expensive).interval(Duration::from_secs(30)))
            .check(
                counted("optional", &optional)
                    .optional()
                    .interval(Duration::from_secs(10)),
            )
            .build()
            .expect("valid health configuration");
        // Paused time: the sleep returns once every timer up to it has fired.
        tokio::time::sleep(Duration::from_millis(60_500)).await;
        // Answers read the published state: they call no check.
        for _ in 0..1000 {
            assert_eq!(handle.status("readiness"), Some(ServingStatus::Serving));
        }
        let runs = |counter: &Arc<AtomicUsize>| counter.load(Ordering::SeqCst);
        assert_eq!(runs(&cheap), 61, "at 0 s, 1 s, …, 60 s");
        assert_eq!(runs(&expensive), 3, "at 0 s, 30 s and 60 s");
        assert_eq!(runs(&optional), 7, "at 0 s, 10 s, …, 60 s");
        let evaluations: Vec<u64> = handle.snapshot().iter().map(|c| c.evaluations).collect();
        assert_eq!(evaluations, [61, 3, 7]);
    }

    #[tokio::test]
    async fn a_failing_optional_check_is_degraded_and_decides_no_service() {
        let mut evaluator = Evaluator::new(
            vec![
                Check::new("db", || true),
                Check::new("cache", || Err::<(), _>("cache down"))
                    .optional()
                    .groups([Group::Readiness, Group::named("deep")]),
            ],
            [
                DerivedService::reserved(),
                vec![DerivedService::group(Group::named("deep"))],
            ]
            .concat(),
            Duration::from_secs(1),
            Duration::from_secs(1),
            Arc::default(),
        );
        evaluator.evaluate().await;
        assert!(
            statuses(&evaluator)
                .iter()
                .all(|status| *status == ServingStatus::Serving),
            "\"\", liveness, readiness and deep all serve"
        );
        let cache = &evaluator.snapshots()[1];
        assert_eq!(cache.status, CheckStatus::Degraded);
        assert!(cache.optional);
        assert_eq!(cache.reason.as_deref(), Some("cache down"));
    }
}
