//! One run of a check, as the runner and the batch both see it: how it ended,
//! what it observed, a blocking run still going after its timeout, and a
//! quick check's job in a batch with its outcome. A leaf, so that the runner
//! and the batch share these without importing each other.

use std::any::Any;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::task::JoinHandle;

use crate::RunOutcome;
use crate::check::CheckResult;

/// A plain-closure check.
pub(crate) type BlockingFn = Arc<dyn Fn() -> CheckResult + Send + Sync>;

/// The result of one evaluation of a check.
#[derive(Debug, Clone)]
pub(crate) struct Observation {
    pub(crate) result: CheckResult,
    pub(crate) kind: RunOutcome,
    pub(crate) duration: Duration,
}

/// A blocking run that outlived its timeout; it cannot be stopped, so it is
/// awaited before the check is started again, and its late result is dropped.
pub(crate) struct InFlight {
    pub(crate) task: JoinHandle<CheckResult>,
    pub(crate) started: Instant,
}

/// One check of a round.
pub(crate) struct Job {
    pub(crate) check: BlockingFn,
    pub(crate) timeout: Duration,
}

/// How a batched check ended; a check that timed out is still running.
pub(crate) struct Outcome {
    pub(crate) observation: Observation,
    pub(crate) in_flight: Option<InFlight>,
}

impl Observation {
    /// A run that returned (`Ok`) or panicked (`Err`, with the payload): the
    /// one rule from how a check ended to its outcome and reason.
    pub(crate) fn ended(ran: Result<CheckResult, Box<dyn Any + Send>>, duration: Duration) -> Self {
        let (result, kind) = match ran {
            Ok(Ok(())) => (Ok(()), RunOutcome::Success),
            Ok(Err(reason)) => (Err(reason), RunOutcome::Error),
            Err(payload) => (
                Err(format!("panicked: {}", panic_message(payload.as_ref()))),
                RunOutcome::Panic,
            ),
        };
        Self {
            result,
            kind,
            duration,
        }
    }

    /// A run cut off at `timeout`, after `duration`.
    pub(crate) fn timed_out(timeout: Duration, duration: Duration) -> Self {
        Self {
            result: Err(format!("timed out after {timeout:?}")),
            kind: RunOutcome::Timeout,
            duration,
        }
    }
}

/// The message of a caught panic's payload.
fn panic_message(payload: &(dyn Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("non-string panic payload")
}
