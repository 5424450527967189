//! `-wait=DURATION`: retry connection failures, UNAVAILABLE and NOT_SERVING
//! with capped exponential backoff until SERVING or the deadline.

use std::cell::Cell;
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::connect::Tls;
use crate::duration;
use crate::exit_code::Code;
use crate::output::Outcome;

const FIRST_BACKOFF: Duration = Duration::from_millis(50);
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// Tries until SERVING, a non-retryable outcome, or `total` has elapsed.
pub(super) async fn run(
    cfg: &Config,
    tls: Option<&Tls>,
    total: Duration,
    phase: &Cell<Code>,
) -> Outcome {
    let start = Instant::now();
    let deadline = start + total;
    let mut backoff = FIRST_BACKOFF;
    for attempt in 1.. {
        phase.set(Code::ConnectionFailure);
        let remaining = deadline.saturating_duration_since(Instant::now());
        let outcome = match super::open(cfg, tls, cfg.connect_timeout.min(remaining)).await {
            Ok(connection) => {
                let client = connection.client.clone();
                let check = super::check::run(cfg, &client, start);
                connection.run_once_established(cfg, phase, check).await
            }
            Err(outcome) => outcome,
        };
        let remaining = deadline.saturating_duration_since(Instant::now());
        if outcome.code == Code::Serving || !outcome.retry {
            return outcome;
        }
        if remaining.is_zero() {
            let message = format!(
                "{}\ntimeout: not SERVING within -wait={}",
                outcome.message,
                duration::format(total)
            );
            return Outcome { message, ..outcome };
        }
        phase.set(outcome.code);
        let pause = backoff.min(remaining);
        if cfg.verbose {
            let first = outcome.message.lines().next().unwrap_or_default();
            eprintln!(
                "attempt {attempt}: {first}; retrying in {}",
                duration::format(pause)
            );
        }
        tokio::time::sleep(pause).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
    Outcome::new(Code::ConnectionFailure, String::new())
}
