//! SIGTERM and SIGINT: registered before any work so that neither can kill
//! the process with the default action, and what a run interrupted by one
//! reports.

use crate::config::{Config, Mode};
use crate::connect;
use crate::exit_code::ProbeExit;
use crate::output::Outcome;

/// The two signals that end a run.
pub(super) struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl Signals {
    /// Installs the handlers.
    pub(super) fn register() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Signals {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
        })
    }

    /// Resolves when either signal arrives.
    pub(super) async fn recv(&mut self) {
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.int.recv() => {}
        }
    }
}

/// What a signal leaves behind, worded as upstream's cancellation; `code`
/// is the exit code of what it interrupted.
pub(super) fn interrupted(cfg: &Config, code: ProbeExit) -> Outcome {
    let why = match code {
        ProbeExit::ConnectionFailure => connect::cancelled(&cfg.addr),
        ProbeExit::RpcFailure => "error: health rpc failed: canceled".to_owned(),
        _ if cfg.mode == Mode::Watch => "watch ended".to_owned(),
        _ => "interrupted while waiting to retry".to_owned(),
    };
    Outcome::new(code, format!("cancellation received\n{why}"))
}
