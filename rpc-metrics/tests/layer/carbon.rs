//! The Graphite pusher against a real carbon-cache: the echo server's RPC
//! counts pushed as dotted paths and read back from whisper files.

use std::time::Duration;

use grpc_rpc_metrics::graphite::GraphitePusher;
use test_support::carbon::Carbon;
use tonic::Code;

use crate::echo::{request, served};

#[tokio::test]
async fn carbon_stores_the_pushed_rpc_counts() {
    let carbon = Carbon::start();
    let (registry, _server, mut client) = served().await;
    for code in [Code::Ok, Code::Ok, Code::Unavailable] {
        let _ = client.unary(request("a", code, 0)).await;
    }
    let pusher = GraphitePusher::new(carbon.line_addr(), registry)
        .prefix("echo-test.pod-1")
        .expect("valid prefix")
        .interval(Duration::from_secs(1))
        .expect("valid interval");
    let pushing = tokio::spawn(pusher.run());

    let handled = "echo-test.pod-1.grpc_server_handled_total.grpc_code";
    let method = "grpc_method.Unary.grpc_service.echo_Echo.grpc_type.unary";
    let ok = carbon
        .wait_for_point(&format!("{handled}.OK.{method}"), |v| v == 2.0)
        .await;
    let unavailable = carbon
        .wait_for_point(&format!("{handled}.Unavailable.{method}"), |v| v == 1.0)
        .await;
    let started = carbon
        .wait_for_point(
            &format!("echo-test.pod-1.grpc_server_started_total.{method}"),
            |v| v == 3.0,
        )
        .await;
    pushing.abort();
    // Whatever was stored is a count that happened, never anything else.
    for (points, most) in [(ok, 2.0), (unavailable, 1.0), (started, 3.0)] {
        assert!(points.iter().all(|&(_, value)| value <= most), "{points:?}");
    }
}
