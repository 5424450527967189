//! The SIGTERM/SIGINT that Kubernetes and a terminal send to start a drain.

use std::future::Future;

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
