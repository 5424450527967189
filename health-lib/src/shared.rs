//! [`Shared`]: the state behind the service, the handle and the evaluation
//! loop, and the only code that changes it; it also starts the evaluation
//! loop, at once inside a Tokio runtime or else at the first use inside one.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};

use futures::future::BoxFuture;

use crate::ServingStatus;
use crate::error::UpdateError;
use crate::snapshot::CheckSnapshot;
use crate::status_table::{Phase, StatusTable};

pub(crate) struct Shared {
    /// The served statuses and the shutdown phase.
    table: StatusTable,
    /// The check states behind the derived statuses, as of the last evaluation.
    checks: Mutex<Vec<CheckSnapshot>>,
    /// The evaluation loop while it waits for a Tokio runtime to run on.
    unstarted: Mutex<Option<BoxFuture<'static, ()>>>,
    /// Whether `unstarted` still holds it: read on every use, so that a
    /// started loop costs one atomic load.
    waiting: AtomicBool,
}

impl Shared {
    /// The state of a new health service, with the evaluation loop that
    /// `evaluation` makes from it: spawned now inside a Tokio runtime, or else
    /// at the first use inside one (so that building never panics).
    pub(crate) fn start(
        table: StatusTable,
        checks: Vec<CheckSnapshot>,
        evaluation: impl FnOnce(Weak<Self>) -> BoxFuture<'static, ()>,
    ) -> Arc<Self> {
        let shared = Arc::new_cyclic(|shared: &Weak<Self>| Self {
            table,
            checks: Mutex::new(checks),
            unstarted: Mutex::new(Some(evaluation(shared.clone()))),
            waiting: AtomicBool::new(true),
        });
        shared.start_evaluation();
        shared
    }

    /// Spawns the evaluation loop if it still waits and a runtime is at hand.
    fn start_evaluation(&self) {
        if !self.waiting.load(Ordering::Acquire) {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let mut unstarted = self
            .unstarted
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(evaluation) = unstarted.take() {
            runtime.spawn(evaluation);
            self.waiting.store(false, Ordering::Release);
        }
    }

    /// The status table; every use of the service goes through here, so this
    /// is where a service built outside a runtime starts evaluating.
    pub(crate) fn table(&self) -> &StatusTable {
        self.start_evaluation();
        &self.table
    }

    /// Publishes an evaluation: the statuses and the check states that drive
    /// them, under the check-state lock so that a reader of both (`inspect`,
    /// `snapshot`) sees a status change with its cause. Ignored once the
    /// table has left [`Phase::Serving`].
    ///
    /// `checks` is every check in the order [`start`](Self::start) was given
    /// their snapshots, each with whether it ran this round: only those are
    /// copied, and only what a run changes, so a round allocates nothing for
    /// checks not due.
    pub(crate) fn publish<'a>(
        &self,
        checks: impl IntoIterator<Item = (&'a CheckSnapshot, bool)>,
        statuses: impl IntoIterator<Item = (&'a str, ServingStatus)>,
    ) {
        let mut stored = self.checks.lock().unwrap_or_else(PoisonError::into_inner);
        if self.table.publish_derived(statuses) {
            for (slot, (check, ran)) in stored.iter_mut().zip(checks) {
                if ran {
                    slot.record_run(check);
                }
            }
        }
    }

    /// Reads the check states, the served statuses and the shutdown phase as
    /// one consistent view.
    #[cfg(feature = "admin")]
    pub(crate) fn inspect<R>(
        &self,
        read: impl FnOnce(&[CheckSnapshot], &StatusTable, Phase) -> R,
    ) -> R {
        self.start_evaluation();
        let checks = self.checks.lock().unwrap_or_else(PoisonError::into_inner);
        read(&checks, &self.table, self.table.phase())
    }

    /// Every check's state as of the last evaluation.
    pub(crate) fn snapshot(&self) -> Vec<CheckSnapshot> {
        self.start_evaluation();
        self.checks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Sets (or, with `None`, clears) a service the application drives by hand.
    pub(crate) fn set_manual(
        &self,
        name: &str,
        status: Option<ServingStatus>,
    ) -> Result<(), UpdateError> {
        self.table().set_manual(name, status)
    }

    /// Every service goes NOT_SERVING and later updates are refused.
    pub(crate) fn drain(&self) {
        // Under the check-state lock, for `inspect`.
        let _checks = self.checks.lock().unwrap_or_else(PoisonError::into_inner);
        if self.table().drain() {
            tracing::info!("health service draining: every service is now NOT_SERVING");
        }
    }

    /// Ends every open Watch stream (after it has sent the latest status).
    pub(crate) fn stop(&self) {
        self.drain();
        self.table.stop();
    }

    /// A receiver of shutdown phase changes.
    pub(crate) fn phase(&self) -> tokio::sync::watch::Receiver<Phase> {
        self.table.subscribe_phase()
    }
}
