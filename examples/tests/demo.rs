//! The `health-demo` contract of DESIGN.md §2, run as a real process.

use std::process::Stdio;
use std::time::Duration;

use health_lib::ServingStatus::{self, NotServing, Serving};
use health_lib::pb::health_client::HealthClient;
use health_lib::pb::{HealthCheckRequest, HealthCheckResponse};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tonic::transport::Channel;
use tonic::{Code, Streaming};

const EVENT_TIMEOUT: Duration = Duration::from_secs(10);

/// Starts the demo on a free port and returns it with the address it printed.
async fn start_demo(args: &[&str]) -> (Child, String) {
    let mut demo = Command::new(env!("CARGO_BIN_EXE_health-demo"))
        .args(["--addr", "127.0.0.1:0", "--interval", "20ms"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("health-demo starts");
    let stdout = demo.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();
    let line = tokio::time::timeout(EVENT_TIMEOUT, lines.next_line())
        .await
        .expect("demo prints its address in time")
        .expect("stdout readable")
        .expect("a line");
    let addr = line
        .strip_prefix("listening on ")
        .expect("`listening on ADDR`")
        .to_owned();
    (demo, addr)
}

async fn client(addr: &str) -> HealthClient<Channel> {
    let channel = Channel::from_shared(format!("http://{addr}"))
        .expect("uri")
        .connect()
        .await
        .expect("demo accepts connections once it printed its address");
    HealthClient::new(channel)
}

fn request(service: &str) -> HealthCheckRequest {
    HealthCheckRequest {
        service: service.to_owned(),
    }
}

async fn check(client: &mut HealthClient<Channel>, service: &str) -> Result<ServingStatus, Code> {
    client
        .check(request(service))
        .await
        .map(|response| response.into_inner().status())
        .map_err(|status| status.code())
}

async fn wait_for(stream: &mut Streaming<HealthCheckResponse>, wanted: ServingStatus) {
    loop {
        let message = tokio::time::timeout(EVENT_TIMEOUT, stream.message())
            .await
            .expect("status change in time")
            .expect("stream healthy")
            .expect("stream open");
        if message.status() == wanted {
            return;
        }
    }
}

fn terminate(demo: &Child) {
    let pid = demo.id().expect("demo still running").to_string();
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("run kill");
    assert!(sent.success(), "SIGTERM delivered");
}

#[tokio::test]
async fn demo_serves_contract_services_and_follows_the_ready_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ready_file = dir.path().join("ready");
    let ready_arg = ready_file.to_str().expect("utf-8 path");
    let (_demo, addr) = start_demo(&["--ready-file", ready_arg]).await;
    let mut client = client(&addr).await;

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

    let mut greeter = client
        .watch(request("helloworld.Greeter"))
        .await
        .expect("watch")
        .into_inner();
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

#[tokio::test]
async fn sigterm_drains_watchers_then_exits_zero() {
    let (mut demo, addr) = start_demo(&["--drain-delay", "300ms"]).await;
    let mut client = client(&addr).await;
    let mut watcher = client.watch(request("")).await.expect("watch").into_inner();
    wait_for(&mut watcher, Serving).await;

    terminate(&demo);
    wait_for(&mut watcher, NotServing).await;
    assert_eq!(
        check(&mut client, "readiness").await,
        Ok(NotServing),
        "answers during the drain delay"
    );
    let status = tokio::time::timeout(EVENT_TIMEOUT, demo.wait())
        .await
        .expect("demo exits after draining")
        .expect("wait for demo");
    assert!(status.success(), "exit status {status}");
}

#[tokio::test]
async fn unreadable_tls_file_is_named_in_the_error() {
    let output = Command::new(env!("CARGO_BIN_EXE_health-demo"))
        .args([
            "--addr",
            "127.0.0.1:0",
            "--tls-cert",
            "/nonexistent/cert.pem",
            "--tls-key",
            "/nonexistent/key.pem",
        ])
        .output()
        .await
        .expect("run health-demo");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--tls-cert /nonexistent/cert.pem"),
        "{stderr}"
    );
}
