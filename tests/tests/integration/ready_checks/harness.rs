//! One check evaluated by a real `HealthChecks` every 20 ms, observed through
//! its snapshot: waits end when the check's state changes, or fail the test
//! after `HANG_GUARD`.

use std::time::Duration;

use grpc_health_checks::pb::health_server::HealthServer;
use grpc_health_checks::{
    Check, CheckSnapshot, CheckStatus, HealthChecks, HealthHandle, HealthService,
};
use test_support::HANG_GUARD;

/// A generous check timeout, so that a loaded machine never fails a passing
/// check; the checks wait three quarters of it for their dependency.
pub(super) const TIMEOUT: Duration = Duration::from_secs(8);

/// A health service evaluating one check.
pub(super) struct Evaluated {
    handle: HealthHandle,
    _service: HealthServer<HealthService>,
}

impl Evaluated {
    /// Starts evaluating `check`.
    pub(super) fn start(check: Check) -> Self {
        let (service, handle) = HealthChecks::new()
            .interval(Duration::from_millis(20))
            .timeout(TIMEOUT)
            .check(check)
            .build()
            .expect("valid health configuration");
        Self {
            handle,
            _service: service,
        }
    }

    /// The health handle, e.g. to read `readiness`.
    pub(super) const fn handle(&self) -> &HealthHandle {
        &self.handle
    }

    fn current(&self) -> CheckSnapshot {
        self.handle
            .snapshot()
            .into_iter()
            .next()
            .expect("one check is registered")
    }

    /// Waits until the check passes.
    pub(super) async fn passes(&self) {
        self.wait_until("pass", |check| check.status == CheckStatus::Passing)
            .await;
    }

    /// Waits until the check fails with a reason containing every one of
    /// `words`, and returns that reason.
    pub(super) async fn fails_with(&self, words: &[&str]) -> String {
        let reason_has_all = |check: &CheckSnapshot| {
            check.status == CheckStatus::Failing
                && check
                    .reason
                    .as_deref()
                    .is_some_and(|reason| words.iter().all(|word| reason.contains(word)))
        };
        self.wait_until(&format!("fail with {words:?}"), reason_has_all)
            .await
            .reason
            .unwrap_or_default()
    }

    async fn wait_until(&self, what: &str, done: impl Fn(&CheckSnapshot) -> bool) -> CheckSnapshot {
        let deadline = tokio::time::Instant::now() + HANG_GUARD;
        loop {
            let current = self.current();
            if done(&current) {
                return current;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the check did not {what} within {HANG_GUARD:?}; last: {current:?}"
            );
            // The snapshot announces nothing: look again after a few evaluations.
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}
