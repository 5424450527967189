//! Drain: whether the health service is serving or draining, and the
//! SIGTERM/SIGINT that Kubernetes and a terminal send to start it.
//!
//! [`DrainState`] is the only holder of that phase: the registry refuses
//! updates by it and the evaluation loop stops on it. Stopping, which ends
//! Watch streams after the drain delay, goes through the registry's channels.

use std::future::Future;

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

/// A future that completes on the first SIGTERM or SIGINT (Ctrl-C elsewhere
/// than Unix).
///
/// The handlers are installed when this function is called, not when the
/// future is first polled: a process that calls it is drain-safe from that
/// moment, even while its server has not yet polled the shutdown future
/// (a signal in that gap would otherwise take the default action and kill the
/// process before it drains). Called outside a Tokio runtime, where signals
/// cannot be registered yet, it installs them on the first poll instead.
///
/// If the handlers cannot be installed, the error is logged and the future
/// never completes, so the server keeps serving rather than stopping at once.
pub fn termination_signal() -> impl Future<Output = ()> + Send + 'static {
    let installed = tokio::runtime::Handle::try_current()
        .ok()
        .map(|_| Signals::install());
    async move {
        match installed.unwrap_or_else(Signals::install) {
            Ok(signals) => signals.recv().await,
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM/SIGINT; drain on signal is off");
                std::future::pending::<()>().await;
            }
        }
    }
}

/// The registered termination signals.
#[derive(Debug)]
struct Signals {
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
}

impl Signals {
    /// Registers the handlers (inside a Tokio runtime).
    #[cfg(unix)]
    fn install() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            terminate: signal(SignalKind::terminate())?,
            interrupt: signal(SignalKind::interrupt())?,
        })
    }

    /// Nothing to register ahead: Ctrl-C is listened for while waiting.
    #[cfg(not(unix))]
    #[allow(clippy::unnecessary_wraps)]
    fn install() -> std::io::Result<Self> {
        Ok(Self {})
    }

    #[cfg(unix)]
    async fn recv(mut self) {
        tokio::select! {
            _ = self.terminate.recv() => {}
            _ = self.interrupt.recv() => {}
        }
    }

    #[cfg(not(unix))]
    async fn recv(self) {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C; drain on signal is off");
            std::future::pending::<()>().await;
        }
    }
}
