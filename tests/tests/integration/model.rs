//! The check model through a real tonic server and the library's real admin
//! HTTP server: optional checks, named groups and per-check intervals.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use grpc_health_checks::admin::{AdminService, PeerAddr, ShowDetails};
use grpc_health_checks::{Check, CheckStatus, Group, HealthChecks, HealthHandle, ServingStatus};

use test_support::eventually;
use test_support::health::{check, client, next_status, wait_for, watch};
use test_support::http::{get, send_with, wait_for_status};
use test_support::server::start;
use test_support::verbose::untimed;

use ServingStatus::{NotServing, Serving};

/// Serves the admin endpoints of `handle` on a loopback port.
async fn admin(handle: &HealthHandle) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(grpc_health_checks::admin::serve(
        listener,
        AdminService::new(handle),
    ));
    addr
}

/// A check that passes while `flag` is set.
fn switch(name: &str, flag: &Arc<AtomicBool>) -> Check {
    let flag = flag.clone();
    Check::new(name, move || flag.load(Ordering::SeqCst))
}

#[tokio::test]
async fn a_failing_optional_check_is_degraded_and_readiness_stays_serving() {
    let server = start(
        HealthChecks::new()
            .interval(Duration::from_millis(10))
            .check(Check::new("db", || true))
            .check(Check::new("cache", || Err::<(), _>("cache down")).optional()),
    )
    .await;
    let admin = admin(&server.handle).await;
    let mut client = client(server.addr).await;
    let mut readiness = watch(&mut client, "readiness").await;
    wait_for(&mut readiness, Serving).await;
    eventually("the optional check ran", || {
        server.handle.snapshot()[1].evaluations > 0
    })
    .await;
    let cache = &server.handle.snapshot()[1];
    assert_eq!(cache.status, CheckStatus::Degraded);
    assert!(cache.optional);
    for service in ["", "readiness"] {
        assert_eq!(
            check(&mut client, service).await,
            Ok(Serving),
            "{service:?}"
        );
    }
    let verbose = get(admin, "/readyz?verbose").await;
    assert_eq!(verbose.status, 200, "{}", verbose.body);
    assert_eq!(
        untimed(&verbose.body),
        "[+]db ok\n[-]cache degraded: reason withheld\n[+]shutdown ok\nreadyz check passed\n"
    );
    let cache_line = verbose.body.lines().nth(1).unwrap_or_default();
    assert!(
        cache_line.starts_with("[-]cache degraded (")
            && cache_line.contains("ms, changed ")
            && cache_line.ends_with(" ago): reason withheld"),
        "each verbose line carries its last duration and age: {cache_line}"
    );
    let one = get(admin, "/readyz/cache").await;
    assert_eq!(
        (one.status, one.body.as_str()),
        (200, "[-]cache degraded: reason withheld")
    );
    assert_eq!(get(admin, "/healthz").await.status, 200);
}

#[tokio::test]
async fn a_named_group_is_served_on_grpc_and_at_its_admin_path() {
    let (replica, disk) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(true)),
    );
    let server = start(
        HealthChecks::new()
            .interval(Duration::from_millis(10))
            .check(switch("replica", &replica).groups(["deep"]))
            .check(switch("disk", &disk).in_group("deep").in_group("startup"))
            .service("app.Deep", Group::named("deep")),
    )
    .await;
    let admin = admin(&server.handle).await;
    let mut client = client(server.addr).await;
    let mut deep = watch(&mut client, "deep").await;
    assert_eq!(next_status(&mut deep).await, NotServing);
    let mut startup = watch(&mut client, "startup").await;
    wait_for(&mut startup, Serving).await;
    let mut readiness = watch(&mut client, "readiness").await;
    wait_for(&mut readiness, Serving).await;
    assert_eq!(
        check(&mut client, "deep").await,
        Ok(NotServing),
        "replica is in deep alone, so readiness serves while deep does not"
    );
    assert_eq!(check(&mut client, "app.Deep").await, Ok(NotServing));
    let failed = get(admin, "/groupz/deep?verbose").await;
    assert_eq!(failed.status, 503);
    assert_eq!(
        untimed(&failed.body),
        "[-]replica failed: reason withheld\n[+]disk ok\n[+]shutdown ok\ndeep check failed\n"
    );
    assert_eq!(get(admin, "/groupz/startup").await.body, "ok");
    assert_eq!(get(admin, "/groupz/deep/disk").await.status, 200);
    assert_eq!(get(admin, "/readyz/replica").await.status, 404);
    let missing = get(admin, "/groupz/shallow").await;
    assert_eq!(
        (missing.status, missing.body.as_str()),
        (404, "no group \"shallow\"")
    );

    replica.store(true, Ordering::SeqCst);
    wait_for(&mut deep, Serving).await;
    assert_eq!(check(&mut client, "app.Deep").await, Ok(Serving));
    wait_for_status(admin, "/groupz/deep", 200).await;
    disk.store(false, Ordering::SeqCst);
    wait_for(&mut deep, NotServing).await;
    wait_for(&mut startup, NotServing).await;
    wait_for_status(admin, "/groupz/startup", 503).await;
}

/// A hung optional blocking check with an interval of its own is started
/// once while a cheap check beside it keeps its interval, and answers never
/// wait for either.
#[tokio::test]
async fn a_hung_optional_check_with_its_own_interval_is_started_once() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let (release, hang) = std::sync::mpsc::channel::<()>();
    let hang = std::sync::Mutex::new(hang);
    let server = start(
        HealthChecks::new()
            .interval(Duration::from_millis(5))
            .check(Check::new("cheap", || true))
            .check(
                Check::new("hung", move || {
                    counted.fetch_add(1, Ordering::SeqCst);
                    hang.lock()
                        .map(|receiver| receiver.recv().is_ok())
                        .unwrap_or(false)
                })
                .optional()
                .interval(Duration::from_millis(20))
                .timeout(Duration::from_millis(10)),
            ),
    )
    .await;
    let mut client = client(server.addr).await;
    eventually("several runs of each", || {
        let checks = server.handle.snapshot();
        checks[0].evaluations >= 10 && checks[1].evaluations >= 3
    })
    .await;
    for _ in 0..20 {
        assert_eq!(check(&mut client, "readiness").await, Ok(Serving));
    }
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "a running check is never started again"
    );
    let hung = &server.handle.snapshot()[1];
    assert_eq!(hung.status, CheckStatus::Degraded);
    drop(release);
}

fn library_readme() -> String {
    std::fs::read_to_string(test_support::workspace_root().join("health-lib/README.md"))
        .expect("health-lib/README.md")
}

/// The rows of the JSON schema table in the library README: field path,
/// type, and whether the field appears only with details.
fn readme_schema() -> Vec<(String, String, bool)> {
    let readme =
        std::fs::read_to_string(test_support::workspace_root().join("health-lib/README.md"))
            .expect("health-lib/README.md");
    let section = readme
        .split_once("### JSON answers")
        .and_then(|(_, rest)| rest.split_once("\n### "))
        .map(|(section, _)| section.to_owned())
        .expect("README.md has a JSON answers section");
    section
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let field = cells.get(1)?.strip_prefix('`')?.strip_suffix('`')?;
            let kind = cells.get(2)?;
            Some((
                field.to_owned(),
                kind.trim_end_matches(", only with details").to_owned(),
                kind.ends_with("only with details"),
            ))
        })
        .collect()
}

/// Whether `value` has the README's `kind`.
fn has_kind(value: &serde_json::Value, kind: &str) -> bool {
    use serde_json::Value;
    match kind {
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "number" => value.is_number(),
        "array" => value.is_array(),
        "array of strings" => value
            .as_array()
            .is_some_and(|items| items.iter().all(Value::is_string)),
        "number or null" => value.is_number() || value.is_null(),
        other => panic!("the README schema has an unknown type {other:?}"),
    }
}

/// Checks `body` against the README schema: every field it documents is
/// there with its type (a details-only field only when `details`), and the
/// answer has no field the schema does not document.
fn assert_schema(body: &str, details: bool) -> serde_json::Value {
    let answer: serde_json::Value = serde_json::from_str(body).expect("a JSON body");
    let schema = readme_schema();
    assert!(schema.len() >= 10, "the schema table is read: {schema:?}");
    let checks = answer["checks"].as_array().expect("checks is an array");
    assert!(!checks.is_empty(), "{body}");
    let documented = |prefix: &str, object: &serde_json::Value| {
        for key in object.as_object().expect("an object").keys() {
            let path = format!("{prefix}{key}");
            assert!(
                schema.iter().any(|(field, _, _)| *field == path),
                "{path} is not in the README schema"
            );
        }
    };
    documented("", &answer);
    for check in checks {
        documented("checks[].", check);
    }
    for (field, kind, details_only) in &schema {
        let values: Vec<&serde_json::Value> = match field.strip_prefix("checks[].") {
            Some(key) => checks.iter().filter_map(|check| check.get(key)).collect(),
            None => answer.get(field).into_iter().collect(),
        };
        let expected = if field.starts_with("checks[].") {
            checks.len()
        } else {
            1
        };
        if *details_only {
            if !details {
                assert!(values.is_empty(), "{field} appears without details: {body}");
            }
        } else {
            assert_eq!(values.len(), expected, "{field} in {body}");
        }
        for value in values {
            assert!(has_kind(value, kind), "{field} is {value}, not {kind}");
        }
    }
    answer
}

#[test]
fn the_readme_json_example_follows_the_readme_schema() {
    let readme = library_readme();
    let example = readme
        .split_once("$ curl -s 'http://127.0.0.1:8081/readyz?format=json'\n")
        .and_then(|(_, rest)| rest.lines().next())
        .expect("README.md shows a JSON answer");
    assert_schema(example, false);
}

#[tokio::test]
async fn json_answers_follow_the_readme_schema_and_reasons_need_the_hook() {
    let server = start(
        HealthChecks::new()
            .interval(Duration::from_millis(10))
            .check(Check::new("db", || {
                Err::<(), _>("connect to 10.0.0.5 refused")
            }))
            .check(Check::new("cache", || false).optional().in_group("deep")),
    )
    .await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let admin = listener.local_addr().expect("local address");
    let details = ShowDetails::when(|headers, extensions| {
        let token = headers
            .get("authorization")
            .is_some_and(|value| value == "Bearer s3cret");
        token
            && extensions
                .get::<PeerAddr>()
                .is_some_and(|PeerAddr(peer)| peer.ip().is_loopback())
    });
    tokio::spawn(grpc_health_checks::admin::serve(
        listener,
        AdminService::new(&server.handle).show_details(details),
    ));
    eventually("both checks ran", || {
        server
            .handle
            .snapshot()
            .iter()
            .all(|check| check.evaluations > 0)
    })
    .await;

    let plain = send_with(admin, "GET", "/readyz", Some("application/json"), &[]).await;
    assert_eq!(plain.status, 503);
    assert_eq!(plain.headers["content-type"], "application/json");
    let answer = assert_schema(&plain.body, false);
    assert_eq!(answer["status"], "fail");
    assert_eq!(answer["service"], "readiness");
    assert_eq!(answer["checks"][0]["name"], "db");
    assert_eq!(answer["checks"][0]["status"], "failing");
    assert_eq!(answer["checks"][1]["status"], "degraded");
    assert_eq!(answer["checks"][1]["optional"], true);
    assert_eq!(
        answer["checks"][1]["groups"],
        serde_json::json!(["readiness", "deep"])
    );
    assert!(!plain.body.contains("10.0.0.5"), "{}", plain.body);

    let token = [("authorization", "Bearer s3cret")];
    let allowed = send_with(admin, "GET", "/readyz?format=json", None, &token).await;
    let answer = assert_schema(&allowed.body, true);
    assert_eq!(answer["checks"][0]["reason"], "connect to 10.0.0.5 refused");
    assert_eq!(answer["checks"][1]["reason"], "check returned false");
    let verbose = send_with(admin, "GET", "/readyz?verbose", None, &token).await;
    assert!(
        verbose.body.contains("): connect to 10.0.0.5 refused\n"),
        "{}",
        verbose.body
    );
    let wrong = [("authorization", "Bearer guess")];
    let refused = send_with(admin, "GET", "/readyz?verbose", None, &wrong).await;
    assert!(!refused.body.contains("10.0.0.5"), "{}", refused.body);

    let group = send_with(
        admin,
        "GET",
        "/groupz/deep?format=json&exclude=cache",
        None,
        &[],
    )
    .await;
    assert_eq!(group.status, 200, "{}", group.body);
    let answer = assert_schema(&group.body, false);
    assert_eq!(answer["service"], "deep");
    assert_eq!(answer["checks"][0]["excluded"], true);
    let one = send_with(admin, "GET", "/readyz/db?format=json", None, &[]).await;
    assert_eq!(one.status, 503);
    let answer = assert_schema(&one.body, false);
    assert_eq!(answer["checks"].as_array().map(Vec::len), Some(1));
    let text = send_with(
        admin,
        "GET",
        "/readyz?format=text",
        Some("application/json"),
        &[],
    )
    .await;
    assert_eq!(
        text.body, "readyz check failed",
        "format=text wins over Accept"
    );
}
