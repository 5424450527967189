//! Drain: whether the health service is serving or draining, and the
//! SIGTERM/SIGINT that Kubernetes and a terminal send to start it.
//!
//! [`DrainState`] is the only holder of that phase: the registry refuses
//! updates by it and the evaluation loop stops on it. Stopping, which ends
//! Watch streams after the drain delay, goes through the registry's channels.

use tokio::sync::watch;

/// Where the service is in its shutdown; it only moves forward.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Phase {
    /// Statuses follow the checks and the application.
    Serving,
    /// Every service is NOT_SERVING and updates are refused; Watch streams stay open.
    Draining,
}

/// The drain phase, observable by every part that must react to it.
#[derive(Debug)]
pub(crate) struct DrainState {
    phase: watch::Sender<Phase>,
}

impl DrainState {
    pub(crate) fn new() -> Self {
        Self {
            phase: watch::Sender::new(Phase::Serving),
        }
    }

    pub(crate) fn is_draining(&self) -> bool {
        *self.phase.borrow() >= Phase::Draining
    }

    /// Moves from serving to draining; `false` if it had already left serving.
    pub(crate) fn begin(&self) -> bool {
        self.phase.send_if_modified(|phase| {
            let first = *phase == Phase::Serving;
            if first {
                *phase = Phase::Draining;
            }
            first
        })
    }

    /// A receiver of every phase change.
    pub(crate) fn subscribe(&self) -> watch::Receiver<Phase> {
        self.phase.subscribe()
    }
}

/// Completes on the first SIGTERM or SIGINT (Ctrl-C elsewhere than Unix).
///
/// If the handlers cannot be installed, the error is logged and this never
/// completes, so the server keeps serving rather than stopping at once.
pub async fn termination_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(mut terminate), Ok(mut interrupt)) => {
                tokio::select! {
                    _ = terminate.recv() => {}
                    _ = interrupt.recv() => {}
                }
            }
            (Err(error), _) | (_, Err(error)) => {
                tracing::error!(%error, "cannot listen for SIGTERM/SIGINT; drain on signal is off");
                std::future::pending::<()>().await;
            }
        }
    }
    #[cfg(not(unix))]
    if let Err(error) = tokio::signal::ctrl_c().await {
        tracing::error!(%error, "cannot listen for Ctrl-C; drain on signal is off");
        std::future::pending::<()>().await;
    }
}
