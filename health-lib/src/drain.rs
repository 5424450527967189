//! Waiting for SIGTERM or SIGINT, the signals Kubernetes and a terminal send.

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
