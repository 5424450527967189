//! greeter-client rides a rolling drain: three health-demo backends are
//! drained by SIGTERM and restarted on their port one after another while
//! it sends, and not one RPC fails.

use std::process::Command;

use nix::sys::signal::Signal;
use test_support::daemon::Daemon;
use test_support::demo::Demo;
use test_support::{eventually, process};

/// A backend on a fixed loopback port, so that the client's target list
/// stays valid across its restart.
fn backend(port: u16) -> Demo {
    Demo::start(&[
        "--addr",
        &format!("127.0.0.1:{port}"),
        "--interval",
        "20ms",
        "--drain-delay",
        "300ms",
    ])
}

/// The counts of the client's last progress line, and how many backends it saw serving.
fn last_progress(log: &str) -> Option<(u64, u64)> {
    let line = log.lines().rev().find(|line| line.starts_with("t="))?;
    let field = |name: &str| {
        line.split_whitespace()
            .find_map(|word| word.strip_prefix(name))
            .map(str::to_owned)
    };
    let ok = field("ok=")?.parse().ok()?;
    let serving = field("serving=")?.split('/').next()?.parse().ok()?;
    Some((ok, serving))
}

/// Waits for a progress line printed after the first `skip` bytes of the
/// client's output that satisfies `condition`.
async fn wait_for_progress(
    client: &Daemon,
    skip: usize,
    what: &str,
    mut condition: impl FnMut(u64, u64) -> bool,
) {
    // The client announces nothing but its progress lines: poll them.
    eventually(what, || {
        let log = client.log();
        last_progress(log.get(skip..).unwrap_or_default())
            .is_some_and(|(ok, serving)| condition(ok, serving))
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn greeter_client_rides_a_rolling_drain_with_no_failed_rpc() {
    let ports: Vec<u16> = (0..3).map(|_| process::free_port()).collect();
    let mut backends: Vec<Demo> = ports.iter().map(|&port| backend(port)).collect();
    let target = ports
        .iter()
        .map(|port| format!("127.0.0.1:{port}"))
        .collect::<Vec<_>>()
        .join(",");
    let mut command = Command::new(env!("CARGO_BIN_EXE_greeter-client"));
    command.args([
        "--target",
        &target,
        "--health-service",
        "helloworld.Greeter",
    ]);
    // Ended by SIGINT once the drain is over, not by the clock.
    command.args(["--rps", "200", "--duration", "1h"]);
    let client = Daemon::start("greeter-client", command, "serving=3/3");

    for (index, &port) in ports.iter().enumerate() {
        let before = last_progress(&client.log()).map_or(0, |(ok, _)| ok);
        backends[index].terminate();
        let status = backends[index].exited().await;
        assert!(status.success(), "health-demo drains and exits 0: {status}");
        backends[index] = backend(port);
        // Back in the client's rotation (a line printed after the restart
        // says so), and RPCs kept succeeding meanwhile.
        let restarted = client.log().len();
        wait_for_progress(
            &client,
            restarted,
            "the restarted backend to serve again",
            |ok, serving| serving == 3 && ok > before,
        )
        .await;
    }

    client.signal(Signal::SIGINT);
    let status = client.exited().await;
    let log = client.log();
    let summary = log
        .lines()
        .rev()
        .find(|line| line.starts_with("sent="))
        .unwrap_or_else(|| panic!("no summary line in:\n{log}"));
    let count = |name: &str| -> u64 {
        summary
            .split_whitespace()
            .find_map(|word| word.strip_prefix(name))
            .and_then(|value| value.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in {summary:?}"))
    };
    assert_eq!(count("failed="), 0, "{log}");
    assert_eq!(count("ok="), count("sent="), "{log}");
    assert!(count("ok=") > 0);
    assert!(
        status.success(),
        "exit 0 with no failed RPC: {status}\n{log}"
    );
}
