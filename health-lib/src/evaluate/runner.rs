//! Runs one check with its timeout, turning panics and hangs into failures.
//!
//! A run that outlives its timeout is handled by kind: an async check is
//! cancelled, while a blocking check (which cannot be stopped) is left to finish
//! and is not started again until it has, so hung checks never pile up.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::task::JoinError;

use super::run::{InFlight, Job, Observation, Outcome};
use crate::RunOutcome;
use crate::check::CheckFn;

/// A blocking run at most this long is quick: the next one may share a
/// blocking task with other checks (see [`super::batch`]).
const QUICK: Duration = Duration::from_millis(1);

/// Invokes one check, never more than one run at a time.
pub(crate) struct Runner {
    function: CheckFn,
    timeout: Duration,
    in_flight: Option<InFlight>,
    /// The last run was a blocking one that returned within `quick_limit`.
    quick: bool,
    /// [`QUICK`], except in tests that must not depend on the machine's speed.
    quick_limit: Duration,
    /// How long the closure itself took on its own task, in ns (scheduling
    /// not counted), or `u64::MAX` if it did not return.
    ran_for: Arc<AtomicU64>,
}

impl Runner {
    pub(crate) fn new(function: CheckFn, timeout: Duration) -> Self {
        Self {
            function,
            timeout,
            in_flight: None,
            quick: false,
            quick_limit: QUICK,
            ran_for: Arc::new(AtomicU64::new(u64::MAX)),
        }
    }

    /// The same runner with another bound for a quick run, so that a test's
    /// "quick" closure counts as quick even when a loaded machine preempts it.
    #[cfg(test)]
    const fn with_quick_limit(mut self, limit: Duration) -> Self {
        self.quick_limit = limit;
        self
    }

    /// This check as a job for a batch: a plain closure whose last run was
    /// quick and is over. Others run on their own task, by [`run`](Self::run).
    pub(crate) fn batch_job(&self) -> Option<Job> {
        match &self.function {
            CheckFn::Blocking(check) if self.quick && self.in_flight.is_none() => Some(Job {
                check: check.clone(),
                timeout: self.timeout,
            }),
            _ => None,
        }
    }

    /// Takes the outcome of the job from [`batch_job`](Self::batch_job).
    pub(crate) fn batched(&mut self, outcome: Outcome) -> Observation {
        self.in_flight = outcome.in_flight;
        // A batch worker times the closure alone.
        self.quick = outcome.observation.kind != RunOutcome::Timeout
            && outcome.observation.duration <= self.quick_limit;
        outcome.observation
    }

    /// Runs the check for at most the timeout, unless a timed-out blocking run
    /// of it is still going.
    pub(crate) async fn run(&mut self) -> Observation {
        let observation = self.run_alone().await;
        let ran_for = Duration::from_nanos(self.ran_for.load(Ordering::Relaxed));
        self.quick = matches!(self.function, CheckFn::Blocking(_))
            && observation.kind != RunOutcome::Timeout
            && ran_for <= self.quick_limit;
        observation
    }

    /// [`run`](Self::run) on its own task.
    async fn run_alone(&mut self) -> Observation {
        if let Some(stale) = &self.in_flight
            && !stale.task.is_finished()
        {
            let duration = stale.started.elapsed();
            return Observation {
                result: Err(format!("still running after {duration:?}")),
                kind: RunOutcome::Timeout,
                duration,
            };
        }
        // A stale run that has finished since: its late result is dropped.
        self.in_flight = None;
        let mut run = self.start();
        match tokio::time::timeout(self.timeout, &mut run.task).await {
            Ok(joined) => {
                let duration = run.started.elapsed();
                match joined.map_err(JoinError::try_into_panic) {
                    Ok(result) => Observation::ended(Ok(result), duration),
                    Err(Ok(payload)) => Observation::ended(Err(payload), duration),
                    // Only a runtime shutting down cancels a check's task.
                    Err(Err(error)) => Observation {
                        result: Err(format!("did not complete: {error}")),
                        kind: RunOutcome::Error,
                        duration,
                    },
                }
            }
            Err(_) => {
                let duration = run.started.elapsed();
                match self.function {
                    CheckFn::Async(_) => run.task.abort(),
                    CheckFn::Blocking(_) => self.in_flight = Some(run),
                }
                Observation::timed_out(self.timeout, duration)
            }
        }
    }

    fn start(&self) -> InFlight {
        let started = Instant::now();
        let task = match &self.function {
            CheckFn::Blocking(check) => {
                let (check, ran_for) = (check.clone(), self.ran_for.clone());
                ran_for.store(u64::MAX, Ordering::Relaxed);
                tokio::task::spawn_blocking(move || {
                    let started = Instant::now();
                    let result = check();
                    let nanos = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
                    // Read after the task has been joined, which orders it.
                    ran_for.store(nanos, Ordering::Relaxed);
                    result
                })
            }
            CheckFn::Async(check) => tokio::spawn(check()),
        };
        InFlight { task, started }
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        if let Some(run) = &self.in_flight {
            run.task.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::super::batch;
    use super::*;
    use crate::check::CheckResult;

    fn blocking(check: impl Fn() -> CheckResult + Send + Sync + 'static) -> CheckFn {
        CheckFn::Blocking(Arc::new(check))
    }

    /// A passing blocking check that counts its runs; from run `hold_from`
    /// (counted from 0) on, each waits until the sender sends or goes.
    fn held(hold_from: usize) -> (std::sync::mpsc::Sender<()>, Arc<AtomicUsize>, CheckFn) {
        let (release, released) = std::sync::mpsc::channel::<()>();
        let released = std::sync::Mutex::new(released);
        let started = Arc::new(AtomicUsize::new(0));
        let counter = started.clone();
        let function = blocking(move || {
            if counter.fetch_add(1, Ordering::SeqCst) >= hold_from {
                let _ = released.lock().map(|rx| rx.recv());
            }
            Ok(())
        });
        (release, started, function)
    }

    /// Lets the run of a [`held`] check that `runner` has in flight return,
    /// and later runs return at once; waits for it to return.
    async fn release_held(release: std::sync::mpsc::Sender<()>, runner: &mut Runner) {
        release.send(()).expect("check is waiting");
        drop(release);
        let task = &mut runner.in_flight.as_mut().expect("still in flight").task;
        tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .expect("released check finishes")
            .expect("check did not panic")
            .expect("check passed");
    }

    #[tokio::test]
    async fn panic_is_a_failure_with_its_message() {
        let mut runner = Runner::new(blocking(|| panic!("disk on fire")), Duration::from_secs(1));
        let observation = runner.run().await;
        assert_eq!(observation.result, Err("panicked: disk on fire".to_owned()));
        assert_eq!(observation.kind, RunOutcome::Panic);
    }

    /// A bound no closure in these tests reaches, however loaded the machine.
    const fn generous_quick_limit() -> Duration {
        Duration::from_secs(10)
    }

    #[tokio::test]
    async fn only_quick_returned_plain_closures_are_batched() {
        let quick = Runner::new(blocking(|| Ok(())), Duration::from_secs(30))
            .with_quick_limit(generous_quick_limit());
        assert!(quick.batch_job().is_none(), "not before a first run");
        let mut quick = quick;
        assert_eq!(quick.run().await.kind, RunOutcome::Success);
        assert!(quick.batch_job().is_some());
        let slow = move || {
            std::thread::sleep(QUICK * 5);
            Ok(())
        };
        let mut slow = Runner::new(blocking(slow), Duration::from_secs(30));
        slow.run().await;
        assert!(
            slow.batch_job().is_none(),
            "slow checks keep their own task"
        );
        let function = CheckFn::Async(Arc::new(|| Box::pin(async { Ok(()) })));
        let mut asynchronous = Runner::new(function, Duration::from_secs(30));
        asynchronous.run().await;
        assert!(asynchronous.batch_job().is_none());
    }

    /// Long enough for any run that must pass, however loaded the machine.
    const GENEROUS: Duration = Duration::from_secs(10);
    /// For runs of a held check, which time out at any length.
    const SHORT: Duration = Duration::from_millis(20);

    #[tokio::test]
    async fn a_batched_timeout_is_not_started_again_until_it_returns() {
        let (release, started, function) = held(1);
        let mut runner = Runner::new(function, GENEROUS).with_quick_limit(generous_quick_limit());
        assert_eq!(runner.run().await.kind, RunOutcome::Success);
        // The next run is held: it times out whatever the timeout.
        runner.timeout = SHORT;
        let job = runner.batch_job().expect("quick, so batched");
        let outcome = batch::run(vec![job], 1).await.pop().expect("one outcome");
        assert_eq!(runner.batched(outcome).kind, RunOutcome::Timeout);
        assert!(runner.batch_job().is_none(), "timed out: its own task next");
        let third = runner.run().await;
        assert!(
            third
                .result
                .is_err_and(|reason| reason.starts_with("still running"))
        );
        release_held(release, &mut runner).await;
        assert_eq!(started.load(Ordering::SeqCst), 2, "not started while held");
        runner.timeout = GENEROUS;
        assert_eq!(runner.run().await.kind, RunOutcome::Success);
        assert_eq!(started.load(Ordering::SeqCst), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn hung_async_check_times_out_and_is_cancelled() {
        let started = Arc::new(AtomicUsize::new(0));
        let counter = started.clone();
        let function = CheckFn::Async(Arc::new(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            Box::pin(std::future::pending())
        }));
        let mut runner = Runner::new(function, Duration::from_millis(100));
        let first = runner.run().await;
        assert_eq!(first.result, Err("timed out after 100ms".to_owned()));
        assert_eq!(first.kind, RunOutcome::Timeout);
        assert!(
            runner.in_flight.is_none(),
            "async runs are cancelled on timeout"
        );
        runner.run().await;
        assert_eq!(started.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn hung_blocking_check_is_not_started_twice() {
        let (release, started, function) = held(0);
        let mut runner = Runner::new(function, SHORT);
        assert_eq!(
            runner.run().await.result,
            Err("timed out after 20ms".to_owned())
        );
        let second = runner.run().await;
        assert_eq!(second.kind, RunOutcome::Timeout);
        assert!(
            second
                .result
                .is_err_and(|reason| reason.starts_with("still running"))
        );
        // Counted once the held run has returned: before that, a loaded
        // machine may not even have started its thread.
        release_held(release, &mut runner).await;
        assert_eq!(started.load(Ordering::SeqCst), 1, "started once while hung");
        runner.timeout = GENEROUS;
        assert_eq!(
            runner.run().await.result,
            Ok(()),
            "late result is dropped, a new run passes"
        );
        assert_eq!(started.load(Ordering::SeqCst), 2);
    }
}
