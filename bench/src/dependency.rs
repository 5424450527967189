//! A stand-in dependency that health checks call: it may take a while to
//! answer, and records when it was called.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The most call times recorded, so memory stays bounded.
const MAX_RECORDED: usize = 1_000_000;

/// A dependency; clones share the same counters.
#[derive(Debug, Clone, Default)]
pub(crate) struct Dependency {
    delay: Duration,
    /// When each call started, for slow dependencies (`None`: count only).
    started: Option<Arc<Mutex<Vec<Instant>>>>,
}

impl Dependency {
    /// A dependency that answers at once and records nothing.
    pub(crate) fn instant() -> Self {
        Self::default()
    }

    /// A dependency that answers after `delay` and records when it was called.
    pub(crate) fn slow(delay: Duration) -> Self {
        Self {
            delay,
            started: Some(Arc::default()),
        }
    }

    /// Calls it; always healthy.
    pub(crate) async fn call(&self) -> bool {
        if let Some(started) = &self.started {
            let mut started = started.lock().unwrap_or_else(PoisonError::into_inner);
            if started.len() < MAX_RECORDED {
                started.push(Instant::now());
            }
        }
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        true
    }

    /// Calls started in `[from, from + length)`, divided by `length` in seconds.
    /// With a periodic caller, a window of whole periods counts each period once.
    pub(crate) fn calls_per_s(&self, from: Instant, length: Duration) -> f64 {
        let Some(started) = &self.started else {
            return f64::NAN;
        };
        let until = from + length;
        let started = started.lock().unwrap_or_else(PoisonError::into_inner);
        let calls = started
            .iter()
            .filter(|&&at| at >= from && at < until)
            .count();
        calls as f64 / length.as_secs_f64()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn calls_are_counted_inside_the_window() {
        let dependency = Dependency::slow(Duration::ZERO);
        let from = Instant::now();
        assert!(dependency.call().await);
        assert!(dependency.clone().call().await);
        assert_eq!(dependency.calls_per_s(from, Duration::from_secs(2)), 1.0);
        let later = Instant::now() + Duration::from_secs(1);
        assert_eq!(dependency.calls_per_s(later, Duration::from_secs(1)), 0.0);
        assert!(
            Dependency::instant()
                .calls_per_s(from, Duration::from_secs(1))
                .is_nan()
        );
    }
}
