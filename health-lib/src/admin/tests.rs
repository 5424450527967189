//! The admin endpoints, calling the service directly (a transport adds nothing
//! here), plus the listener's header read timeout on a real loopback socket.

use std::time::Duration;

use http_body_util::BodyExt as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use super::*;
use crate::test_support::{EVENT_TIMEOUT, build_evaluated, wait_until};
use crate::{Check, Group, HealthChecks};
use test_support::verbose::untimed;

/// A liveness check `alive`, and readiness checks `disk` (passes) and `db`
/// (fails with a reason that must not leak), each evaluated at least once.
async fn evaluated() -> HealthHandle {
    build_evaluated(
        HealthChecks::new()
            .interval(Duration::from_millis(10))
            .check(Check::new("alive", || true).group(Group::Liveness))
            .check(Check::new("disk", || true))
            .check(Check::new("db", || {
                Err::<(), _>("connect to 10.0.0.5:5432: connection refused")
            })),
    )
    .await
}

async fn call(service: &AdminService, method: Method, uri: &str) -> (StatusCode, String) {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .body(())
        .expect("valid request");
    let response = service.respond(&request);
    let status = response.status();
    (status, body(response).await)
}

async fn body(response: Response<Body>) -> String {
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("in-memory body")
        .to_bytes();
    String::from_utf8(bytes.to_vec()).expect("UTF-8 body")
}

/// `GET uri`, its body [`untimed`] (see `verbose_lines_carry_their_timing`).
async fn get(service: &AdminService, uri: &str) -> (StatusCode, String) {
    let (status, body) = call(service, Method::GET, uri).await;
    (status, untimed(&body))
}

const OK: StatusCode = StatusCode::OK;
const UNAVAILABLE: StatusCode = StatusCode::SERVICE_UNAVAILABLE;

#[tokio::test]
async fn endpoints_answer_ok_while_serving() {
    let (_, handle) = HealthChecks::new()
        .build()
        .expect("valid health configuration");
    let service = AdminService::new(&handle);
    for path in ["/livez", "/readyz", "/healthz"] {
        let request = Request::get(path).body(()).expect("valid request");
        let response = service.respond(&request);
        assert_eq!(response.status(), OK, "{path}");
        let headers = response.headers();
        assert_eq!(headers[CONTENT_TYPE], "text/plain; charset=utf-8");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(body(response).await, "ok");
    }
}

#[tokio::test]
async fn works_as_a_tower_service() {
    use tower::Service as _;
    let (_, handle) = HealthChecks::new()
        .build()
        .expect("valid health configuration");
    let mut service = AdminService::new(&handle);
    std::future::poll_fn(|cx| tower::Service::<Request<()>>::poll_ready(&mut service, cx))
        .await
        .expect("always ready");
    let response = service
        .call(Request::get("/readyz").body(()).expect("valid request"))
        .await
        .expect("infallible");
    assert_eq!(response.status(), OK);
}

#[tokio::test]
async fn failing_endpoint_is_503_with_a_short_line() {
    let handle = evaluated().await;
    let service = AdminService::new(&handle);
    assert_eq!(
        get(&service, "/readyz").await,
        (UNAVAILABLE, "readyz check failed".to_owned())
    );
    assert_eq!(
        get(&service, "/healthz").await,
        (UNAVAILABLE, "healthz check failed".to_owned())
    );
    assert_eq!(get(&service, "/livez").await, (OK, "ok".to_owned()));
}

#[tokio::test]
async fn the_verdict_line_is_named_after_its_endpoint() {
    let (_, handle) = HealthChecks::new()
        .interval(Duration::from_millis(10))
        .check(Check::new("stuck", || false).group(Group::Liveness))
        .build()
        .expect("valid health configuration");
    wait_until("the check evaluated", || {
        handle.snapshot()[0].evaluations > 0
    })
    .await;
    let service = AdminService::new(&handle);
    assert_eq!(
        get(&service, "/livez").await,
        (UNAVAILABLE, "livez check failed".to_owned())
    );
    let (_, verbose) = get(&service, "/livez?verbose").await;
    assert!(verbose.ends_with("\nlivez check failed\n"), "{verbose}");
}

#[tokio::test]
async fn verbose_lists_every_check_and_withholds_reasons() {
    let handle = evaluated().await;
    let service = AdminService::new(&handle);
    assert_eq!(
        get(&service, "/readyz?verbose").await,
        (
            UNAVAILABLE,
            "[+]disk ok\n[-]db failed: reason withheld\n[+]shutdown ok\nreadyz check failed\n"
                .to_owned()
        )
    );
    assert_eq!(
        get(&service, "/livez?verbose=true").await,
        (
            OK,
            "[+]alive ok\n[+]shutdown ok\nlivez check passed\n".to_owned()
        )
    );
    let (_, healthz) = get(&service, "/healthz?verbose").await;
    assert_eq!(
        healthz,
        "[+]alive ok\n[+]disk ok\n[-]db failed: reason withheld\n[+]shutdown ok\nhealthz check failed\n"
    );
    assert_eq!(
        get(&service, "/readyz?verbose=false").await.1,
        "readyz check failed"
    );
}

#[tokio::test]
async fn verbose_lines_carry_their_timing() {
    let handle = evaluated().await;
    let service = AdminService::new(&handle);
    let (_, verbose) = call(&service, Method::GET, "/readyz?verbose").await;
    let lines: Vec<&str> = verbose.lines().collect();
    let timed = |line: &str, head: &str, tail: &str| {
        line.starts_with(head)
            && line.ends_with(tail)
            && line.contains("ms, changed ")
            && line.contains("s ago)")
    };
    assert!(timed(lines[0], "[+]disk ok (", " ago)"), "{verbose}");
    assert!(
        timed(lines[1], "[-]db failed (", " ago): reason withheld"),
        "{verbose}"
    );
    assert_eq!(lines[2], "[+]shutdown ok", "the pseudo-check has no timing");
    let (_, one) = call(&service, Method::GET, "/readyz/disk?verbose").await;
    assert!(timed(&one, "[+]disk ok (", " ago)"), "{one}");
    assert_eq!(untimed(&one), "[+]disk ok");
    let (_, short) = call(&service, Method::GET, "/readyz/db").await;
    assert_eq!(
        short, "[-]db failed: reason withheld",
        "timing only in verbose"
    );
}

#[tokio::test]
async fn show_details_puts_reasons_on_the_wire() {
    let handle = evaluated().await;
    let service = AdminService::new(&handle).show_details(true);
    let (_, body) = get(&service, "/readyz?verbose").await;
    assert!(
        body.contains("[-]db failed: connect to 10.0.0.5:5432: connection refused\n"),
        "{body}"
    );
    assert_eq!(
        get(&service, "/readyz/db").await,
        (
            UNAVAILABLE,
            "[-]db failed: connect to 10.0.0.5:5432: connection refused".to_owned()
        )
    );
}

#[tokio::test]
async fn reasons_never_leak_by_default() {
    let handle = evaluated().await;
    let service = AdminService::new(&handle);
    for uri in [
        "/readyz",
        "/readyz?verbose",
        "/healthz?verbose",
        "/readyz/db",
        "/readyz/db?verbose",
    ] {
        let (_, body) = get(&service, uri).await;
        assert!(!body.contains("10.0.0.5"), "{uri}: {body}");
    }
}

#[tokio::test]
async fn exclude_leaves_checks_out_of_the_verdict() {
    let handle = evaluated().await;
    let service = AdminService::new(&handle);
    assert_eq!(
        get(&service, "/readyz?exclude=db").await,
        (OK, "ok".to_owned())
    );
    assert_eq!(
        get(&service, "/readyz?verbose&exclude=db").await,
        (
            OK,
            "[+]disk ok\n[+]db excluded: ok\n[+]shutdown ok\nreadyz check passed\n".to_owned()
        )
    );
    assert_eq!(
        get(&service, "/readyz?verbose&exclude=nope&exclude=disk").await,
        (
            UNAVAILABLE,
            "[+]disk excluded: ok\n[-]db failed: reason withheld\n[+]shutdown ok\n\
             warn: some health checks cannot be excluded: no matches for \"nope\"\n\
             readyz check failed\n"
                .to_owned()
        )
    );
}

#[tokio::test]
async fn one_check_per_path() {
    let handle = evaluated().await;
    let service = AdminService::new(&handle);
    assert_eq!(get(&service, "/readyz/disk").await, (OK, "ok".to_owned()));
    assert_eq!(
        get(&service, "/readyz/disk?verbose").await,
        (OK, "[+]disk ok".to_owned())
    );
    assert_eq!(
        get(&service, "/readyz/db").await,
        (UNAVAILABLE, "[-]db failed: reason withheld".to_owned())
    );
    assert_eq!(
        get(&service, "/livez/shutdown").await,
        (OK, "ok".to_owned())
    );
    assert_eq!(get(&service, "/healthz/alive").await, (OK, "ok".to_owned()));
    let (status, body) = get(&service, "/readyz/alive").await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::NOT_FOUND, "no check \"alive\" in /readyz"),
        "a liveness check is not part of readyz"
    );
    for uri in ["/readyz/nope", "/readyz/", "/livez/db"] {
        assert_eq!(get(&service, uri).await.0, StatusCode::NOT_FOUND, "{uri}");
    }
    let (status, body) = get(&service, "/readyz/db?exclude=db").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        "exclude applies to a whole endpoint, not to one check"
    );
}

#[tokio::test]
async fn check_names_in_paths_are_percent_decoded() {
    let (_, handle) = HealthChecks::new()
        .check(Check::new("disk space+inodes", || true))
        .interval(Duration::from_millis(10))
        .build()
        .expect("valid health configuration");
    wait_until("the check evaluated", || {
        handle.snapshot()[0].evaluations > 0
    })
    .await;
    let service = AdminService::new(&handle);
    assert_eq!(
        get(&service, "/readyz/disk%20space+inodes").await,
        (OK, "ok".to_owned())
    );
    assert_eq!(
        get(&service, "/readyz/disk%2").await.0,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn drain_fails_readyz_at_the_instant_grpc_goes_not_serving() {
    let handle = evaluated().await;
    let service = AdminService::new(&handle);
    assert_eq!(get(&service, "/readyz?exclude=db").await.0, OK);
    assert_eq!(get(&service, "/livez").await.0, OK);
    handle.shutdown();
    assert_eq!(
        handle.status("readiness"),
        Some(crate::ServingStatus::NotServing)
    );
    assert_eq!(get(&service, "/readyz").await.0, UNAVAILABLE);
    assert_eq!(
        get(&service, "/livez").await.0,
        UNAVAILABLE,
        "as gRPC liveness"
    );
    assert_eq!(
        get(&service, "/readyz?verbose&exclude=db").await,
        (
            UNAVAILABLE,
            "[+]disk ok\n[+]db excluded: ok\n[-]shutdown failed: reason withheld\nreadyz check failed\n"
                .to_owned()
        )
    );
    assert_eq!(get(&service, "/readyz/shutdown").await.0, UNAVAILABLE);
    let detailed = service.clone().show_details(true);
    assert_eq!(
        get(&detailed, "/readyz/shutdown").await.1,
        "[-]shutdown failed: draining"
    );
}

#[tokio::test]
async fn head_answers_status_and_length_without_a_body() {
    let handle = evaluated().await;
    let service = AdminService::new(&handle);
    for uri in ["/readyz", "/readyz?verbose", "/livez", "/nope"] {
        let (get_status, get_body) = call(&service, Method::GET, uri).await;
        let request = Request::head(uri).body(()).expect("valid request");
        let response = service.respond(&request);
        assert_eq!(response.status(), get_status, "{uri}");
        assert_eq!(
            response.headers()[CONTENT_LENGTH],
            get_body.len().to_string().as_str(),
            "{uri}"
        );
        assert_eq!(body(response).await, "", "{uri}");
    }
}

#[tokio::test]
async fn other_methods_are_refused_with_405() {
    let (_, handle) = HealthChecks::new()
        .build()
        .expect("valid health configuration");
    let service = AdminService::new(&handle);
    for method in [
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::PATCH,
        Method::OPTIONS,
    ] {
        let request = Request::builder()
            .method(method.clone())
            .uri("/readyz")
            .body(())
            .expect("valid request");
        let response = service.respond(&request);
        assert_eq!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method}"
        );
        assert_eq!(response.headers()[ALLOW], "GET, HEAD");
    }
    assert_eq!(
        call(&service, Method::POST, "/nope").await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn unknown_paths_are_404() {
    let (_, handle) = HealthChecks::new()
        .build()
        .expect("valid health configuration");
    let service = AdminService::new(&handle);
    for uri in [
        "/",
        "/livezz",
        "/ready",
        "/metrics",
        "/healthz/x/y",
        "//readyz",
    ] {
        assert_eq!(get(&service, uri).await.0, StatusCode::NOT_FOUND, "{uri}");
    }
}

#[tokio::test]
async fn bad_queries_are_400_and_long_ones_414() {
    let (_, handle) = HealthChecks::new()
        .build()
        .expect("valid health configuration");
    let service = AdminService::new(&handle);
    for (uri, message) in [
        (
            "/readyz?verbose=yes",
            "verbose takes no value, true or false, not \"yes\"",
        ),
        (
            "/readyz?debug",
            "unknown query parameter \"debug\"; known: verbose, exclude, format",
        ),
        (
            "/livez?exclude=%zz",
            "invalid percent-encoding: % must be followed by two hex digits",
        ),
        (
            "/healthz?exclude=%C3%28",
            "percent-encoded bytes are not UTF-8",
        ),
        ("/readyz?exclude=", "exclude needs a check name"),
    ] {
        assert_eq!(
            get(&service, uri).await,
            (StatusCode::BAD_REQUEST, message.to_owned()),
            "{uri}"
        );
    }
    let long_query = format!("/readyz?exclude={}", "x".repeat(5000));
    assert_eq!(get(&service, &long_query).await.0, StatusCode::URI_TOO_LONG);
    let long_path = format!("/readyz/{}", "x".repeat(5000));
    assert_eq!(get(&service, &long_path).await.0, StatusCode::URI_TOO_LONG);
}

/// The lines of the README code block that starts with `command`.
fn readme_block(command: &str) -> Vec<&'static str> {
    let readme = include_str!("../../README.md");
    readme
        .split_once(&format!("```text\n{command}\n"))
        .and_then(|(_, rest)| rest.split_once("```"))
        .map(|(block, _)| block.lines().collect())
        .unwrap_or_else(|| panic!("README.md shows {command:?} in a text block"))
}

#[tokio::test]
async fn readme_verbose_examples_are_what_the_service_answers() {
    let handle = build_evaluated(
        HealthChecks::new()
            .interval(Duration::from_millis(10))
            .check(Check::new("disk", || true))
            .check(Check::new("db", || false))
            .check(Check::new("cache", || false).optional()),
    )
    .await;
    let service = AdminService::new(&handle);
    for query in ["verbose", "verbose&exclude=db"] {
        let command = format!("$ curl 'http://127.0.0.1:8081/readyz?{query}'");
        let (_, body) = get(&service, &format!("/readyz?{query}")).await;
        let readme = untimed(&readme_block(&command).join("\n"));
        assert_eq!(
            readme.lines().collect::<Vec<_>>(),
            body.lines().collect::<Vec<_>>(),
            "{query}"
        );
    }
}

#[tokio::test]
async fn silent_clients_are_disconnected_after_the_header_read_timeout() {
    let (_, handle) = HealthChecks::new()
        .build()
        .expect("valid health configuration");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    let service = AdminService::new(&handle);
    let server =
        tokio::spawn(serve(listener, service).header_read_timeout(Duration::from_millis(200)));

    let mut answered = tokio::net::TcpStream::connect(addr).await.expect("connect");
    answered
        .write_all(b"GET /readyz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .await
        .expect("send");
    let mut response = String::new();
    tokio::time::timeout(EVENT_TIMEOUT, answered.read_to_string(&mut response))
        .await
        .expect("answered in time")
        .expect("read");
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    assert!(response.ends_with("\r\n\r\nok"), "{response}");

    // Silent from the start, silent mid-headers, and idle after a kept-alive answer.
    for (sent, answered) in [
        (&b""[..], false),
        (b"GET /readyz HTTP/1.1\r\nhost:", false),
        (b"GET /livez HTTP/1.1\r\nhost: x\r\n\r\n", true),
    ] {
        let mut silent = tokio::net::TcpStream::connect(addr).await.expect("connect");
        silent.write_all(sent).await.expect("send");
        let mut received = Vec::new();
        tokio::time::timeout(EVENT_TIMEOUT, silent.read_to_end(&mut received))
            .await
            .expect("the server closes a silent connection")
            .ok();
        let received = String::from_utf8_lossy(&received);
        assert_eq!(
            received.starts_with("HTTP/1.1 200 OK"),
            answered,
            "{received}"
        );
    }
    server.abort();
}

#[cfg(feature = "metrics")]
mod metrics {
    use std::sync::Arc;

    use super::*;

    #[tokio::test]
    async fn metrics_follow_the_accept_header() {
        let mut registry = prometheus_client::registry::Registry::default();
        let (_, handle) = HealthChecks::new()
            .interval(Duration::from_millis(10))
            .check(Check::new("db", || false))
            .metrics(&mut registry)
            .build()
            .expect("valid health configuration");
        wait_until("the check evaluated", || {
            handle.snapshot()[0].evaluations > 0
        })
        .await;
        let service = AdminService::new(&handle).metrics(Arc::new(registry));

        let request = Request::get("/metrics")
            .header(
                http::header::ACCEPT,
                "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5",
            )
            .body(())
            .expect("valid request");
        let response = service.respond(&request);
        assert_eq!(response.status(), OK);
        assert_eq!(
            response.headers()[CONTENT_TYPE],
            "application/openmetrics-text; version=1.0.0; charset=utf-8"
        );
        let openmetrics = body(response).await;
        assert!(openmetrics.ends_with("# EOF\n"), "{openmetrics}");
        assert!(openmetrics.contains("# TYPE grpc_health_check_runs counter\n"));
        assert!(
            openmetrics.contains("grpc_health_check_status{check=\"db\",group=\"readiness\"} 0\n")
        );

        let request = Request::get("/metrics").body(()).expect("valid request");
        let response = service.respond(&request);
        assert_eq!(
            response.headers()[CONTENT_TYPE],
            "text/plain; version=0.0.4; charset=utf-8"
        );
        let text = body(response).await;
        assert!(
            text.contains("# TYPE grpc_health_check_runs_total counter\n"),
            "{text}"
        );
        assert!(!text.contains("# EOF"));
        assert_eq!(
            get(&service, "/metrics?x=1").await,
            (
                StatusCode::BAD_REQUEST,
                "/metrics takes no query parameters".to_owned()
            )
        );
    }

    #[tokio::test]
    async fn readme_metrics_example_is_in_the_scrape() {
        let mut registry = prometheus_client::registry::Registry::default();
        let handle = build_evaluated(
            HealthChecks::new()
                .interval(Duration::from_millis(10))
                .check(Check::new("alive", || true).group(Group::Liveness))
                .check(Check::new("disk", || true))
                .check(Check::new("db", || false))
                .metrics(&mut registry),
        )
        .await;
        let service = AdminService::new(&handle).metrics(Arc::new(registry));
        let (_, scrape) = get(&service, "/metrics").await;
        let scraped: Vec<&str> = scrape.lines().collect();
        let command = "$ curl -s http://127.0.0.1:8081/metrics | grep -e _status -e _serving";
        for line in readme_block(command) {
            assert!(scraped.contains(&line), "{line:?} not in\n{scrape}");
        }
    }
}
