//! health-demo's monitoring flags: the greeter's RPC metrics on `/metrics`
//! beside the health metrics, `--fail-ratio`, and `--graphite` into a real
//! carbon-cache.

use std::net::SocketAddr;

use examples::greeter::{GreeterClient, HelloRequest};
use test_support::carbon::Carbon;
use test_support::http::get;
use tonic::Code;
use tonic::transport::Channel;

use crate::load::channels;
use crate::start_demo;

/// Calls SayHello `calls` times; returns the codes, in order.
async fn say_hello(channel: Channel, calls: usize) -> Vec<Code> {
    let mut greeter = GreeterClient::new(channel);
    let mut codes = Vec::new();
    for _ in 0..calls {
        let request = HelloRequest {
            name: "probe".into(),
        };
        codes.push(match greeter.say_hello(request).await {
            Ok(_) => Code::Ok,
            Err(status) => status.code(),
        });
    }
    codes
}

const SAY_HELLO: &str =
    r#"grpc_type="unary",grpc_service="helloworld.Greeter",grpc_method="SayHello""#;

#[tokio::test]
async fn metrics_carry_the_greeter_calls_beside_the_health_metrics() {
    let demo = start_demo(&["--admin-addr", "127.0.0.1:0", "--fail-ratio", "0.5"]);
    let channel = channels(demo.addr(), 1).await.remove(0);
    let codes = say_hello(channel.clone(), 4).await;
    assert_eq!(
        codes,
        [Code::Ok, Code::Unavailable, Code::Ok, Code::Unavailable]
    );
    // Health calls are not among the RPC metrics.
    let mut health = grpc_health_checks::pb::health_client::HealthClient::new(channel);
    test_support::health::check(&mut health, "")
        .await
        .expect("health answers");

    let admin: SocketAddr = demo
        .admin_addr()
        .expect("admin address")
        .parse()
        .expect("address");
    let scrape = get(admin, "/metrics").await;
    assert_eq!(scrape.status, 200);
    for wanted in [
        format!(r#"grpc_server_handled_total{{{SAY_HELLO},grpc_code="OK"}} 2"#),
        format!(r#"grpc_server_handled_total{{{SAY_HELLO},grpc_code="Unavailable"}} 2"#),
        format!("grpc_server_started_total{{{SAY_HELLO}}} 4"),
        format!("grpc_server_msg_received_total{{{SAY_HELLO}}} 4"),
        format!("grpc_server_handling_seconds_count{{{SAY_HELLO}}} 4"),
        "# TYPE grpc_health_service_serving gauge".to_owned(),
    ] {
        assert!(
            scrape.body.lines().any(|line| line == wanted),
            "no {wanted:?} in\n{}",
            scrape.body
        );
    }
    assert!(
        !scrape.body.contains("grpc.health.v1.Health"),
        "{}",
        scrape.body
    );
}

#[tokio::test]
async fn graphite_stores_say_hello_counts_by_code() {
    let carbon = Carbon::start();
    let demo = start_demo(&[
        "--fail-ratio",
        "1",
        "--graphite",
        &carbon.line_addr(),
        "--graphite-interval",
        "1s",
    ]);
    let channel = channels(demo.addr(), 1).await.remove(0);
    assert_eq!(say_hello(channel, 3).await, [Code::Unavailable; 3]);

    let method = "grpc_method.SayHello.grpc_service.helloworld_Greeter.grpc_type.unary";
    let unavailable =
        format!("health-demo.grpc_server_handled_total.grpc_code.Unavailable.{method}");
    let points = carbon
        .wait_for_point(&unavailable, |value| value == 3.0)
        .await;
    assert!(points.iter().all(|&(_, value)| value <= 3.0), "{points:?}");
    let started = format!("health-demo.grpc_server_started_total.{method}");
    carbon.wait_for_point(&started, |value| value == 3.0).await;
}

#[test]
fn bad_monitoring_flags_say_what_to_give() {
    for (args, words) in [
        (
            &["--fail-ratio", "1.5"][..],
            &["--fail-ratio", "from 0"][..],
        ),
        (&["--graphite", "carbon"], &["--graphite", "HOST:PORT"]),
        (
            &["--graphite", "127.0.0.1:2003", "--graphite-prefix", "a..b"],
            &["--graphite-prefix", "dot-separated"],
        ),
        (
            &[
                "--graphite",
                "127.0.0.1:2003",
                "--graphite-interval",
                "10ms",
            ],
            &["--graphite-interval", "at least 1s"],
        ),
    ] {
        let mut command = std::process::Command::new(test_support::bins::health_demo());
        command.args(["--addr", "127.0.0.1:0"]).args(args);
        let run = test_support::process::run_blocking(command);
        assert_ne!(run.code, 0, "{args:?} accepted");
        for word in words {
            assert!(run.stderr.contains(word), "{args:?}: {}", run.stderr);
        }
    }
}
