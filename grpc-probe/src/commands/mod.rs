//! The run after argument checks: connect, then check (optionally waiting),
//! watch or list, while SIGTERM/SIGINT can end it at any point.
//!
//! A signal ends the run with the code of what it interrupts: 2 while
//! connecting, 3 during an RPC, and the last status's code while watching.

mod check;
mod list;
mod signals;
mod wait;
mod watch;

use std::cell::Cell;
use std::time::{Duration, Instant};

use crate::config::{Config, Mode};
use crate::connect::{self, Tls};
use crate::duration;
use crate::exit_code::ProbeExit;
use crate::messages;
use crate::output::Outcome;
use signals::Signals;

/// The health service's method paths.
const CHECK: &str = "/grpc.health.v1.Health/Check";
const WATCH: &str = "/grpc.health.v1.Health/Watch";
const LIST: &str = "/grpc.health.v1.Health/List";

/// Runs the configured mode, prints its outcome to stderr, returns the code.
pub(crate) async fn execute(cfg: &Config, tls: Option<&Tls>) -> ProbeExit {
    // The exit code should a signal arrive now; updated as the run goes on.
    let if_interrupted = Cell::new(ProbeExit::ConnectionFailure);
    let outcome = match Signals::register() {
        Ok(mut signals) => {
            tokio::select! {
                biased;
                () = signals.recv() => signals::interrupted(cfg, if_interrupted.get()),
                outcome = run(cfg, tls, &if_interrupted) => outcome,
            }
        }
        Err(e) => Outcome::new(
            ProbeExit::ConnectionFailure,
            format!("error: cannot handle signals: {e}"),
        ),
    };
    messages::report(&outcome.message);
    outcome.code
}

async fn run(cfg: &Config, tls: Option<&Tls>, if_interrupted: &Cell<ProbeExit>) -> Outcome {
    match cfg.mode {
        Mode::Check { wait: Some(total) } => {
            let attempt = |deadline: Instant| attempt(cfg, tls, Some(deadline), if_interrupted);
            wait::retry(total, if_interrupted, attempt).await
        }
        _ => attempt(cfg, tls, None, if_interrupted).await,
    }
}

/// One connection and the mode's RPC on it. With a `deadline` (`-wait`'s),
/// the connect and RPC timeouts (and so `grpc-timeout`) are cut to what is
/// left of it: no attempt runs past it.
async fn attempt(
    cfg: &Config,
    tls: Option<&Tls>,
    deadline: Option<Instant>,
    if_interrupted: &Cell<ProbeExit>,
) -> Outcome {
    let left = |timeout: Duration| {
        deadline.map_or(timeout, |d| {
            timeout.min(d.saturating_duration_since(Instant::now()))
        })
    };
    if_interrupted.set(ProbeExit::ConnectionFailure);
    let connection = match connect::open(cfg, tls, left(cfg.connect_timeout)).await {
        Ok(connection) => connection,
        Err(failed) => return failed,
    };
    let rpc_timeout = left(cfg.rpc_timeout);
    let client = connection.client().clone();
    // The RPC owns its client, so that the connection closes once it is done.
    let rpc = async move {
        match cfg.mode {
            Mode::Watch => watch::run(cfg, &client, if_interrupted).await,
            Mode::List => list::run(cfg, &client).await,
            Mode::Check { .. } => check::run(cfg, &client, rpc_timeout).await,
        }
    };
    match connection.run_once_established(if_interrupted, rpc).await {
        Err(failed) => failed,
        Ok(done) => {
            // Upstream's summary, once a Check is answered.
            if matches!(cfg.mode, Mode::Check { .. })
                && done.outcome.answered()
                && messages::is_verbose()
            {
                messages::verbose(format_args!(
                    "time elapsed: connect={} rpc={}",
                    duration::format(done.connect),
                    duration::format(done.rpc)
                ));
            }
            done.outcome
        }
    }
}
