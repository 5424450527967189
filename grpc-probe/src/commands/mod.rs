//! The run after argument checks: connect, then check (optionally waiting),
//! watch or list, while SIGTERM/SIGINT can end it at any point.
//!
//! A signal ends the run with the code of the phase it interrupts: 2 while
//! connecting, 3 during an RPC, and the last status's code while watching.

mod check;
mod list;
mod wait;
mod watch;

use std::cell::Cell;
use std::time::{Duration, Instant};

use crate::config::{Config, Mode};
use crate::connect::{self, Tls};
use crate::duration;
use crate::exit_code::Code;
use crate::grpc::Client;
use crate::output::Outcome;

/// The health service's method paths.
const CHECK: &str = "/grpc.health.v1.Health/Check";
const WATCH: &str = "/grpc.health.v1.Health/Watch";
const LIST: &str = "/grpc.health.v1.Health/List";

/// Runs the configured mode, prints its outcome to stderr, returns the code.
pub(crate) async fn execute(cfg: &Config, tls: Option<&Tls>) -> Code {
    // The exit code if a signal arrived now; each phase updates it.
    let phase = Cell::new(Code::ConnectionFailure);
    let outcome = match Signals::register() {
        Ok(mut signals) => {
            if cfg.verbose {
                eprintln!("establishing connection");
            }
            tokio::select! {
                biased;
                () = signals.recv() => interrupted(cfg, phase.get()),
                outcome = run(cfg, tls, &phase) => outcome,
            }
        }
        Err(e) => Outcome::new(
            Code::ConnectionFailure,
            format!("error: cannot handle signals: {e}"),
        ),
    };
    if !outcome.message.is_empty() {
        eprintln!("{}", outcome.message);
    }
    outcome.code
}

async fn run(cfg: &Config, tls: Option<&Tls>, phase: &Cell<Code>) -> Outcome {
    match cfg.mode {
        Mode::Check { wait: Some(total) } => wait::run(cfg, tls, total, phase).await,
        mode => {
            let start = Instant::now();
            let client = match open(cfg, tls, cfg.connect_timeout).await {
                Ok(client) => client,
                Err(outcome) => return outcome,
            };
            let connected = start.elapsed();
            if cfg.verbose {
                eprintln!(
                    "connection established (took {})",
                    duration::format(connected)
                );
            }
            phase.set(Code::RpcFailure);
            match mode {
                Mode::Watch => watch::run(cfg, &client, phase).await,
                Mode::List => list::run(cfg, &client).await,
                Mode::Check { .. } => check::run(cfg, &client, connected).await,
            }
        }
    }
}

/// Connects within `timeout` and wraps the connection in a gRPC client.
async fn open(cfg: &Config, tls: Option<&Tls>, timeout: Duration) -> Result<Client, Outcome> {
    let failed = |message| Outcome {
        code: Code::ConnectionFailure,
        message,
        retry: true,
    };
    let send = match tokio::time::timeout(timeout, connect::connect(&cfg.target, tls, cfg.verbose))
        .await
    {
        Err(_) => {
            let within = duration::format(timeout);
            return Err(failed(format!(
                "timeout: failed to connect service {:?} within {within}",
                cfg.addr
            )));
        }
        Ok(Err(e)) => {
            return Err(failed(format!(
                "error: failed to connect service at {:?}: {e}",
                cfg.addr
            )));
        }
        Ok(Ok(send)) => send,
    };
    let authority = match tls
        .and(cfg.tls.as_ref())
        .and_then(|t| t.server_name.clone())
    {
        // grpc-go uses the TLS server name override as :authority.
        Some(name) => name,
        None => cfg.target.authority(),
    };
    Client::new(
        send,
        tls.is_some(),
        &authority,
        cfg.user_agent.clone(),
        &cfg.headers,
        cfg.gzip,
    )
    .map_err(|e| Outcome::new(Code::InvalidArguments, format!("error: {e}")))
}

/// What a signal leaves behind, worded as upstream's cancellation.
fn interrupted(cfg: &Config, code: Code) -> Outcome {
    let why = match code {
        Code::ConnectionFailure => format!(
            "error: failed to connect service at {:?}: canceled",
            cfg.addr
        ),
        Code::RpcFailure => "error: health rpc failed: canceled".to_owned(),
        _ if cfg.mode == Mode::Watch => "watch ended".to_owned(),
        _ => "interrupted while waiting to retry".to_owned(),
    };
    Outcome::new(code, format!("cancellation received\n{why}"))
}

/// SIGTERM and SIGINT, registered before any work so that neither can kill
/// the process with the default action.
struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl Signals {
    fn register() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Signals {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
        })
    }

    async fn recv(&mut self) {
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.int.recv() => {}
        }
    }
}
