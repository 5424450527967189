//! [`Shared`]: the state behind the service, the handle and the evaluation
//! loop, and the only code that changes it.

use std::sync::{Mutex, PoisonError};

use crate::ServingStatus;
use crate::error::UpdateError;
use crate::snapshot::CheckSnapshot;
use crate::status_table::{Phase, StatusTable};

pub(crate) struct Shared {
    /// The served statuses and the shutdown phase.
    table: StatusTable,
    /// The check states behind the derived statuses, as of the last evaluation.
    checks: Mutex<Vec<CheckSnapshot>>,
}

impl Shared {
    pub(crate) fn new(table: StatusTable, checks: Vec<CheckSnapshot>) -> Self {
        Self {
            table,
            checks: Mutex::new(checks),
        }
    }

    pub(crate) const fn table(&self) -> &StatusTable {
        &self.table
    }

    /// Publishes an evaluation: the statuses and the check states that drive
    /// them, under the check-state lock so that a reader of both (`inspect`,
    /// `snapshot`) sees a status change with its cause. Ignored once the
    /// table has left [`Phase::Serving`].
    pub(crate) fn publish<'a>(
        &self,
        checks: impl IntoIterator<Item = &'a CheckSnapshot>,
        statuses: impl IntoIterator<Item = (&'a str, ServingStatus)>,
    ) {
        let mut stored = self.checks.lock().unwrap_or_else(PoisonError::into_inner);
        if self.table.publish_derived(statuses) {
            stored.clear();
            stored.extend(checks.into_iter().cloned());
        }
    }

    /// Reads the check states, the served statuses and the shutdown phase as
    /// one consistent view.
    #[cfg(feature = "http")]
    pub(crate) fn inspect<R>(
        &self,
        read: impl FnOnce(&[CheckSnapshot], &StatusTable, Phase) -> R,
    ) -> R {
        let checks = self.checks.lock().unwrap_or_else(PoisonError::into_inner);
        read(&checks, &self.table, self.table.phase())
    }

    /// Every check's state as of the last evaluation.
    pub(crate) fn snapshot(&self) -> Vec<CheckSnapshot> {
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
        self.table.set_manual(name, status)
    }

    /// Every service goes NOT_SERVING and later updates are refused.
    pub(crate) fn drain(&self) {
        // Under the check-state lock, for `inspect`.
        let _checks = self.checks.lock().unwrap_or_else(PoisonError::into_inner);
        if self.table.drain() {
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
