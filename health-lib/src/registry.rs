//! The served statuses: one watch channel per service name.
//!
//! Check reads the latest value under a read lock; Watch subscribes to the
//! channel, which keeps only the latest value, so slow readers never build a
//! backlog. A name that is watched before it is registered gets a placeholder
//! (status `None`) that is removed again when its last watcher goes. Stopping
//! the server wakes every channel's watchers to end their streams.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use tokio::sync::watch;

use crate::ServingStatus;
use crate::drain::DrainState;
use crate::error::{UpdateError, UpdateErrorKind};
use crate::metrics::{Metrics, ServiceMetrics};

/// A service's status; `None` while the name is only watched, not registered.
pub(crate) type Slot = Option<ServingStatus>;

struct Entry {
    status: watch::Sender<Slot>,
    /// Set for names the checks drive ("", groups, mapped services).
    derived: bool,
    /// Present while the name is registered, so that merely watched names get no series.
    metrics: ServiceMetrics,
}

impl Entry {
    fn registered(metrics: &Metrics, name: &str, status: ServingStatus, derived: bool) -> Self {
        let entry = Self {
            status: watch::Sender::new(Some(status)),
            derived,
            metrics: metrics.service(name),
        };
        entry.metrics.record(None, status);
        entry
    }

    fn placeholder() -> Self {
        Self {
            status: watch::Sender::new(None),
            derived: false,
            metrics: ServiceMetrics::none(),
        }
    }
}

/// Returned by [`Registry::list`] when more services are registered than the cap.
#[derive(Debug)]
pub(crate) struct TooManyServices {
    pub(crate) registered: usize,
    pub(crate) limit: usize,
}

/// The served statuses. Updates consult the [`DrainState`] while holding the
/// lock that draining takes to set every service NOT_SERVING, so no update
/// lands after a drain.
pub(crate) struct Registry {
    services: RwLock<HashMap<Arc<str>, Entry>>,
    list_limit: usize,
    metrics: Metrics,
    /// Set by [`Registry::stop`]: Watch streams end once they have sent their
    /// latest status.
    stopped: AtomicBool,
}

impl Registry {
    /// A registry whose `derived` names start with the given statuses.
    pub(crate) fn new(
        derived: impl IntoIterator<Item = (String, ServingStatus)>,
        list_limit: usize,
        metrics: Metrics,
    ) -> Self {
        let by_name = derived
            .into_iter()
            .map(|(name, status)| {
                let entry = Entry::registered(&metrics, &name, status, true);
                (Arc::from(name), entry)
            })
            .collect();
        Self {
            services: RwLock::new(by_name),
            list_limit,
            metrics,
            stopped: AtomicBool::new(false),
        }
    }

    fn read(&self) -> RwLockReadGuard<'_, HashMap<Arc<str>, Entry>> {
        self.services.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, HashMap<Arc<str>, Entry>> {
        self.services
            .write()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The status of a registered service.
    pub(crate) fn status(&self, name: &str) -> Option<ServingStatus> {
        self.read()
            .get(name)
            .and_then(|entry| *entry.status.borrow())
    }

    /// A receiver of `name`'s status, creating a placeholder for an unknown name.
    /// Returns the registry's own copy of the name with the receiver, so that
    /// a watcher holds no copy of its own.
    pub(crate) fn subscribe(&self, name: &str) -> (Arc<str>, watch::Receiver<Slot>) {
        if let Some((name, entry)) = self.read().get_key_value(name) {
            return (name.clone(), entry.status.subscribe());
        }
        let mut services = self.write();
        if let Some((name, entry)) = services.get_key_value(name) {
            return (name.clone(), entry.status.subscribe());
        }
        let name: Arc<str> = Arc::from(name);
        let entry = Entry::placeholder();
        let receiver = entry.status.subscribe();
        services.insert(name.clone(), entry);
        (name, receiver)
    }

    /// Called by a Watch stream as it ends, with its receiver (or what holds
    /// it) if it still has one: drops a placeholder nobody else watches.
    pub(crate) fn unsubscribe<R>(&self, name: &str, receiver: R) {
        let mut services = self.write();
        drop(receiver);
        let unused_placeholder = services.get(name).is_some_and(|entry| {
            entry.status.borrow().is_none() && entry.status.receiver_count() == 0
        });
        if unused_placeholder {
            services.remove(name);
        }
    }

    /// Publishes a status computed from the checks; ignored once draining.
    pub(crate) fn publish_derived(&self, name: &str, status: ServingStatus, drain: &DrainState) {
        let services = self.read();
        if drain.is_draining() {
            return;
        }
        if let Some(entry) = services.get(name) {
            announce(name, entry, Some(status));
        }
    }

    /// Sets (or, with `None`, clears) a service that the application drives by hand.
    pub(crate) fn set_manual(
        &self,
        name: &str,
        status: Slot,
        drain: &DrainState,
    ) -> Result<(), UpdateError> {
        let mut services = self.write();
        if drain.is_draining() {
            return Err(UpdateError::new(name, UpdateErrorKind::Draining));
        }
        let Some(entry) = services.get_mut(name) else {
            if let Some(status) = status {
                tracing::info!(
                    service = name,
                    to = status.as_str_name(),
                    "health service registered"
                );
                let entry = Entry::registered(&self.metrics, name, status, false);
                services.insert(Arc::from(name), entry);
            }
            return Ok(());
        };
        if entry.derived {
            return Err(UpdateError::new(name, UpdateErrorKind::DrivenByChecks));
        }
        let was_registered = entry.status.borrow().is_some();
        if status.is_some() && !was_registered {
            entry.metrics = self.metrics.service(name);
        }
        announce(name, entry, status);
        if status.is_none() {
            if was_registered {
                self.metrics.forget_service(name);
                entry.metrics = ServiceMetrics::none();
            }
            if entry.status.receiver_count() == 0 {
                services.remove(name);
            }
        }
        Ok(())
    }

    /// A snapshot of every registered service, or an error above the cap.
    pub(crate) fn list(&self) -> Result<HashMap<String, ServingStatus>, TooManyServices> {
        let services = self.read();
        let registered: HashMap<_, _> = services
            .iter()
            .filter_map(|(name, entry)| {
                entry
                    .status
                    .borrow()
                    .map(|status| (name.to_string(), status))
            })
            .collect();
        if registered.len() > self.list_limit {
            return Err(TooManyServices {
                registered: registered.len(),
                limit: self.list_limit,
            });
        }
        Ok(registered)
    }

    /// Sets every registered service to NOT_SERVING, once the [`DrainState`]
    /// refuses further updates.
    pub(crate) fn set_all_not_serving(&self) {
        for (name, entry) in self.write().iter() {
            if entry.status.borrow().is_some() {
                announce(name, entry, Some(ServingStatus::NotServing));
            }
        }
    }

    /// Ends every Watch stream, open or opened later, once it has sent its
    /// latest status: sets [`is_stopped`](Self::is_stopped), then wakes every
    /// watcher to look at it.
    pub(crate) fn stop(&self) {
        let services = self.read();
        self.stopped.store(true, Ordering::Release);
        for entry in services.values() {
            entry.status.send_modify(|_| {});
        }
    }

    /// Whether [`stop`](Self::stop) has been called.
    pub(crate) fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::Acquire)
    }

    /// Live Watch receivers across all services, for tests and metrics.
    pub(crate) fn watcher_count(&self) -> usize {
        self.read()
            .values()
            .map(|entry| entry.status.receiver_count())
            .sum()
    }
}

/// Stores `status` and wakes watchers, only when it differs from the current one.
fn announce(name: &str, entry: &Entry, status: Slot) {
    entry.status.send_if_modified(|current| {
        if *current == status {
            return false;
        }
        if let Some(to) = status {
            entry.metrics.record(*current, to);
        }
        tracing::info!(
            service = name,
            from = slot_name(*current),
            to = slot_name(status),
            "health status changed"
        );
        *current = status;
        true
    });
}

fn slot_name(slot: Slot) -> &'static str {
    slot.map_or("SERVICE_UNKNOWN", |status| status.as_str_name())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry() -> (Registry, DrainState) {
        (
            Registry::new(
                [(String::new(), ServingStatus::Serving)],
                2,
                Metrics::none(),
            ),
            DrainState::new(),
        )
    }

    #[test]
    fn derived_names_refuse_manual_updates() {
        let (registry, drain) = registry();
        let error = registry
            .set_manual("", Some(ServingStatus::NotServing), &drain)
            .expect_err("\"\" is driven by the checks");
        assert_eq!(error.kind(), UpdateErrorKind::DrivenByChecks);
        assert_eq!(registry.status(""), Some(ServingStatus::Serving));
    }

    #[test]
    fn placeholder_is_invisible_and_removed_with_its_last_watcher() {
        let (registry, _) = registry();
        let first = registry.subscribe("later");
        let second = registry.subscribe("later");
        assert_eq!(registry.status("later"), None);
        assert_eq!(registry.list().expect("under the cap").len(), 1);
        registry.unsubscribe("later", first);
        assert_eq!(
            registry.watcher_count(),
            1,
            "placeholder kept while watched"
        );
        registry.unsubscribe("later", second);
        assert_eq!(registry.watcher_count(), 0);
        assert!(!registry.read().contains_key("later"));
    }

    #[test]
    fn cleared_service_without_watchers_is_removed() {
        let (registry, drain) = registry();
        registry
            .set_manual("gone", Some(ServingStatus::Serving), &drain)
            .expect("set");
        registry.set_manual("gone", None, &drain).expect("clear");
        assert!(!registry.read().contains_key("gone"));
        let watcher = registry.subscribe("kept");
        registry
            .set_manual("kept", Some(ServingStatus::Serving), &drain)
            .expect("set");
        registry.set_manual("kept", None, &drain).expect("clear");
        assert!(
            registry.read().contains_key("kept"),
            "its watcher waits for it"
        );
        registry.unsubscribe("kept", watcher);
        assert!(!registry.read().contains_key("kept"));
    }

    #[test]
    fn list_over_the_cap_is_refused() {
        let (registry, drain) = registry();
        registry
            .set_manual("a", Some(ServingStatus::Serving), &drain)
            .expect("set a");
        assert!(registry.list().is_ok());
        registry
            .set_manual("b", Some(ServingStatus::Serving), &drain)
            .expect("set b");
        let error = registry
            .list()
            .expect_err("three services over a cap of two");
        assert_eq!((error.registered, error.limit), (3, 2));
    }

    #[test]
    fn drain_sets_not_serving_and_refuses_later_updates() {
        let (registry, drain) = registry();
        registry
            .set_manual("a", Some(ServingStatus::Serving), &drain)
            .expect("set a");
        assert!(drain.begin());
        registry.set_all_not_serving();
        assert_eq!(registry.status(""), Some(ServingStatus::NotServing));
        assert_eq!(registry.status("a"), Some(ServingStatus::NotServing));
        registry.publish_derived("", ServingStatus::Serving, &drain);
        assert_eq!(registry.status(""), Some(ServingStatus::NotServing));
        let error = registry
            .set_manual("a", Some(ServingStatus::Serving), &drain)
            .expect_err("updates after drain are refused");
        assert_eq!(error.kind(), UpdateErrorKind::Draining);
    }
}
