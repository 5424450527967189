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
use std::future::Future;
use std::time::{Duration, Instant};

use crate::config::{Config, Mode};
use crate::connect::{self, PingAnswer, Tls};
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
            let connection = match open(cfg, tls, cfg.connect_timeout).await {
                Ok(connection) => connection,
                Err(outcome) => return outcome,
            };
            let client = connection.client.clone();
            let rpc = async {
                match mode {
                    Mode::Watch => watch::run(cfg, &client, phase).await,
                    Mode::List => list::run(cfg, &client).await,
                    Mode::Check { .. } => check::run(cfg, &client, start).await,
                }
            };
            connection.run_once_established(cfg, phase, rpc).await
        }
    }
}

/// A connection whose PING may still be unanswered.
struct Connection {
    client: Client,
    answer: PingAnswer,
    /// The connect timeout, which also bounds the wait for the PING's answer.
    timeout: Duration,
    deadline: Instant,
}

impl Connection {
    /// Runs `rpc` (its request goes out at once) but reports a connection
    /// failure unless the peer answers the PING within the connect timeout.
    async fn run_once_established(
        self,
        cfg: &Config,
        phase: &Cell<Code>,
        rpc: impl Future<Output = Outcome>,
    ) -> Outcome {
        let answer = tokio::time::timeout_at(self.deadline.into(), self.answer);
        tokio::pin!(answer, rpc);
        let mut finished = None;
        let established = loop {
            tokio::select! {
                biased;
                answered = &mut answer => break answered,
                outcome = &mut rpc, if finished.is_none() => finished = Some(outcome),
            }
        };
        match established {
            Err(_) => return connect_timeout(cfg, self.timeout),
            Ok(Err(e)) => return connect_failed(cfg, &e),
            Ok(Ok(())) => {}
        }
        if cfg.verbose {
            let took = duration::format((self.deadline - self.timeout).elapsed());
            eprintln!("connection established (took {took})");
        }
        phase.set(Code::RpcFailure);
        match finished {
            Some(outcome) => outcome,
            None => rpc.await,
        }
    }
}

fn connection_failure(message: String) -> Outcome {
    Outcome {
        code: Code::ConnectionFailure,
        message,
        retry: true,
    }
}

fn connect_timeout(cfg: &Config, timeout: Duration) -> Outcome {
    let within = duration::format(timeout);
    connection_failure(format!(
        "timeout: failed to connect service {:?} within {within}",
        cfg.addr
    ))
}

fn connect_failed(cfg: &Config, error: &str) -> Outcome {
    connection_failure(format!(
        "error: failed to connect service at {:?}: {error}",
        cfg.addr
    ))
}

/// Connects within `timeout` (TCP, TLS, HTTP/2 handshake) and wraps the
/// connection in a gRPC client; the PING's answer is awaited alongside the RPC.
async fn open(cfg: &Config, tls: Option<&Tls>, timeout: Duration) -> Result<Connection, Outcome> {
    let deadline = Instant::now() + timeout;
    let (send, answer) = match tokio::time::timeout(
        timeout,
        connect::connect(&cfg.target, tls, cfg.verbose),
    )
    .await
    {
        Err(_) => return Err(connect_timeout(cfg, timeout)),
        Ok(Err(e)) => return Err(connect_failed(cfg, &e)),
        Ok(Ok(connected)) => connected,
    };
    let authority = match tls
        .and(cfg.tls.as_ref())
        .and_then(|t| t.server_name.clone())
    {
        // grpc-go uses the TLS server name override as :authority.
        Some(name) => name,
        None => cfg.target.authority(),
    };
    let client = Client::new(
        send,
        tls.is_some(),
        &authority,
        cfg.user_agent.clone(),
        &cfg.headers,
        cfg.gzip,
    )
    .map_err(|e| Outcome::new(Code::InvalidArguments, format!("error: {e}")))?;
    Ok(Connection {
        client,
        answer,
        timeout,
        deadline,
    })
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
