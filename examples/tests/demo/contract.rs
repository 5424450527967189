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
