//! health-demo's check model through the real binary: `--optional-file`,
//! `--group NAME=PATH` over gRPC (Check and Watch) and HTTP (`/groupz/NAME`),
//! and `--details-token` gating the reasons in `?verbose` and JSON.

use std::net::SocketAddr;

use grpc_health_checks::ServingStatus::{NotServing, Serving};
use test_support::health::{check, client, next_status, wait_for, watch};
use test_support::http::{get, send_with, wait_for_answer, wait_for_status};
use test_support::verbose::untimed;

use crate::start_demo;

const TOKEN: &str = "op3rator";

#[tokio::test]
async fn optional_file_group_and_details_token_through_the_binary() {
    let dir = tempfile::tempdir().expect("temp dir");
    let optional = dir.path().join("optional");
    let deep = dir.path().join("deep");
    let arg = |path: &std::path::Path| path.to_str().expect("UTF-8 temp path").to_owned();
    let group = format!("deep={}", arg(&deep));
    let demo = start_demo(&[
        "--admin-addr",
        "127.0.0.1:0",
        "--optional-file",
        &arg(&optional),
        "--group",
        &group,
        "--details-token",
        TOKEN,
    ]);
    let admin: SocketAddr = demo
        .admin_addr()
        .expect("admin address")
        .parse()
        .expect("address");
    let mut health = client(demo.addr()).await;

    // The optional check fails (its file is missing): readiness serves anyway.
    let mut readiness = watch(&mut health, "readiness").await;
    wait_for(&mut readiness, Serving).await;
    let verbose = wait_for_status(admin, "/readyz?verbose", 200).await;
    assert_eq!(
        untimed(&verbose.body),
        "[-]optional-file degraded: reason withheld\n[+]shutdown ok\nreadyz check passed\n"
    );

    // The named group: gRPC service and admin path, following its file.
    let mut deep_watch = watch(&mut health, "deep").await;
    assert_eq!(next_status(&mut deep_watch).await, NotServing);
    assert_eq!(check(&mut health, "deep").await, Ok(NotServing));
    assert_eq!(get(admin, "/groupz/deep").await.status, 503);
    std::fs::write(&deep, b"").expect("create the group's file");
    wait_for(&mut deep_watch, Serving).await;
    assert_eq!(check(&mut health, "deep").await, Ok(Serving));
    let group = get(admin, "/groupz/deep?verbose").await;
    assert_eq!(
        (group.status, untimed(&group.body).as_str()),
        (200, "[+]deep-file ok\n[+]shutdown ok\ndeep check passed\n")
    );
    std::fs::remove_file(&deep).expect("remove the group's file");
    wait_for(&mut deep_watch, NotServing).await;
    wait_for_status(admin, "/groupz/deep", 503).await;
    assert_eq!(
        check(&mut health, "readiness").await,
        Ok(Serving),
        "the group's check is not a readiness check"
    );

    // The token gate: reasons only for its bearer, in text and in JSON.
    let missing = format!("{} does not exist", optional.display());
    let bearer = format!("Bearer {TOKEN}");
    let allowed = [("authorization", bearer.as_str())];
    let wrong = [("authorization", "Bearer guess")];
    let shown = send_with(admin, "GET", "/readyz?verbose", None, &allowed).await;
    assert!(
        shown.body.contains(&format!("): {missing}\n")),
        "{}",
        shown.body
    );
    let json = send_with(admin, "GET", "/readyz", Some("application/json"), &allowed).await;
    let answer: serde_json::Value = serde_json::from_str(&json.body).expect("JSON");
    assert_eq!(answer["status"], "pass");
    assert_eq!(answer["checks"][0]["name"], "optional-file");
    assert_eq!(answer["checks"][0]["status"], "degraded");
    assert_eq!(answer["checks"][0]["optional"], true);
    assert_eq!(answer["checks"][0]["reason"], missing.as_str());
    for headers in [&wrong[..], &[]] {
        for target in ["/readyz?verbose", "/readyz?format=json"] {
            let hidden = send_with(admin, "GET", target, None, headers).await;
            assert_eq!(hidden.status, 200, "{target}");
            assert!(
                !hidden.body.contains("does not exist"),
                "{target}: {}",
                hidden.body
            );
        }
    }

    std::fs::write(&optional, b"").expect("create the optional file");
    wait_for_answer(admin, "/readyz/optional-file", "ok", |answer| {
        (answer.status, answer.body.as_str()) == (200, "ok")
    })
    .await;
}
