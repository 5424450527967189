//! The status table: the served status of every service name, one watch
//! channel per name, and the [`Phase`] of the service's shutdown.
//!
//! Check reads the latest value under a read lock; Watch subscribes to the
//! channel, which keeps only the latest value, so slow readers never build a
//! backlog. A name that is watched before it is registered gets a placeholder
//! (status `None`) that is removed again when its last watcher goes. Stopping
//! the server wakes every channel's watchers to end their streams.
//!
//! The phase is the one record of where the shutdown stands. It changes only
//! under the table's write lock and every update reads it under the table's
//! lock, as grpc-go's health server keeps `shutdown` under the mutex of its
//! status map: no update can land after a drain.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use tokio::sync::watch;

use crate::ServingStatus;
use crate::error::{UpdateError, UpdateErrorKind};
use crate::observe::{Observers, StatusChanged};

/// A service's status; `None` while the name is only watched, not registered.
pub(crate) type Slot = Option<ServingStatus>;

/// Where the service is in its shutdown; it only moves forward.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Phase {
    /// Statuses follow the checks and the application.
    Serving,
    /// Every service is NOT_SERVING and updates are refused; Watch streams stay open.
    Draining,
    /// As draining, and Watch streams end once they have sent their latest status.
    Stopped,
}

struct Entry {
    status: watch::Sender<Slot>,
    /// Set for names the checks drive ("", groups, mapped services).
    derived: bool,
}

impl Entry {
    /// A registered name, announced to the observers.
    fn registered(observers: &Observers, name: &str, status: ServingStatus, derived: bool) -> Self {
        observers.status_changed(&StatusChanged {
            service: name,
            from: None,
            to: Some(status),
        });
        Self {
            status: watch::Sender::new(Some(status)),
            derived,
        }
    }

    fn placeholder() -> Self {
        Self {
            status: watch::Sender::new(None),
            derived: false,
        }
    }

    /// Stores `status` and wakes watchers, only when it differs from the
    /// current one; logs the change and tells the observers.
    fn announce(&self, observers: &Observers, name: &str, status: Slot) {
        let mut from = None;
        let changed = self.status.send_if_modified(|current| {
            from = *current;
            let changed = *current != status;
            *current = status;
            changed
        });
        if changed {
            tracing::info!(
                service = name,
                from = slot_name(from),
                to = slot_name(status),
                "health status changed"
            );
            observers.status_changed(&StatusChanged {
                service: name,
                from,
                to: status,
            });
        }
    }
}

/// Returned by [`StatusTable::list`] when more services are registered than the cap.
#[derive(Debug)]
pub(crate) struct TooManyServices {
    pub(crate) registered: usize,
    pub(crate) limit: usize,
}

/// The served statuses and the shutdown phase.
pub(crate) struct StatusTable {
    services: RwLock<HashMap<Arc<str>, Entry>>,
    /// Sent to only while `services` is write-locked (see the module docs).
    phase: watch::Sender<Phase>,
    list_limit: usize,
    /// Told about every registration and change, in order: a name's changes
    /// are made under the write lock, or by the evaluation loop alone.
    observers: Arc<Observers>,
}

impl StatusTable {
    /// A table whose `derived` names start with the given statuses.
    pub(crate) fn new(
        derived: impl IntoIterator<Item = (String, ServingStatus)>,
        list_limit: usize,
        observers: Arc<Observers>,
    ) -> Self {
        let by_name = derived
            .into_iter()
            .map(|(name, status)| {
                let entry = Entry::registered(&observers, &name, status, true);
                (Arc::from(name), entry)
            })
            .collect();
        Self {
            services: RwLock::new(by_name),
            phase: watch::Sender::new(Phase::Serving),
            list_limit,
            observers,
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

    /// Where the shutdown stands.
    pub(crate) fn phase(&self) -> Phase {
        *self.phase.borrow()
    }

    /// A receiver of every phase change; it closes with the table.
    pub(crate) fn subscribe_phase(&self) -> watch::Receiver<Phase> {
        self.phase.subscribe()
    }

    /// Moves to `to` if that is forward, under the write lock `services` is.
    fn advance(
        &self,
        _services: &RwLockWriteGuard<'_, HashMap<Arc<str>, Entry>>,
        to: Phase,
    ) -> bool {
        self.phase.send_if_modified(|phase| {
            let forward = *phase < to;
            if forward {
                *phase = to;
            }
            forward
        })
    }

    /// The status of a registered service.
    pub(crate) fn status(&self, name: &str) -> Option<ServingStatus> {
        self.read()
            .get(name)
            .and_then(|entry| *entry.status.borrow())
    }

    /// A receiver of `name`'s status, creating a placeholder for an unknown name.
    /// Returns the table's own copy of the name with the receiver, so that
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

    /// Publishes the statuses computed from the checks; `false`, publishing
    /// nothing, once the service has left [`Phase::Serving`].
    pub(crate) fn publish_derived<'a>(
        &self,
        statuses: impl IntoIterator<Item = (&'a str, ServingStatus)>,
    ) -> bool {
        let services = self.read();
        if self.phase() != Phase::Serving {
            return false;
        }
        for (name, status) in statuses {
            if let Some(entry) = services.get(name) {
                entry.announce(&self.observers, name, Some(status));
            }
        }
        true
    }

    /// Sets (or, with `None`, clears) a service that the application drives by hand.
    pub(crate) fn set_manual(&self, name: &str, status: Slot) -> Result<(), UpdateError> {
        let mut services = self.write();
        if self.phase() != Phase::Serving {
            return Err(UpdateError::new(name, UpdateErrorKind::Draining));
        }
        let Some(entry) = services.get_mut(name) else {
            if let Some(status) = status {
                tracing::info!(
                    service = name,
                    to = status.as_str_name(),
                    "health service registered"
                );
                let entry = Entry::registered(&self.observers, name, status, false);
                services.insert(Arc::from(name), entry);
            }
            return Ok(());
        };
        if entry.derived {
            return Err(UpdateError::new(name, UpdateErrorKind::DrivenByChecks));
        }
        entry.announce(&self.observers, name, status);
        if status.is_none() && entry.status.receiver_count() == 0 {
            services.remove(name);
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

    /// Moves from serving to draining: every registered service goes
    /// NOT_SERVING and later updates are refused. `false` if it had already
    /// left serving.
    pub(crate) fn drain(&self) -> bool {
        let services = self.write();
        if !self.advance(&services, Phase::Draining) {
            return false;
        }
        for (name, entry) in services.iter() {
            if entry.status.borrow().is_some() {
                entry.announce(&self.observers, name, Some(ServingStatus::NotServing));
            }
        }
        true
    }

    /// Ends every Watch stream, open or opened later, once it has sent its
    /// latest status: moves to [`Phase::Stopped`] (draining first if need
    /// be), then wakes every watcher to look at it.
    pub(crate) fn stop(&self) {
        self.drain();
        let services = self.write();
        self.advance(&services, Phase::Stopped);
        for entry in services.values() {
            entry.status.send_modify(|_| {});
        }
    }

    /// Whether [`stop`](Self::stop) has been called.
    pub(crate) fn is_stopped(&self) -> bool {
        self.phase() == Phase::Stopped
    }

    /// Live Watch receivers across all services.
    pub(crate) fn watcher_count(&self) -> usize {
        self.read()
            .values()
            .map(|entry| entry.status.receiver_count())
            .sum()
    }
}

fn slot_name(slot: Slot) -> &'static str {
    slot.map_or("SERVICE_UNKNOWN", |status| status.as_str_name())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> StatusTable {
        StatusTable::new([(String::new(), ServingStatus::Serving)], 2, Arc::default())
    }

    #[test]
    fn derived_names_refuse_manual_updates() {
        let table = table();
        let error = table
            .set_manual("", Some(ServingStatus::NotServing))
            .expect_err("\"\" is driven by the checks");
        assert_eq!(error.kind(), UpdateErrorKind::DrivenByChecks);
        assert_eq!(table.status(""), Some(ServingStatus::Serving));
    }

    #[test]
    fn placeholder_is_invisible_and_removed_with_its_last_watcher() {
        let table = table();
        let first = table.subscribe("later");
        let second = table.subscribe("later");
        assert_eq!(table.status("later"), None);
        assert_eq!(table.list().expect("under the cap").len(), 1);
        table.unsubscribe("later", first);
        assert_eq!(table.watcher_count(), 1, "placeholder kept while watched");
        table.unsubscribe("later", second);
        assert_eq!(table.watcher_count(), 0);
        assert!(!table.read().contains_key("later"));
    }

    #[test]
    fn cleared_service_without_watchers_is_removed() {
        let table = table();
        table
            .set_manual("gone", Some(ServingStatus::Serving))
            .expect("set");
        table.set_manual("gone", None).expect("clear");
        assert!(!table.read().contains_key("gone"));
        let watcher = table.subscribe("kept");
        table
            .set_manual("kept", Some(ServingStatus::Serving))
            .expect("set");
        table.set_manual("kept", None).expect("clear");
        assert!(
            table.read().contains_key("kept"),
            "its watcher waits for it"
        );
        table.unsubscribe("kept", watcher);
        assert!(!table.read().contains_key("kept"));
    }

    #[test]
    fn list_over_the_cap_is_refused() {
        let table = table();
        table
            .set_manual("a", Some(ServingStatus::Serving))
            .expect("set a");
        assert!(table.list().is_ok());
        table
            .set_manual("b", Some(ServingStatus::Serving))
            .expect("set b");
        let error = table.list().expect_err("three services over a cap of two");
        assert_eq!((error.registered, error.limit), (3, 2));
    }

    #[test]
    fn drain_sets_not_serving_and_refuses_later_updates() {
        let table = table();
        table
            .set_manual("a", Some(ServingStatus::Serving))
            .expect("set a");
        assert_eq!(table.phase(), Phase::Serving);
        assert!(table.drain());
        assert!(!table.drain(), "only once");
        assert_eq!(table.phase(), Phase::Draining);
        assert_eq!(table.status(""), Some(ServingStatus::NotServing));
        assert_eq!(table.status("a"), Some(ServingStatus::NotServing));
        assert!(!table.publish_derived([("", ServingStatus::Serving)]));
        assert_eq!(table.status(""), Some(ServingStatus::NotServing));
        let error = table
            .set_manual("a", Some(ServingStatus::Serving))
            .expect_err("updates after drain are refused");
        assert_eq!(error.kind(), UpdateErrorKind::Draining);
    }

    #[test]
    fn phase_moves_only_forward_and_stop_drains_first() {
        let table = table();
        let mut phases = table.subscribe_phase();
        table.stop();
        assert_eq!(table.phase(), Phase::Stopped);
        assert!(table.is_stopped());
        assert_eq!(
            table.status(""),
            Some(ServingStatus::NotServing),
            "stop drains first"
        );
        assert!(phases.has_changed().expect("table alive"));
        assert!(!table.drain(), "no way back from stopped to draining");
        assert_eq!(table.phase(), Phase::Stopped);
        let error = table
            .set_manual("a", Some(ServingStatus::Serving))
            .expect_err("refused once stopped");
        assert_eq!(error.kind(), UpdateErrorKind::Draining);
        phases.mark_unchanged();
        drop(table);
        assert!(phases.has_changed().is_err(), "closes with the table");
    }
}
