//! Exponential backoff between Watch retries, with grpc-go's constants
//! (`internal/backoff`: 1 s base, ×1.6 per retry, ±20 % jitter, 120 s cap).

use std::hash::{BuildHasher, RandomState};
use std::time::Duration;

/// Delays before the n-th consecutive retry of a failed Watch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    /// The delay before the first retry.
    pub base: Duration,
    /// How much each further retry multiplies the delay.
    pub multiplier: f64,
    /// The delay's random spread, as a fraction (0.2 = ±20 %), so that many
    /// clients do not retry in step.
    pub jitter: f64,
    /// The delay never exceeds this (before jitter).
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(1),
            multiplier: 1.6,
            jitter: 0.2,
            max: Duration::from_secs(120),
        }
    }
}

impl Backoff {
    /// The delay before retry number `retry` (0 for the first retry).
    pub fn delay(&self, retry: u32) -> Duration {
        let exponent = i32::try_from(retry).unwrap_or(i32::MAX);
        let grown = self.base.as_secs_f64() * self.multiplier.powi(exponent);
        let capped = grown.min(self.max.as_secs_f64());
        // A uniform number in [-1, 1) from the standard library's random hasher keys.
        let random = RandomState::new().hash_one(retry) as f64 / u64::MAX as f64 * 2.0 - 1.0;
        Duration::from_secs_f64((capped * (1.0 + self.jitter * random)).max(0.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_by_the_multiplier_within_the_jitter_and_stop_at_the_cap() {
        let backoff = Backoff::default();
        for (retry, expected) in [(0, 1.0), (1, 1.6), (2, 2.56), (20, 120.0)] {
            let delay = backoff.delay(retry).as_secs_f64();
            assert!(
                (expected * 0.8..=expected * 1.2).contains(&delay),
                "retry {retry}: {delay} s is not within 20 % of {expected} s"
            );
        }
    }
}
