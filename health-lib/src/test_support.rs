//! Helpers shared by the unit tests: waits on a real event with a generous
//! bound, and capturing what the library logs.

use std::cell::RefCell;
use std::future::Future;
use std::sync::Once;
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

/// Builds `checks` and waits until every check has run at least once.
pub(crate) async fn build_evaluated(checks: crate::HealthChecks) -> crate::HealthHandle {
    let (_, handle) = checks.build().expect("valid health configuration");
    wait_until("every check evaluated", || {
        handle.snapshot().iter().all(|check| check.evaluations > 0)
    })
    .await;
    handle
}

thread_local! {
    /// What this thread logged since [`logs`] started capturing, if it is.
    static CAPTURED: RefCell<Option<Vec<u8>>> = const { RefCell::new(None) };
}

/// A log writer into this thread's [`CAPTURED`] buffer (or nowhere).
struct ThreadCapture;

impl std::io::Write for ThreadCapture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        CAPTURED.with_borrow_mut(|captured| {
            if let Some(captured) = captured {
                captured.extend_from_slice(bytes);
            }
        });
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Everything logged at INFO and above, without colours, on this thread
/// while `run` runs (use a current-thread runtime).
///
/// One global subscriber, not one scoped per test: tracing caches per call
/// site whether any subscriber wants its events, and a call site first reached
/// on a thread without the scoped subscriber would be cached as unwanted.
pub(crate) async fn logs<F: Future<Output = ()>>(run: impl FnOnce() -> F) -> String {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(|| ThreadCapture)
            .finish();
        tracing::subscriber::set_global_default(subscriber)
            .expect("no other global subscriber in the unit tests");
    });
    // A call site registered while the subscriber was being installed may
    // have cached the answer from before.
    tracing::callsite::rebuild_interest_cache();
    CAPTURED.set(Some(Vec::new()));
    run().await;
    let bytes = CAPTURED.take().unwrap_or_default();
    String::from_utf8(bytes).expect("utf-8 logs")
}
