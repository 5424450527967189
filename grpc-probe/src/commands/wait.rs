//! `-wait=DURATION`: retry connection failures, UNAVAILABLE and NOT_SERVING
//! with capped exponential backoff until SERVING or the deadline.

use std::cell::Cell;
use std::time::{Duration, Instant};

use crate::duration;
use crate::exit_code::ProbeExit;
use crate::messages;
use crate::output::Outcome;

const FIRST_BACKOFF: Duration = Duration::from_millis(50);
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// Runs `attempt` until SERVING, a non-retryable outcome, or `total` has
/// elapsed. Each attempt is given the deadline, which it must not run past.
/// Between attempts a signal ends the run with the last attempt's code.
pub(super) async fn retry<F, Fut>(
    total: Duration,
    if_interrupted: &Cell<ProbeExit>,
    mut attempt: F,
) -> Outcome
where
    F: FnMut(Instant) -> Fut,
    Fut: Future<Output = Outcome>,
{
    let deadline = Instant::now() + total;
    let mut backoff = FIRST_BACKOFF;
    let mut number = 0_u32;
    loop {
        number = number.saturating_add(1);
        let outcome = attempt(deadline).await;
        if outcome.code == ProbeExit::Serving {
            return outcome;
        }
        let remaining = deadline.saturating_duration_since(Instant::now());
        // At the deadline, even an RPC that timed out (its timeout was cut
        // to what was left) ends as -wait running out.
        if !outcome.retry && !remaining.is_zero() {
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
        if_interrupted.set(outcome.code);
        let pause = backoff.min(remaining);
        let first = outcome.message.lines().next().unwrap_or_default();
        messages::verbose(format_args!(
            "attempt {number}: {first}; retrying in {}",
            duration::format(pause)
        ));
        tokio::time::sleep(pause).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhealthy() -> Outcome {
        Outcome::retryable(ProbeExit::Unhealthy, "service unhealthy".into())
    }

    #[tokio::test]
    async fn retries_until_serving() {
        let (attempts, code) = (Cell::new(0), Cell::new(ProbeExit::ConnectionFailure));
        let outcome = retry(Duration::from_secs(60), &code, |_| {
            attempts.set(attempts.get() + 1);
            let done = attempts.get() == 3;
            async move {
                if done {
                    Outcome::new(ProbeExit::Serving, "status: SERVING".into())
                } else {
                    unhealthy()
                }
            }
        })
        .await;
        assert_eq!((attempts.get(), outcome.code), (3, ProbeExit::Serving));
        assert_eq!(
            code.get(),
            ProbeExit::Unhealthy,
            "a signal between attempts"
        );
    }

    #[tokio::test]
    async fn stops_at_a_final_outcome_or_the_deadline() {
        let code = Cell::new(ProbeExit::ConnectionFailure);
        let not_found = retry(Duration::from_secs(60), &code, |_| async {
            Outcome::new(ProbeExit::RpcFailure, "NotFound".into())
        })
        .await;
        assert_eq!(not_found.code, ProbeExit::RpcFailure);

        let latest = Cell::new(None);
        let before = Instant::now();
        let late = retry(Duration::from_millis(1), &code, |deadline| {
            latest.set(latest.get().max(Some(deadline)));
            async { unhealthy() }
        })
        .await;
        assert_eq!(late.code, ProbeExit::Unhealthy);
        assert!(
            late.message.ends_with("not SERVING within -wait=1ms"),
            "{}",
            late.message
        );
        let latest = latest.get().expect("one attempt at least");
        assert!(
            latest <= Instant::now() && latest >= before + Duration::from_millis(1),
            "every attempt is given -wait's deadline"
        );
    }
}
