//! Waits shared by the unit tests: on a real event, with a generous bound.

use std::time::Duration;

/// Generous bound for events that should take milliseconds.
pub(crate) const EVENT_TIMEOUT: Duration = Duration::from_secs(30);

/// Polls `condition` every millisecond until it holds, failing after [`EVENT_TIMEOUT`].
pub(crate) async fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + EVENT_TIMEOUT;
    while !condition() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}
