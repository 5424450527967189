//! Client-side metrics: the same layer around a tonic channel.

use grpc_rpc_metrics::RpcMetrics;
use prometheus_client::registry::Registry;
use tonic::Code;

use crate::echo::{EchoServerFixture, declare, labels, request, value};

#[tokio::test]
async fn a_measured_client_counts_codes_and_messages() {
    let mut registry = Registry::default();
    let server_layer = declare(RpcMetrics::server())
        .register_server(&mut Registry::default())
        .expect("valid metrics");
    let server = EchoServerFixture::start(server_layer).await;
    let layer = declare(RpcMetrics::client())
        .register_client(&mut registry)
        .expect("valid metrics");
    let mut client = server.measured_client(layer).await;

    client
        .unary(request("a", Code::Ok, 0))
        .await
        .expect("OK call");
    let error = client
        .unary(request("b", Code::Unavailable, 0))
        .await
        .expect_err("asked to fail");
    assert_eq!(error.code(), Code::Unavailable);
    let mut replies = client
        .bidi_stream(tokio_stream::iter(vec![request("c", Code::Ok, 0); 2]))
        .await
        .expect("stream starts")
        .into_inner();
    while replies.message().await.expect("no error").is_some() {}

    let unary = labels("unary", "Unary");
    let bidi = labels("bidi_stream", "BidiStream");
    for (series, wanted) in [
        (format!("grpc_client_started_total{{{unary}}}"), 2.0),
        (
            format!(r#"grpc_client_handled_total{{{unary},grpc_code="OK"}}"#),
            1.0,
        ),
        (
            format!(r#"grpc_client_handled_total{{{unary},grpc_code="Unavailable"}}"#),
            1.0,
        ),
        (format!("grpc_client_msg_sent_total{{{unary}}}"), 2.0),
        (format!("grpc_client_msg_received_total{{{unary}}}"), 1.0),
        (format!("grpc_client_msg_sent_total{{{bidi}}}"), 2.0),
        (format!("grpc_client_msg_received_total{{{bidi}}}"), 2.0),
        (
            format!(r#"grpc_client_handled_total{{{bidi},grpc_code="OK"}}"#),
            1.0,
        ),
        (format!("grpc_client_handling_seconds_count{{{bidi}}}"), 1.0),
    ] {
        assert_eq!(value(&registry, &series), Some(wanted), "{series}");
    }
}

#[tokio::test]
async fn a_client_that_stops_reading_a_stream_counts_it_as_canceled() {
    let mut registry = Registry::default();
    let server_layer = declare(RpcMetrics::server())
        .register_server(&mut Registry::default())
        .expect("valid metrics");
    let server = EchoServerFixture::start(server_layer).await;
    let layer = declare(RpcMetrics::client())
        .register_client(&mut registry)
        .expect("valid metrics");
    let mut client = server.measured_client(layer).await;
    let mut hanging = request("a", Code::Ok, 1);
    hanging.hang = true;
    let mut replies = client
        .server_stream(hanging)
        .await
        .expect("stream starts")
        .into_inner();
    replies
        .message()
        .await
        .expect("first reply")
        .expect("a reply");
    drop(replies);

    let stream = labels("server_stream", "ServerStream");
    let canceled = format!(r#"grpc_client_handled_total{{{stream},grpc_code="Canceled"}}"#);
    assert_eq!(value(&registry, &canceled), Some(1.0));
}

#[tokio::test]
async fn a_channel_that_cannot_connect_counts_unavailable() {
    let mut registry = Registry::default();
    let layer = declare(RpcMetrics::client())
        .register_client(&mut registry)
        .expect("valid metrics");
    let port = test_support::process::free_port();
    let channel = tonic::transport::Channel::from_shared(format!("http://127.0.0.1:{port}"))
        .expect("valid uri")
        .connect_lazy();
    let mut client =
        crate::echo::EchoClient::new(tower::ServiceBuilder::new().layer(layer).service(channel));
    let error = client
        .unary(request("a", Code::Ok, 0))
        .await
        .expect_err("nothing listens");
    assert_eq!(error.code(), Code::Unavailable);

    let unary = labels("unary", "Unary");
    let handled = format!(r#"grpc_client_handled_total{{{unary},grpc_code="Unavailable"}}"#);
    assert_eq!(value(&registry, &handled), Some(1.0));
}
