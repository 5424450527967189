//! Hostile clients against the real `health-demo` binary, one attack per
//! test: oversized and never-read Watch streams, HTTP/2 reset floods, streams
//! beyond the per-connection limit, running out of file descriptors, and
//! long, slow and pipelined requests on the admin port. During each attack a
//! client on a fresh connection gets its Check answered within 1 s, and the
//! demo's peak memory stays under [`PEAK_RSS_BOUND_KIB`].
//!
//! Already covered elsewhere: random bytes and bad prefaces, stalled
//! prefaces, non-UTF-8 names (`bad_input`); clients that vanish or reset
//! their connections (`watchers`); silent admin clients
//! (`admin::tests::silent_clients_are_disconnected_after_the_header_read_timeout`
//! in health-lib).

mod admin;
mod descriptors;
mod frames;
mod streams;
mod watch_abuse;

use std::time::Duration;

use grpc_health_checks::ServingStatus;
use test_support::demo::Demo;
use test_support::health::{check_within, client};
use test_support::procfs;

/// The demo starts at about 6 MB; no attack may take it past this.
const PEAK_RSS_BOUND_KIB: u64 = 256 * 1024;
/// How fast a fresh client must be answered while an attack runs.
const FRESH_CHECK_WITHIN: Duration = Duration::from_secs(1);

/// A new connection's Check of `liveness` (SERVING whatever the readiness
/// checks say) is answered SERVING within [`FRESH_CHECK_WITHIN`], connecting
/// included.
async fn fresh_check_is_answered(addr: &str) {
    let answer = tokio::time::timeout(FRESH_CHECK_WITHIN, async {
        let mut fresh = client(addr).await;
        check_within(&mut fresh, "liveness", FRESH_CHECK_WITHIN).await
    })
    .await
    .unwrap_or_else(|_| panic!("a fresh Check was not answered within {FRESH_CHECK_WITHIN:?}"));
    assert_eq!(answer, Ok(ServingStatus::Serving));
}

/// Runs `attack` to its end while fresh Checks are made one after another,
/// the demo's peak memory checked after each (so that a server without the
/// limits fails the test before it takes the machine's memory); returns the
/// attack's output and how many Checks were started while it ran (at least
/// one, or the test fails).
async fn while_attacking<T: Send + 'static>(
    demo: &Demo,
    attack: impl Future<Output = T> + Send + 'static,
) -> (T, usize) {
    let attack = tokio::spawn(attack);
    let mut during = 0;
    while !attack.is_finished() {
        fresh_check_is_answered(demo.addr()).await;
        assert_peak_rss_bounded(demo, "during the attack");
        during += 1;
    }
    assert!(during > 0, "the attack ended before a Check could be made");
    (attack.await.expect("the attack task"), during)
}

/// Asserts the demo's peak resident memory is under [`PEAK_RSS_BOUND_KIB`],
/// and returns it in KiB.
fn assert_peak_rss_bounded(demo: &Demo, attack: &str) -> u64 {
    let peak = procfs::peak_rss_kib(demo.pid());
    assert!(
        peak < PEAK_RSS_BOUND_KIB,
        "{attack}: health-demo peaked at {peak} KiB, over {PEAK_RSS_BOUND_KIB} KiB"
    );
    peak
}
