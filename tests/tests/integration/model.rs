//! The check model through a real tonic server and the library's real admin
//! HTTP server: optional checks, named groups and per-check intervals.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use grpc_health_checks::admin::AdminService;
use grpc_health_checks::{Check, CheckStatus, Group, HealthChecks, HealthHandle, ServingStatus};

use test_support::eventually;
use test_support::health::{check, client, next_status, wait_for, watch};
use test_support::http::{get, untimed, wait_for_status};
use test_support::server::start;

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
