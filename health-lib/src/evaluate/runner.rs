//! Runs one check with its timeout, turning panics and hangs into failures.
//!
//! A run that outlives its timeout is handled by kind: an async check is
//! cancelled, while a blocking check (which cannot be stopped) is left to finish
//! and is not started again until it has, so hung checks never pile up.

use std::any::Any;
use std::time::{Duration, Instant};

use tokio::task::{JoinError, JoinHandle};

use crate::check::{CheckFn, CheckResult};

/// How one run of a check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RunKind {
    /// It passed.
    Success = 0,
    /// It returned a failure.
    Error,
    /// It outlived its timeout, or an earlier run that did is still going.
    Timeout,
    /// It panicked.
    Panic,
}

impl RunKind {
    /// Every kind, for handles created ahead of time; `ALL[kind as usize] == kind`.
    #[cfg(feature = "metrics")]
    pub(crate) const ALL: [Self; 4] = [Self::Success, Self::Error, Self::Timeout, Self::Panic];

    /// The lowercase name used as a metric label.
    #[cfg(feature = "metrics")]
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Error => "error",
            Self::Timeout => "timeout",
            Self::Panic => "panic",
        }
    }
}

/// The result of one evaluation of a check.
#[derive(Debug, Clone)]
pub(crate) struct Observation {
    pub(crate) result: CheckResult,
    pub(crate) kind: RunKind,
    pub(crate) duration: Duration,
}

/// A blocking run that outlived its timeout; it cannot be stopped, so it is
/// awaited before the check is started again, and its late result is dropped.
struct InFlight {
    task: JoinHandle<CheckResult>,
    started: Instant,
}

/// Invokes one check, never more than one run at a time.
pub(crate) struct Runner {
    function: CheckFn,
    timeout: Duration,
    in_flight: Option<InFlight>,
}

impl Runner {
    pub(crate) const fn new(function: CheckFn, timeout: Duration) -> Self {
        Self {
            function,
            timeout,
            in_flight: None,
        }
    }

    /// Runs the check for at most the timeout, unless a timed-out blocking run
    /// of it is still going.
    pub(crate) async fn run(&mut self) -> Observation {
        if let Some(stale) = &self.in_flight
            && !stale.task.is_finished()
        {
            let duration = stale.started.elapsed();
            return Observation {
                result: Err(format!("still running after {duration:?}")),
                kind: RunKind::Timeout,
                duration,
            };
        }
        // A stale run that has finished since: its late result is dropped.
        self.in_flight = None;
        let mut run = self.start();
        match tokio::time::timeout(self.timeout, &mut run.task).await {
            Ok(joined) => {
                let duration = run.started.elapsed();
                let (result, kind) = match joined {
                    Ok(Ok(())) => (Ok(()), RunKind::Success),
                    Ok(Err(reason)) => (Err(reason), RunKind::Error),
                    Err(error) if error.is_panic() => {
                        (Err(describe_join_error(error)), RunKind::Panic)
                    }
                    Err(error) => (Err(describe_join_error(error)), RunKind::Error),
                };
                Observation {
                    result,
                    kind,
                    duration,
                }
            }
            Err(_) => {
                let duration = run.started.elapsed();
                match self.function {
                    CheckFn::Async(_) => run.task.abort(),
                    CheckFn::Blocking(_) => self.in_flight = Some(run),
                }
                Observation {
                    result: Err(format!("timed out after {:?}", self.timeout)),
                    kind: RunKind::Timeout,
                    duration,
                }
            }
        }
    }

    fn start(&self) -> InFlight {
        let started = Instant::now();
        let task = match &self.function {
            CheckFn::Blocking(check) => {
                let check = check.clone();
                tokio::task::spawn_blocking(move || check())
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

fn describe_join_error(error: JoinError) -> String {
    match error.try_into_panic() {
        Ok(payload) => format!("panicked: {}", panic_message(payload.as_ref())),
        Err(error) => format!("did not complete: {error}"),
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("non-string panic payload")
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn blocking(check: impl Fn() -> CheckResult + Send + Sync + 'static) -> CheckFn {
        CheckFn::Blocking(Arc::new(check))
    }

    #[cfg(feature = "metrics")]
    #[test]
    fn kinds_index_their_own_position() {
        for (index, kind) in RunKind::ALL.into_iter().enumerate() {
            assert_eq!(kind as usize, index);
        }
    }

    #[tokio::test]
    async fn panic_is_a_failure_with_its_message() {
        let mut runner = Runner::new(blocking(|| panic!("disk on fire")), Duration::from_secs(1));
        let observation = runner.run().await;
        assert_eq!(observation.result, Err("panicked: disk on fire".to_owned()));
        assert_eq!(observation.kind, RunKind::Panic);
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
        assert_eq!(first.kind, RunKind::Timeout);
        assert!(
            runner.in_flight.is_none(),
            "async runs are cancelled on timeout"
        );
        runner.run().await;
        assert_eq!(started.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn hung_blocking_check_is_not_started_twice() {
        let (release, released) = std::sync::mpsc::channel::<()>();
        let released = std::sync::Mutex::new(released);
        let started = Arc::new(AtomicUsize::new(0));
        let counter = started.clone();
        let function = blocking(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            let _ = released.lock().map(|rx| rx.recv());
            Ok(())
        });
        let mut runner = Runner::new(function, Duration::from_millis(20));
        assert_eq!(
            runner.run().await.result,
            Err("timed out after 20ms".to_owned())
        );
        let second = runner.run().await;
        assert_eq!(second.kind, RunKind::Timeout);
        assert!(
            second
                .result
                .is_err_and(|reason| reason.starts_with("still running"))
        );
        assert_eq!(started.load(Ordering::SeqCst), 1);
        release.send(()).expect("check is waiting");
        drop(release); // later runs return at once
        let task = &mut runner.in_flight.as_mut().expect("still in flight").task;
        tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .expect("released check finishes")
            .expect("check did not panic")
            .expect("check passed");
        assert_eq!(
            runner.run().await.result,
            Ok(()),
            "late result is dropped, a new run passes"
        );
        assert_eq!(started.load(Ordering::SeqCst), 2);
    }
}
