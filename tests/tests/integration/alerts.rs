//! The rendered `alert-rules` in a real Prometheus scraping `health-demo`:
//! with `--fail-ratio 1` the error-ratio alert reaches `firing` in
//! Prometheus' own `/api/v1/alerts`; with `--fail-ratio 0` it stays inactive
//! through many evaluations.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

use examples::greeter::{GreeterClient, HelloRequest};
use serde_json::Value as Json;
use test_support::HANG_GUARD;
use test_support::demo::Demo;
use test_support::process::run_blocking;

use crate::prometheus::{Prometheus, prometheus_programs};

const ALERT: &str = "GrpcErrorRatioHigh";

/// The alert-rules template for helloworld.Greeter with windows short enough
/// for a test: a 10 s rate window and 2 s `for`.
fn rules() -> String {
    let mut command = Command::new(test_support::bins::health_manifests());
    for set in [
        "name=health-demo",
        "image=health-demo",
        "port=50051",
        "alerts.grpcService=helloworld.Greeter",
        "alerts.errorRatio.window=10s",
        "alerts.errorRatio.for=2s",
    ] {
        command.args(["--set", set]);
    }
    command.args(["--template", "alert-rules"]);
    let run = run_blocking(command);
    assert_eq!(run.code, 0, "health-manifests: {}", run.stderr);
    run.stdout
}

/// health-demo failing `fail_ratio` of SayHello calls, called every 20 ms
/// until dropped, and a Prometheus scraping it with the rendered rules.
struct Setup {
    prometheus: Prometheus,
    load: tokio::task::JoinHandle<()>,
    _demo: Demo,
}

impl Setup {
    async fn start(fail_ratio: &str) -> Self {
        let (_, program) = prometheus_programs();
        let demo = Demo::start(&["--admin-addr", "127.0.0.1:0", "--fail-ratio", fail_ratio]);
        let admin: SocketAddr = demo
            .admin_addr()
            .expect("admin address")
            .parse()
            .expect("address");
        let channel = tonic::transport::Channel::from_shared(format!("http://{}", demo.addr()))
            .expect("valid uri")
            .connect()
            .await
            .expect("connect to health-demo");
        let load = tokio::spawn(async move {
            let mut greeter = GreeterClient::new(channel);
            let mut pace = tokio::time::interval(Duration::from_millis(20));
            loop {
                pace.tick().await;
                let request = HelloRequest {
                    name: "alerts".into(),
                };
                let _ = greeter.say_hello(request).await;
            }
        });
        let prometheus = Prometheus::start_with_rules(&program, admin, Some(&rules())).await;
        Self {
            prometheus,
            load,
            _demo: demo,
        }
    }

    /// The alert's entries in `/api/v1/alerts` (pending or firing).
    async fn alerts(&self) -> Vec<Json> {
        let answer = self.prometheus.api("/api/v1/alerts").await;
        answer["data"]["alerts"]
            .as_array()
            .expect("alerts list")
            .iter()
            .filter(|alert| alert["labels"]["alertname"] == ALERT)
            .cloned()
            .collect()
    }

    /// The error-ratio rule as `/api/v1/rules` reports it.
    async fn rule(&self) -> Json {
        let answer = self.prometheus.api("/api/v1/rules?type=alert").await;
        answer["data"]["groups"]
            .as_array()
            .expect("groups")
            .iter()
            .flat_map(|group| group["rules"].as_array().cloned().unwrap_or_default())
            .find(|rule| rule["name"] == ALERT)
            .unwrap_or_else(|| panic!("{ALERT} is loaded: {answer}\n{}", self.prometheus.log()))
    }

    async fn stop(self) {
        self.load.abort();
        self.prometheus.stop().await;
    }
}

#[tokio::test]
async fn every_call_failing_fires_the_error_ratio_alert() {
    let setup = Setup::start("1").await;
    // Scrapes, a 10 s window and 2 s of `for`: well within two hang guards.
    let deadline = tokio::time::Instant::now() + 2 * HANG_GUARD;
    let firing = loop {
        let alerts = setup.alerts().await;
        if let Some(firing) = alerts.iter().find(|alert| alert["state"] == "firing") {
            break firing.clone();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{ALERT} not firing: {alerts:?}\nrule: {}\n{}",
            setup.rule().await,
            setup.prometheus.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(
        firing["labels"]["grpc_service"], "helloworld.Greeter",
        "{firing}"
    );
    assert_eq!(firing["labels"]["severity"], "critical", "{firing}");
    let description = firing["annotations"]["description"]
        .as_str()
        .expect("description");
    assert!(
        description.starts_with("100% of helloworld.Greeter calls"),
        "{description}"
    );
    setup.stop().await;
}

#[tokio::test]
async fn no_call_failing_leaves_the_alert_inactive_through_many_evaluations() {
    let setup = Setup::start("0").await;
    // The ratio has a denominator: calls are being scraped.
    let calls = r#"sum(rate(grpc_server_handled_total{grpc_service="helloworld.Greeter",grpc_code="OK"}[10s])) > 0"#;
    let deadline = tokio::time::Instant::now() + 2 * HANG_GUARD;
    while setup.prometheus.query(calls).await["data"]["result"]
        .as_array()
        .is_none_or(Vec::is_empty)
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no calls seen:\n{}",
            setup.prometheus.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Then more evaluations than the 2 s `for` needs (one a second).
    let mut evaluations = BTreeSet::new();
    while evaluations.len() < 6 {
        let rule = setup.rule().await;
        assert_eq!(rule["health"], "ok", "{rule}");
        assert_eq!(rule["state"], "inactive", "{rule}");
        evaluations.insert(
            rule["lastEvaluation"]
                .as_str()
                .expect("evaluated")
                .to_owned(),
        );
        assert!(
            tokio::time::Instant::now() < deadline,
            "{ALERT} is not evaluated: {rule}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(setup.alerts().await, Vec::<Json>::new());
    setup.stop().await;
}
