//! [`Shared`]: the state behind the service, the handle and the evaluation
//! loop, and the only code that changes it.

use std::sync::{Mutex, PoisonError};

use crate::ServingStatus;
use crate::drain::{DrainState, Phase};
use crate::error::UpdateError;
use crate::registry::Registry;
use crate::snapshot::CheckSnapshot;

pub(crate) struct Shared {
    /// The served statuses.
    registry: Registry,
    /// The check states behind the derived statuses, as of the last evaluation.
    checks: Mutex<Vec<CheckSnapshot>>,
    drain: DrainState,
}

impl Shared {
    pub(crate) fn new(registry: Registry, checks: Vec<CheckSnapshot>) -> Self {
        Self {
            registry,
            checks: Mutex::new(checks),
            drain: DrainState::new(),
        }
    }

    pub(crate) const fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Publishes an evaluation: the check states first, then the statuses they
    /// drive, so that whoever sees a status change also sees its cause.
    /// Ignored once draining.
    pub(crate) fn publish<'a>(
        &self,
        checks: impl IntoIterator<Item = &'a CheckSnapshot>,
        statuses: impl IntoIterator<Item = (&'a str, ServingStatus)>,
    ) {
        if self.drain.is_draining() {
            return;
        }
        // Held until the statuses are out, so that `inspect` sees both or neither.
        let mut stored = self.checks.lock().unwrap_or_else(PoisonError::into_inner);
        stored.clear();
        stored.extend(checks.into_iter().cloned());
        for (name, status) in statuses {
            self.registry.publish_derived(name, status, &self.drain);
        }
    }

    /// Reads the check states, the served statuses and whether the service is
    /// draining as one consistent view.
    #[cfg(feature = "http")]
    pub(crate) fn inspect<R>(
        &self,
        read: impl FnOnce(&[CheckSnapshot], &Registry, bool) -> R,
    ) -> R {
        let checks = self.checks.lock().unwrap_or_else(PoisonError::into_inner);
        read(&checks, &self.registry, self.drain.is_draining())
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
        self.registry.set_manual(name, status, &self.drain)
    }

    /// Every service goes NOT_SERVING and later updates are refused.
    pub(crate) fn drain(&self) {
        // Under the check-state lock, for `inspect`.
        let _checks = self.checks.lock().unwrap_or_else(PoisonError::into_inner);
        if self.drain.begin() {
            tracing::info!("health service draining: every service is now NOT_SERVING");
            self.registry.set_all_not_serving();
        }
    }

    /// Ends every open Watch stream (after it has sent the latest status).
    pub(crate) fn stop(&self) {
        self.drain();
        self.registry.stop();
    }

    /// A receiver of drain phase changes.
    pub(crate) fn phase(&self) -> tokio::sync::watch::Receiver<Phase> {
        self.drain.subscribe()
    }
}
