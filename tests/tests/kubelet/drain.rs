//! Removal: the kubelet sends SIGTERM, the server drains (NOT_SERVING for
//! its drain delay, then stops) and exits 0 within the pod's
//! `terminationGracePeriodSeconds`.

use crate::node;
use crate::pod::{Spec, StaticPod};

#[tokio::test]
async fn removal_sends_sigterm_and_the_server_drains_to_exit_0_within_the_grace_period() {
    let node = node::node();
    let pod = StaticPod::start("ghc-drain", &Spec::new(&node.demo_image)).await;
    pod.make_ready();
    pod.wait_for("Ready", |status| status.ready).await;
    let name = pod.name.clone();
    let stopped = pod.remove().await;
    eprintln!(
        "{name}: removed; the server exited {} after {:.1?} (grace period {:?}, drain delay 2 s)",
        stopped.exit_code, stopped.after, stopped.grace
    );
    assert_eq!(
        stopped.exit_code, 0,
        "killed instead of drained:\n{}",
        stopped.log
    );
    assert!(stopped.after < stopped.grace, "{stopped:?}");
    assert!(
        stopped.log.contains("draining") && stopped.log.contains("server stopped"),
        "the server did not drain:\n{}",
        stopped.log
    );
    for line in stopped.log.lines().filter(|line| {
        ["SIGTERM", "draining", "server stopped"]
            .iter()
            .any(|word| line.contains(word))
    }) {
        eprintln!("{name}: logged {line}");
    }
}
