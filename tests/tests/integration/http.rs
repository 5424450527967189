//! The admin HTTP endpoints of a real `health-demo --admin-addr` process,
//! driven by a hyper client over loopback.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use grpc_health_checks::ServingStatus;
use http_body_util::{BodyExt as _, Empty};
use hyper::body::Bytes;
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};

use crate::support::{client, next_status, watch};

/// Generous bound for a process to start or a status to change.
pub(crate) const PROCESS_TIMEOUT: Duration = Duration::from_secs(60);

/// The `health-demo` binary next to this test's binary, built by
/// `cargo test --workspace` (or `cargo build -p examples --bin health-demo`).
fn health_demo() -> PathBuf {
    let test_binary = std::env::current_exe().expect("current exe");
    let profile_dir = test_binary
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps/<test>");
    let demo = profile_dir.join(format!("health-demo{}", std::env::consts::EXE_SUFFIX));
    assert!(
        demo.is_file(),
        "{} not found: build it first with `cargo build -p examples --bin health-demo` \
         (`cargo test --workspace` does) in the same target directory",
        demo.display()
    );
    demo
}

/// A running `health-demo --admin-addr 127.0.0.1:0`, whose readiness follows
/// a ready file; killed when dropped.
pub(crate) struct Demo {
    process: Child,
    pub(crate) grpc: SocketAddr,
    pub(crate) admin: SocketAddr,
    pub(crate) ready_file: PathBuf,
    _dir: tempfile::TempDir,
}

impl Demo {
    pub(crate) async fn start() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let ready_file = dir.path().join("ready");
        let mut process = Command::new(health_demo())
            .args(["--addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0"])
            .args(["--interval", "100ms", "--drain-delay", "60s"])
            .arg("--ready-file")
            .arg(&ready_file)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("health-demo starts");
        let stdout = process.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let (mut grpc, mut admin) = (None, None);
        while grpc.is_none() || admin.is_none() {
            let line = tokio::time::timeout(PROCESS_TIMEOUT, lines.next_line())
                .await
                .expect("demo prints its addresses in time")
                .expect("stdout readable")
                .expect("`listening on` and `admin listening on` lines");
            let parse = |addr: &str| addr.parse::<SocketAddr>().expect("an address");
            if let Some(addr) = line.strip_prefix("admin listening on ") {
                admin = Some(parse(addr));
            } else if let Some(addr) = line.strip_prefix("listening on ") {
                grpc = Some(parse(addr));
            }
        }
        Self {
            process,
            grpc: grpc.expect("gRPC address"),
            admin: admin.expect("admin address"),
            ready_file,
            _dir: dir,
        }
    }

    pub(crate) fn set_ready(&self, ready: bool) {
        if ready {
            std::fs::write(&self.ready_file, b"").expect("create ready file");
        } else {
            std::fs::remove_file(&self.ready_file).expect("remove ready file");
        }
    }

    fn terminate(&self) {
        let pid = self.process.id().expect("demo still running").to_string();
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("run kill");
        assert!(sent.success(), "SIGTERM delivered");
    }
}

/// One response: status, selected headers and body.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: ::http::HeaderMap,
    pub(crate) body: String,
}

/// Sends one request on a fresh HTTP/1.1 connection with a hyper client.
pub(crate) async fn send(
    addr: SocketAddr,
    method: &str,
    target: &str,
    accept: Option<&str>,
) -> Answer {
    let exchange = async {
        let stream = tokio::net::TcpStream::connect(addr)
            .await
            .expect("admin address accepts connections");
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                .await
                .expect("HTTP/1.1 handshake");
        tokio::spawn(connection);
        let mut request = ::http::Request::builder()
            .method(method)
            .uri(target)
            .header(::http::header::HOST, addr.to_string());
        if let Some(accept) = accept {
            request = request.header(::http::header::ACCEPT, accept);
        }
        let request = request.body(Empty::<Bytes>::new()).expect("valid request");
        let response = sender.send_request(request).await.expect("a response");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("whole body")
            .to_bytes();
        Answer {
            status,
            headers,
            body: String::from_utf8(body.to_vec()).expect("UTF-8 body"),
        }
    };
    tokio::time::timeout(PROCESS_TIMEOUT, exchange)
        .await
        .unwrap_or_else(|_| panic!("{method} {target} answered in time"))
}

pub(crate) async fn get(addr: SocketAddr, target: &str) -> Answer {
    send(addr, "GET", target, None).await
}

/// Polls `GET target` until it answers `status`, failing after [`PROCESS_TIMEOUT`].
pub(crate) async fn wait_for_status(addr: SocketAddr, target: &str, status: u16) -> Answer {
    let deadline = tokio::time::Instant::now() + PROCESS_TIMEOUT;
    loop {
        let answer = get(addr, target).await;
        if answer.status == status {
            return answer;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{target} still answers {} {:?}, not {status}",
            answer.status,
            answer.body
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn demo_admin_endpoints_follow_the_ready_file() {
    let demo = Demo::start().await;
    let admin = demo.admin;
    let live = get(admin, "/livez").await;
    assert_eq!((live.status, live.body.as_str()), (200, "ok"));
    assert_eq!(live.headers["content-type"], "text/plain; charset=utf-8");
    let not_ready = get(admin, "/readyz").await;
    assert_eq!(
        (not_ready.status, not_ready.body.as_str()),
        (503, "readyz check failed")
    );
    assert_eq!(get(admin, "/healthz").await.status, 503);
    assert_eq!(
        get(admin, "/readyz?verbose").await.body,
        "[-]ready-file failed: reason withheld\n[+]shutdown ok\nreadyz check failed\n",
        "the reason (a file path) stays off the wire"
    );

    demo.set_ready(true);
    let ready = wait_for_status(admin, "/readyz", 200).await;
    assert_eq!(ready.body, "ok");
    assert_eq!(
        get(admin, "/readyz?verbose").await.body,
        "[+]ready-file ok\n[+]shutdown ok\nreadyz check passed\n"
    );
    assert_eq!(get(admin, "/healthz").await.status, 200);
    let one = get(admin, "/readyz/ready-file").await;
    assert_eq!((one.status, one.body.as_str()), (200, "ok"));
    assert_eq!(get(admin, "/readyz/nope").await.status, 404);
    assert_eq!(
        get(admin, "/livez/ready-file").await.status,
        404,
        "a readiness check"
    );

    demo.set_ready(false);
    wait_for_status(admin, "/readyz", 503).await;
    let excluded = get(admin, "/readyz?verbose&exclude=ready-file").await;
    assert_eq!(excluded.status, 200);
    assert_eq!(
        excluded.body,
        "[+]ready-file excluded: ok\n[+]shutdown ok\nreadyz check passed\n"
    );
}

#[tokio::test]
async fn demo_admin_answers_head_other_methods_unknown_paths_and_bad_queries() {
    let demo = Demo::start().await;
    let admin = demo.admin;
    let head = send(admin, "HEAD", "/livez", None).await;
    assert_eq!((head.status, head.body.as_str()), (200, ""));
    assert_eq!(head.headers["content-length"], "2", "the length of `ok`");
    for method in ["POST", "PUT", "DELETE"] {
        let refused = send(admin, method, "/readyz", None).await;
        assert_eq!(refused.status, 405, "{method}");
        assert_eq!(refused.headers["allow"], "GET, HEAD");
    }
    for path in ["/", "/ready", "/livez/", "/metrics/x"] {
        assert_eq!(get(admin, path).await.status, 404, "{path}");
    }
    for (target, message) in [
        (
            "/readyz?exclude=%zz",
            "invalid percent-encoding: % must be followed by two hex digits",
        ),
        (
            "/readyz?verbose=maybe",
            "verbose takes no value, true or false, not \"maybe\"",
        ),
        (
            "/livez?watch=1",
            "unknown query parameter \"watch\"; known: verbose, exclude",
        ),
    ] {
        let bad = get(admin, target).await;
        assert_eq!((bad.status, bad.body.as_str()), (400, message), "{target}");
    }
    let long = format!("/readyz?exclude={}", "x".repeat(5000));
    assert_eq!(get(admin, &long).await.status, 414);
    let still_serving = get(admin, "/livez").await;
    assert_eq!(
        still_serving.status, 200,
        "bad requests leave the server up"
    );
}

#[tokio::test]
async fn demo_metrics_are_openmetrics_for_prometheus_and_text_for_others() {
    let demo = Demo::start().await;
    let openmetrics = send(
        demo.admin,
        "GET",
        "/metrics",
        Some("application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"),
    )
    .await;
    assert_eq!(openmetrics.status, 200);
    assert_eq!(
        openmetrics.headers["content-type"],
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
    assert!(openmetrics.body.ends_with("# EOF\n"));
    assert!(
        openmetrics
            .body
            .contains("grpc_health_check_status{check=\"ready-file\",group=\"readiness\"} 0\n"),
        "{}",
        openmetrics.body
    );
    let text = get(demo.admin, "/metrics").await;
    assert_eq!(
        text.headers["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    assert!(
        text.body
            .contains("# TYPE grpc_health_check_runs_total counter\n")
    );
}

#[tokio::test]
async fn demo_readyz_fails_once_grpc_readiness_goes_not_serving_on_sigterm() {
    let demo = Demo::start().await;
    demo.set_ready(true);
    wait_for_status(demo.admin, "/readyz", 200).await;
    let mut grpc = client(demo.grpc).await;
    let mut readiness = watch(&mut grpc, "readiness").await;
    assert_eq!(next_status(&mut readiness).await, ServingStatus::Serving);
    demo.terminate();
    assert_eq!(next_status(&mut readiness).await, ServingStatus::NotServing);
    let draining = get(demo.admin, "/readyz?verbose").await;
    assert_eq!(
        draining.status, 503,
        "HTTP reads the state gRPC just announced"
    );
    assert_eq!(
        draining.body,
        "[+]ready-file ok\n[-]shutdown failed: reason withheld\nreadyz check failed\n"
    );
}
