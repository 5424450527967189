//! Quick plain-closure checks, run a round at a time on a few blocking tasks
//! rather than one blocking task each: a thousand `spawn_blocking` calls per
//! interval wake a thousand pool threads that contend for its lock.
//!
//! Each worker takes the next check from the round's queue and runs it; every
//! check keeps its own timeout, counted from its own start. A worker whose
//! check outlives its timeout is retired (it takes no more checks and its task
//! ends when that check returns, which makes its handle the check's in-flight
//! run) and a new worker takes over the rest of the queue, so a hung check
//! holds up nobody else.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::run::{InFlight, Job, Observation, Outcome};
use crate::check::CheckResult;

/// What a worker reports.
enum Event {
    Started {
        job: usize,
        worker: usize,
        at: Instant,
    },
    Finished {
        job: usize,
        observation: Observation,
    },
}

/// The round's queue, shared by its workers.
struct Queue {
    jobs: Vec<Job>,
    state: Mutex<QueueState>,
}

struct QueueState {
    /// The first check no worker has taken.
    next: usize,
    /// Checks that have returned.
    finished: Vec<bool>,
    /// Workers that must take no more checks.
    retired: Vec<bool>,
}

impl Queue {
    fn state(&self) -> std::sync::MutexGuard<'_, QueueState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Marks `done` as returned and hands `worker` its next check, in one step,
    /// so that a worker is never retired after its check has returned.
    fn next(&self, worker: usize, done: Option<usize>) -> Option<usize> {
        let mut state = self.state();
        if let Some(done) = done {
            state.finished[done] = true;
        }
        if state.retired[worker] || state.next == self.jobs.len() {
            return None;
        }
        state.next += 1;
        Some(state.next - 1)
    }

    /// Retires `worker`, unless `job`, its current check, has returned since.
    fn retire(&self, worker: usize, job: usize) -> bool {
        let mut state = self.state();
        if state.finished[job] {
            return false;
        }
        state.retired[worker] = true;
        true
    }

    fn register_worker(&self) -> usize {
        let mut state = self.state();
        state.retired.push(false);
        state.retired.len() - 1
    }

    fn has_waiting(&self) -> bool {
        self.state().next < self.jobs.len()
    }
}

/// Runs `jobs` on at most `workers` blocking tasks (plus one for each check
/// that outlives its timeout); the outcomes are in the order of `jobs`.
pub(crate) async fn run(jobs: Vec<Job>, workers: usize) -> Vec<Outcome> {
    let count = jobs.len();
    if count == 0 {
        return Vec::new();
    }
    let queue = Arc::new(Queue {
        jobs,
        state: Mutex::new(QueueState {
            next: 0,
            finished: vec![false; count],
            retired: Vec::new(),
        }),
    });
    let (events, mut received) = mpsc::unbounded_channel();
    let mut handles: Vec<Option<JoinHandle<CheckResult>>> = Vec::new();
    let spawn = |handles: &mut Vec<_>| {
        let worker = queue.register_worker();
        let (queue, events) = (queue.clone(), events.clone());
        handles.push(Some(tokio::task::spawn_blocking(move || {
            work(&queue, worker, &events)
        })));
    };
    for _ in 0..workers.clamp(1, count) {
        spawn(&mut handles);
    }
    let mut outcomes: Vec<Option<Outcome>> = (0..count).map(|_| None).collect();
    let mut left = count;
    let mut running: Vec<Running> = Vec::new();
    let mut batch = Vec::new();
    while left > 0 {
        let deadline = running.iter().map(|running| running.deadline).min();
        tokio::select! {
            biased;
            _ = received.recv_many(&mut batch, 64) => {}
            () = sleep_until(deadline) => {}
        }
        for event in batch.drain(..) {
            match event {
                Event::Started { job, worker, at } => {
                    let timeout = queue.jobs[job].timeout.saturating_sub(at.elapsed());
                    running.push(Running {
                        job,
                        worker,
                        started: at,
                        deadline: tokio::time::Instant::now() + timeout,
                    });
                }
                Event::Finished { job, observation } => {
                    running.retain(|running| running.job != job);
                    if outcomes[job].is_none() {
                        left -= 1;
                        outcomes[job] = Some(Outcome {
                            observation,
                            in_flight: None,
                        });
                    }
                }
            }
        }
        let now = tokio::time::Instant::now();
        let mut index = 0;
        while let Some(&Running {
            job,
            worker,
            started,
            deadline,
        }) = running.get(index)
        {
            if deadline > now || !queue.retire(worker, job) {
                index += 1;
                continue;
            }
            running.swap_remove(index);
            left -= 1;
            outcomes[job] = Some(Outcome {
                observation: Observation::timed_out(queue.jobs[job].timeout, started.elapsed()),
                in_flight: handles[worker]
                    .take()
                    .map(|task| InFlight { task, started }),
            });
            if queue.has_waiting() {
                spawn(&mut handles);
            }
        }
    }
    outcomes.into_iter().flatten().collect()
}

/// A check being run by a worker.
#[derive(Clone, Copy)]
struct Running {
    job: usize,
    worker: usize,
    started: Instant,
    /// When it times out, on tokio's clock.
    deadline: tokio::time::Instant,
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// A worker: runs checks from the queue until it is empty or the worker is
/// retired, and returns the result of its last check.
fn work(queue: &Queue, worker: usize, events: &mpsc::UnboundedSender<Event>) -> CheckResult {
    let mut last = Ok(());
    let mut done = None;
    while let Some(job) = queue.next(worker, done) {
        let at = Instant::now();
        if events.send(Event::Started { job, worker, at }).is_err() {
            // The round was abandoned: leave the rest of its checks alone.
            break;
        }
        let ran = catch_unwind(AssertUnwindSafe(|| (queue.jobs[job].check)()));
        let observation = Observation::ended(ran, at.elapsed());
        last = observation.result.clone();
        done = Some(job);
        if events.send(Event::Finished { job, observation }).is_err() {
            break;
        }
    }
    last
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;
    use crate::RunOutcome;
    use crate::test_support::EVENT_TIMEOUT;

    fn job(timeout: Duration, check: impl Fn() -> CheckResult + Send + Sync + 'static) -> Job {
        Job {
            check: Arc::new(check),
            timeout,
        }
    }

    #[tokio::test]
    async fn outcomes_come_in_order_with_failures_and_panics() {
        let jobs = vec![
            job(EVENT_TIMEOUT, || Ok(())),
            job(EVENT_TIMEOUT, || Err("refused".to_owned())),
            job(EVENT_TIMEOUT, || panic!("disk on fire")),
            job(EVENT_TIMEOUT, || Ok(())),
        ];
        let outcomes = run(jobs, 2).await;
        let seen: Vec<_> = outcomes
            .iter()
            .map(|outcome| {
                assert!(outcome.in_flight.is_none());
                (outcome.observation.kind, outcome.observation.result.clone())
            })
            .collect();
        assert_eq!(
            seen,
            [
                (RunOutcome::Success, Ok(())),
                (RunOutcome::Error, Err("refused".to_owned())),
                (RunOutcome::Panic, Err("panicked: disk on fire".to_owned())),
                (RunOutcome::Success, Ok(())),
            ]
        );
    }

    #[tokio::test]
    async fn hung_check_holds_up_nobody_and_stays_in_flight() {
        let (release, released) = std::sync::mpsc::channel::<()>();
        let released = Mutex::new(released);
        let quick_runs = Arc::new(AtomicUsize::new(0));
        let mut jobs = vec![job(Duration::from_millis(20), move || {
            let _ = released.lock().map(|rx| rx.recv());
            Ok(())
        })];
        for _ in 0..3 {
            let counter = quick_runs.clone();
            jobs.push(job(EVENT_TIMEOUT, move || {
                counter.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }));
        }
        // One worker, which takes the hung check first.
        let mut outcomes = run(jobs, 1).await;
        assert_eq!(quick_runs.load(Ordering::SeqCst), 3);
        for outcome in &outcomes[1..] {
            assert_eq!(outcome.observation.kind, RunOutcome::Success);
        }
        let hung = outcomes.swap_remove(0);
        assert_eq!(hung.observation.kind, RunOutcome::Timeout);
        assert_eq!(
            hung.observation.result,
            Err("timed out after 20ms".to_owned())
        );
        let in_flight = hung.in_flight.expect("the hung check is still running");
        assert!(!in_flight.task.is_finished());
        release.send(()).expect("the check is waiting");
        tokio::time::timeout(EVENT_TIMEOUT, in_flight.task)
            .await
            .expect("its task ends once it returns")
            .expect("no panic")
            .expect("it passed, late");
    }
}
