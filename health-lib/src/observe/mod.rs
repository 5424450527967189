//! Observing the health service: the events it emits (a check ran, a
//! service's status changed) and the [`HealthListener`] trait that receives
//! them. The evaluation loop and the status table only emit; what is done
//! with an event (Prometheus metrics with the `metrics` feature, a webhook, a
//! log line) lives in a listener.

mod dispatch;
mod guard;
mod queue;

use std::time::Duration;

use crate::snapshot::CheckStatus;
use crate::{Group, ServingStatus};

pub(crate) use dispatch::Observers;

/// Receives the health service's events; register one with
/// [`HealthChecks::listener`](crate::HealthChecks::listener).
///
/// **Delivery.** Each listener has its own thread and a queue of up to
/// [`LISTENER_QUEUE`] events: the evaluation loop and the status table only
/// put an event on the queue, never wait for a listener. A listener that is
/// slow or blocked delays nobody; while its queue is full, new events for it
/// are dropped (and a warning is logged once per overflow). A panic in a
/// listener is caught and logged, and the listener keeps receiving events.
/// The thread ends once the health service, its handles and its evaluation
/// loop are all gone and the queue is empty.
///
/// **Order.** A listener receives events in the order they happened: the
/// runs of an evaluation before the status changes they cause, and each
/// service's changes in order.
///
/// ```
/// use grpc_health_checks::{HealthChecks, HealthListener, StatusChanged};
///
/// struct LogChanges;
///
/// impl HealthListener for LogChanges {
///     fn status_changed(&self, event: &StatusChanged<'_>) {
///         eprintln!("{:?}: {:?} -> {:?}", event.service, event.from, event.to);
///     }
/// }
///
/// let _checks = HealthChecks::new().listener(LogChanges);
/// ```
pub trait HealthListener: Send + Sync + 'static {
    /// A check ran once; called for every run, so keep it cheap.
    fn check_ran(&self, event: &CheckRan<'_>) {
        let _ = event;
    }

    /// A service's served status changed, or it was registered (`from` is
    /// `None`) or cleared (`to` is `None`).
    fn status_changed(&self, event: &StatusChanged<'_>) {
        let _ = event;
    }
}

/// How many events wait for a [`HealthListener`] before newer ones are dropped.
pub const LISTENER_QUEUE: usize = 1024;

/// How one run of a check ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RunOutcome {
    /// It passed.
    Success = 0,
    /// It returned a failure.
    Error,
    /// It outlived its timeout, or an earlier run that did is still going.
    Timeout,
    /// It panicked.
    Panic,
}

impl RunOutcome {
    /// Every outcome; `ALL[outcome as usize] == outcome`.
    pub const ALL: [Self; 4] = [Self::Success, Self::Error, Self::Timeout, Self::Panic];

    /// The lowercase name: `success`, `error`, `timeout` or `panic`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Error => "error",
            Self::Timeout => "timeout",
            Self::Panic => "panic",
        }
    }
}

/// One run of a check, for [`HealthListener::check_ran`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CheckRan<'a> {
    /// The check's name.
    pub check: &'a str,
    /// The groups it belongs to.
    pub groups: &'a [Group],
    /// Whether it is optional: its status decides no service's.
    pub optional: bool,
    /// How the run ended.
    pub outcome: RunOutcome,
    /// Why it failed; `None` when it passed.
    pub reason: Option<&'a str>,
    /// How long it took (up to its timeout).
    pub duration: Duration,
    /// The check's status after this run and its thresholds.
    pub status: CheckStatus,
}

/// A change of a service's served status, for [`HealthListener::status_changed`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct StatusChanged<'a> {
    /// The health service name (`""` is the server's overall health).
    pub service: &'a str,
    /// The status before; `None` when the service was not registered.
    pub from: Option<ServingStatus>,
    /// The status now; `None` when the service was cleared.
    pub to: Option<ServingStatus>,
}

#[cfg(test)]
mod tests;
