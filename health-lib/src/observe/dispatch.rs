//! [`Observers`]: hands each event to every listener, the crate's own on the
//! spot and the application's through their queues.

use super::guard::guarded;
use super::queue::Queued;
use super::{CheckRan, HealthListener, StatusChanged};

/// Everyone who hears about the health service's events.
#[derive(Default)]
pub(crate) struct Observers {
    /// Called on the emitting thread: only the crate's own listeners, which
    /// neither block nor allocate per event (Prometheus), so that a scrape
    /// that follows a status change sees it.
    inline: Vec<Box<dyn HealthListener>>,
    /// The application's listeners, each on its own thread.
    queued: Vec<Queued>,
}

impl Observers {
    /// Starts a thread for each of the application's `listeners`.
    pub(crate) fn new(
        inline: Vec<Box<dyn HealthListener>>,
        listeners: Vec<Box<dyn HealthListener>>,
    ) -> std::io::Result<Self> {
        let queued = listeners
            .into_iter()
            .map(Queued::start)
            .collect::<std::io::Result<_>>()?;
        Ok(Self { inline, queued })
    }

    pub(crate) fn check_ran(&self, event: &CheckRan<'_>) {
        for listener in &self.inline {
            guarded(|| listener.check_ran(event));
        }
        for queued in &self.queued {
            queued.check_ran(event);
        }
    }

    pub(crate) fn status_changed(&self, event: &StatusChanged<'_>) {
        for listener in &self.inline {
            guarded(|| listener.status_changed(event));
        }
        for queued in &self.queued {
            queued.status_changed(event);
        }
    }
}
