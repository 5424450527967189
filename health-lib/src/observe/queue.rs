//! An application's listener on its own thread, behind a bounded queue, so
//! that a slow, blocked or panicking listener never holds up evaluation.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::time::Duration;

use super::guard::guarded;
use super::{CheckRan, HealthListener, LISTENER_QUEUE, RunOutcome, StatusChanged};
use crate::snapshot::CheckStatus;
use crate::{Group, ServingStatus};

/// An event as it waits in a queue: its own copy of the names and reason.
enum Event {
    CheckRan {
        check: Box<str>,
        groups: Box<[Group]>,
        optional: bool,
        outcome: RunOutcome,
        reason: Option<Box<str>>,
        duration: Duration,
        status: CheckStatus,
    },
    StatusChanged {
        service: Box<str>,
        from: Option<ServingStatus>,
        to: Option<ServingStatus>,
    },
}

/// The sending side of one listener's queue.
pub(super) struct Queued {
    sender: SyncSender<Event>,
    /// Set when an event was dropped, cleared when the listener takes one:
    /// one warning per overflow, not one per dropped event.
    overflowing: Arc<AtomicBool>,
}

impl Queued {
    /// Starts the listener's thread; it ends when this is dropped and the
    /// queue is empty.
    pub(super) fn start(listener: Box<dyn HealthListener>) -> std::io::Result<Self> {
        let (sender, receiver) = sync_channel(LISTENER_QUEUE);
        let overflowing = Arc::new(AtomicBool::new(false));
        let flag = overflowing.clone();
        std::thread::Builder::new()
            .name("health-listener".to_owned())
            .spawn(move || deliver(&*listener, &receiver, &flag))?;
        Ok(Self {
            sender,
            overflowing,
        })
    }

    pub(super) fn check_ran(&self, event: &CheckRan<'_>) {
        self.send(Event::CheckRan {
            check: event.check.into(),
            groups: event.groups.into(),
            optional: event.optional,
            outcome: event.outcome,
            reason: event.reason.map(Into::into),
            duration: event.duration,
            status: event.status,
        });
    }

    pub(super) fn status_changed(&self, event: &StatusChanged<'_>) {
        self.send(Event::StatusChanged {
            service: event.service.into(),
            from: event.from,
            to: event.to,
        });
    }

    fn send(&self, event: Event) {
        match self.sender.try_send(event) {
            Ok(()) | Err(TrySendError::Disconnected(_)) => {}
            Err(TrySendError::Full(_)) => {
                if !self.overflowing.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        capacity = LISTENER_QUEUE,
                        "a health listener is behind: its queue is full and new events are dropped"
                    );
                }
            }
        }
    }
}

/// The listener's thread: hands it each event in turn.
fn deliver(listener: &dyn HealthListener, events: &Receiver<Event>, overflowing: &AtomicBool) {
    for event in events {
        overflowing.store(false, Ordering::Relaxed);
        match event {
            Event::CheckRan {
                check,
                groups,
                optional,
                outcome,
                reason,
                duration,
                status,
            } => {
                let event = CheckRan {
                    check: &check,
                    groups: &groups,
                    optional,
                    outcome,
                    reason: reason.as_deref(),
                    duration,
                    status,
                };
                guarded(|| listener.check_ran(&event));
            }
            Event::StatusChanged { service, from, to } => {
                let event = StatusChanged {
                    service: &service,
                    from,
                    to,
                };
                guarded(|| listener.status_changed(&event));
            }
        }
    }
}
