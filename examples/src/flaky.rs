//! `--fail-ratio`: a greeter that fails a set fraction of SayHello calls with
//! UNAVAILABLE, to show the RPC metrics and alerts at work. Counter-based,
//! not random: with ratio R, call n fails when ⌊n·R⌋ passes an integer, so
//! any run of calls fails as close to R of them as whole calls allow.

use std::sync::atomic::{AtomicU64, Ordering};

use tonic::{Request, Response, Status};

use crate::greeter::{Greeter, HelloGreeter, HelloReply, HelloRequest};
use crate::serve::ServeError;

/// Parses `--fail-ratio`: a number from 0 to 1.
pub fn parse_ratio(text: &str) -> Result<f64, ServeError> {
    match text.parse::<f64>() {
        Ok(ratio) if (0.0..=1.0).contains(&ratio) => Ok(ratio),
        _ => Err(format!(
            "{text:?} is not a ratio: give a number from 0 (no call fails) to 1 (every call fails), e.g. 0.25"
        )
        .into()),
    }
}

/// [`HelloGreeter`], failing `ratio` of the calls.
#[derive(Debug)]
pub struct FlakyGreeter {
    ratio: f64,
    calls: AtomicU64,
}

impl FlakyGreeter {
    /// Fails `ratio` (0 to 1) of the calls.
    pub const fn new(ratio: f64) -> Self {
        Self {
            ratio,
            calls: AtomicU64::new(0),
        }
    }

    /// Whether the next call fails.
    fn next_fails(&self) -> bool {
        let n = self.calls.fetch_add(1, Ordering::Relaxed) + 1;
        // Exact for whole calls: no randomness, no drift.
        #[allow(clippy::cast_precision_loss)]
        let (now, before) = (n as f64 * self.ratio, (n - 1) as f64 * self.ratio);
        now.floor() > before.floor()
    }
}

#[tonic::async_trait]
impl Greeter for FlakyGreeter {
    async fn say_hello(
        &self,
        request: Request<HelloRequest>,
    ) -> Result<Response<HelloReply>, Status> {
        if self.next_fails() {
            return Err(Status::unavailable("failing on purpose (--fail-ratio)"));
        }
        HelloGreeter.say_hello(request).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failures(ratio: f64, calls: usize) -> usize {
        let greeter = FlakyGreeter::new(ratio);
        (0..calls).filter(|_| greeter.next_fails()).count()
    }

    #[test]
    fn the_ratio_of_calls_fail_exactly() {
        assert_eq!(failures(0.0, 100), 0);
        assert_eq!(failures(1.0, 100), 100);
        assert_eq!(failures(0.25, 100), 25);
        assert_eq!(failures(0.5, 3), 1);
        assert_eq!(failures(0.1, 10), 1);
    }

    #[test]
    fn bad_ratios_say_what_to_give() {
        for text in ["1.5", "-0.1", "half", "NaN"] {
            let error = parse_ratio(text).expect_err(text).to_string();
            assert!(error.contains("from 0"), "{error}");
        }
        assert_eq!(parse_ratio("0.25").expect("valid"), 0.25);
    }
}
