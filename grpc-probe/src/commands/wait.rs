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
/// elapsed. Each attempt may connect for `connect_timeout`, or what is left
/// of `total` if less. Between attempts a signal ends the run with the last
/// attempt's code.
pub(super) async fn retry<F, Fut>(
    total: Duration,
    connect_timeout: Duration,
    if_interrupted: &Cell<ProbeExit>,
    mut attempt: F,
) -> Outcome
where
    F: FnMut(Duration) -> Fut,
    Fut: Future<Output = Outcome>,
{
    let deadline = Instant::now() + total;
    let mut backoff = FIRST_BACKOFF;
    let mut number = 0_u32;
    loop {
        number = number.saturating_add(1);
        let remaining = deadline.saturating_duration_since(Instant::now());
        let outcome = attempt(connect_timeout.min(remaining)).await;
        if outcome.code == ProbeExit::Serving || !outcome.retry {
            return outcome;
        }
        let remaining = deadline.saturating_duration_since(Instant::now());
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
        let outcome = retry(
            Duration::from_secs(60),
            Duration::from_secs(1),
            &code,
            |_| {
                attempts.set(attempts.get() + 1);
                let done = attempts.get() == 3;
                async move {
                    if done {
                        Outcome::new(ProbeExit::Serving, "status: SERVING".into())
                    } else {
                        unhealthy()
                    }
                }
            },
        )
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
        let not_found = retry(
            Duration::from_secs(60),
            Duration::from_secs(1),
            &code,
            |_| async { Outcome::new(ProbeExit::RpcFailure, "NotFound".into()) },
        )
        .await;
        assert_eq!(not_found.code, ProbeExit::RpcFailure);

        let budgets = Cell::new(Duration::MAX);
        let late = retry(
            Duration::from_millis(1),
            Duration::from_secs(1),
            &code,
            |budget| {
                budgets.set(budgets.get().min(budget));
                async { unhealthy() }
            },
        )
        .await;
        assert_eq!(late.code, ProbeExit::Unhealthy);
        assert!(
            late.message.ends_with("not SERVING within -wait=1ms"),
            "{}",
            late.message
        );
        assert!(
            budgets.get() <= Duration::from_millis(1),
            "connect budget capped by -wait"
        );
    }
}
