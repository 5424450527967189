//! Real consumers of `/metrics`: `promtool check metrics` on a scrape of
//! `health-demo`, and a Prometheus server scraping it every second, asked
//! through its query API for the ready-file check's gauge before and after the
//! file appears.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncWriteExt as _;
use tokio::process::Command;

use test_support::HANG_GUARD;
use test_support::http::{get, send};
use test_support::process::free_port;
use test_support::system;

use crate::http::AdminDemo;

/// `promtool` and `prometheus`, both from Debian's `prometheus` package,
/// installed when missing: never a silent skip.
pub(crate) fn prometheus_programs() -> (PathBuf, PathBuf) {
    (
        system::require("promtool", "prometheus"),
        system::require("prometheus", "prometheus"),
    )
}

/// Percent-encodes a PromQL expression for a query string.
fn encode(query: &str) -> String {
    query
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(byte).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn promtool_accepts_a_scrape_of_the_demo() {
    let (promtool_program, _) = prometheus_programs();
    let demo = AdminDemo::start();
    let scrape = get(demo.admin, "/metrics").await;
    assert_eq!(scrape.status, 200);
    let mut promtool = Command::new(promtool_program)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("promtool starts");
    let mut stdin = promtool.stdin.take().expect("piped stdin");
    stdin
        .write_all(scrape.body.as_bytes())
        .await
        .expect("scrape written to promtool");
    drop(stdin);
    let output = tokio::time::timeout(HANG_GUARD, promtool.wait_with_output())
        .await
        .expect("promtool finishes in time")
        .expect("promtool ran");
    let problems = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && problems.trim().is_empty(),
        "promtool check metrics: {problems}\n{}",
        scrape.body
    );
}

/// A Prometheus server on a loopback port, storing in a temp dir and
/// scraping `target` every second; killed when dropped.
pub(crate) struct Prometheus {
    process: tokio::process::Child,
    addr: SocketAddr,
    dir: tempfile::TempDir,
}

impl Prometheus {
    async fn start(program: &Path, target: SocketAddr) -> Self {
        Self::start_with_rules(program, target, None).await
    }

    /// [`Prometheus::start`], also evaluating the rules file `rules` (its
    /// text) every second.
    pub(crate) async fn start_with_rules(
        program: &Path,
        target: SocketAddr,
        rules: Option<&str>,
    ) -> Self {
        let mut dir = tempfile::tempdir().expect("temp dir");
        let config = dir.path().join("prometheus.yml");
        let rule_files = match rules {
            Some(rules) => {
                let file = dir.path().join("rules.yaml");
                std::fs::write(&file, rules).expect("write rules.yaml");
                format!("rule_files:\n  - '{}'\n", file.display())
            }
            None => String::new(),
        };
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n\
                 {rule_files}\
                 scrape_configs:\n  - job_name: health-demo\n    static_configs:\n      \
                 - targets: ['{target}']\n"
            ),
        )
        .expect("write prometheus.yml");
        // The free port can be taken again before Prometheus binds it: a few tries.
        for _ in 0..3 {
            let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
            let log = std::fs::File::create(dir.path().join("prometheus.log")).expect("log file");
            let process = Command::new(program)
                .arg(format!("--config.file={}", config.display()))
                .arg(format!(
                    "--storage.tsdb.path={}",
                    dir.path().join("data").display()
                ))
                .arg(format!("--web.listen-address={addr}"))
                .stdout(Stdio::null())
                .stderr(log)
                .kill_on_drop(true)
                .spawn()
                .expect("prometheus starts");
            let mut prometheus = Self { process, addr, dir };
            if prometheus.wait_ready().await {
                return prometheus;
            }
            dir = prometheus.dir;
        }
        panic!("prometheus exited three times before it was ready");
    }

    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("prometheus.log")).unwrap_or_default()
    }

    /// Waits until Prometheus answers `/-/ready`: `true`, or `false` if it exited first.
    async fn wait_ready(&mut self) -> bool {
        let deadline = tokio::time::Instant::now() + HANG_GUARD;
        loop {
            if self.process.try_wait().expect("poll prometheus").is_some() {
                eprintln!("prometheus exited early:\n{}", self.log());
                return false;
            }
            let connected = tokio::net::TcpStream::connect(self.addr).await.is_ok();
            if connected && get(self.addr, "/-/ready").await.status == 200 {
                return true;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "prometheus not ready on {}:\n{}",
                self.addr,
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The query API's JSON answer for an instant query.
    pub(crate) async fn query(&self, promql: &str) -> serde_json::Value {
        self.api(&format!("/api/v1/query?query={}", encode(promql)))
            .await
    }

    /// The JSON answer of the HTTP API at `target` (`/api/v1/alerts`, …).
    pub(crate) async fn api(&self, target: &str) -> serde_json::Value {
        let answer = send(self.addr, "GET", target, None).await;
        assert_eq!(answer.status, 200, "{target}: {}", answer.body);
        serde_json::from_str(&answer.body).expect("the API answers JSON")
    }

    /// Polls `promql` until its single sample's value is `wanted`; returns the JSON.
    async fn wait_for_value(&self, promql: &str, wanted: &str) -> serde_json::Value {
        let deadline = tokio::time::Instant::now() + HANG_GUARD;
        loop {
            let answer = self.query(promql).await;
            let value = answer["data"]["result"][0]["value"][1]
                .as_str()
                .map(str::to_owned);
            if value.as_deref() == Some(wanted) {
                return answer;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{promql} is {value:?}, not {wanted}, after {HANG_GUARD:?}: {answer}\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    pub(crate) async fn stop(mut self) {
        self.process.start_kill().expect("kill prometheus");
        tokio::time::timeout(HANG_GUARD, self.process.wait())
            .await
            .expect("prometheus exits after the kill")
            .expect("wait for prometheus");
    }
}

#[tokio::test]
async fn prometheus_sees_the_ready_file_flip_through_its_query_api() {
    let (_, prometheus_program) = prometheus_programs();
    let demo = AdminDemo::start();
    let prometheus = Prometheus::start(&prometheus_program, demo.admin).await;
    let check = r#"grpc_health_check_status{check="ready-file",job="health-demo"}"#;
    let readiness = r#"grpc_health_service_serving{service="readiness",job="health-demo"}"#;
    let before = prometheus.wait_for_value(check, "0").await;
    prometheus.wait_for_value(readiness, "0").await;
    println!("before the ready file: {before}");

    demo.set_ready(true);
    let after = prometheus.wait_for_value(check, "1").await;
    prometheus.wait_for_value(readiness, "1").await;
    println!("after the ready file: {after}");
    let labels = &after["data"]["result"][0]["metric"];
    assert_eq!(labels["group"], "readiness");
    assert_eq!(labels["instance"], demo.admin.to_string());

    let transitions = r#"grpc_health_service_transitions_total{service="readiness",to="SERVING"}"#;
    prometheus.wait_for_value(transitions, "1").await;
    assert!(Path::new(&demo.ready_file).exists());
    prometheus.stop().await;
}
