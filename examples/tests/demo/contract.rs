//! The services the demo registers and how they follow the ready file.

use grpc_health_checks::ServingStatus::{NotServing, Serving};
use test_support::health::{check, client, wait_for, watch};
use tonic::Code;

use crate::start_demo;

#[tokio::test]
async fn demo_serves_contract_services_and_follows_the_ready_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ready_file = dir.path().join("ready");
    let ready_arg = ready_file.to_str().expect("utf-8 path");
    let demo = start_demo(&["--ready-file", ready_arg]);
    let mut client = client(demo.addr()).await;

    assert_eq!(check(&mut client, "liveness").await, Ok(Serving));
    assert_eq!(
        check(&mut client, "readiness").await,
        Ok(NotServing),
        "no ready file yet"
    );
    assert_eq!(
        check(&mut client, "helloworld.Greeter").await,
        Ok(NotServing),
        "greeter follows readiness"
    );
    assert_eq!(check(&mut client, "unknown").await, Err(Code::NotFound));

    let mut greeter = watch(&mut client, "helloworld.Greeter").await;
    std::fs::write(&ready_file, b"").expect("create ready file");
    wait_for(&mut greeter, Serving).await;
    assert_eq!(check(&mut client, "").await, Ok(Serving));

    std::fs::remove_file(&ready_file).expect("remove ready file");
    wait_for(&mut greeter, NotServing).await;
    assert_eq!(
        check(&mut client, "liveness").await,
        Ok(Serving),
        "liveness ignores readiness"
    );
}

/// Logs go to a pipe here, as under `kubectl logs`: no ANSI colour codes.
#[tokio::test]
async fn logs_carry_no_colour_codes_when_stderr_is_not_a_terminal() {
    let demo = start_demo(&["--drain-delay", "0s"]);
    demo.terminate();
    assert!(demo.exited().await.success());
    let log = demo.log();
    assert!(log.contains("server stopped"), "the demo logged: {log}");
    assert!(!log.contains('\x1b'), "escape codes in: {log:?}");
}

/// The lines of the demo's output that log a check's change of status.
fn transitions(output: &str) -> impl Iterator<Item = &str> {
    output
        .lines()
        .filter(|line| line.contains("health check changed"))
}

#[tokio::test]
async fn demo_logs_a_failing_checks_reason_once_per_transition() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ready_file = dir.path().join("ready");
    std::fs::write(&ready_file, b"").expect("create ready file");
    let ready_arg = ready_file.to_str().expect("utf-8 path");
    let demo = start_demo(&["--ready-file", ready_arg]);
    let mut client = client(demo.addr()).await;
    let mut readiness = watch(&mut client, "readiness").await;
    wait_for(&mut readiness, Serving).await;

    std::fs::remove_file(&ready_file).expect("remove ready file");
    let reason = format!("{ready_arg} does not exist");
    let output = demo
        .output_until("the ready-file check's reason", |output| {
            transitions(output).any(|line| line.contains(&reason))
        })
        .await;
    let failing = transitions(&output)
        .find(|line| line.contains(&reason))
        .expect("waited for it");
    assert!(
        failing.contains("WARN") && failing.contains("ready-file"),
        "{failing}"
    );
    wait_for(&mut readiness, NotServing).await;

    // Recovery is logged too (without a reason), and the failure only once
    // however many runs failed in between.
    std::fs::write(&ready_file, b"").expect("create ready file again");
    wait_for(&mut readiness, Serving).await;
    let output = demo
        .output_until("the ready-file check passing again", |output| {
            transitions(output).any(|line| line.contains("Failing") && line.contains("Passing"))
        })
        .await;
    assert_eq!(
        transitions(&output)
            .filter(|line| line.contains(&reason))
            .count(),
        1,
        "{output}"
    );
}
