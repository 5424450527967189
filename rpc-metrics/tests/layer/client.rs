//! Client-side metrics: the same layer around a tonic channel.

use grpc_rpc_metrics::{ClientMetricsService, RpcMetrics};
use prometheus_client::registry::Registry;
use tonic::Code;
use tonic::transport::Channel;

use crate::echo::{
    EchoClient, EchoServerFixture, declare, labels, ok_then_unavailable, request, value, wait_for,
};

/// A measured echo server and a measured client of it: the client's
/// registry, the server's, the server, the client.
async fn measured() -> (
    Registry,
    Registry,
    EchoServerFixture,
    EchoClient<ClientMetricsService<Channel>>,
) {
    let (mut client_registry, mut server_registry) = (Registry::default(), Registry::default());
    let server_layer = declare(RpcMetrics::server())
        .register_server(&mut server_registry)
        .expect("valid metrics");
    let server = EchoServerFixture::start(server_layer).await;
    let layer = declare(RpcMetrics::client())
        .register_client(&mut client_registry)
        .expect("valid metrics");
    let client = server.measured_client(layer).await;
    (client_registry, server_registry, server, client)
}

#[tokio::test]
async fn a_measured_client_counts_codes_and_messages() {
    let (registry, _server_registry, _server, mut client) = measured().await;

    ok_then_unavailable(&mut client).await;
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
async fn a_stream_dropped_by_its_client_counts_as_canceled_on_both_sides() {
    let (registry, server_registry, _server, mut client) = measured().await;
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
    // The server learns of it from the stream's reset, a moment later.
    let canceled = format!(r#"grpc_server_handled_total{{{stream},grpc_code="Canceled"}}"#);
    wait_for(&server_registry, &canceled, 1.0).await;
    let handling = format!("grpc_server_handling_seconds_count{{{stream}}}");
    assert_eq!(value(&server_registry, &handling), Some(1.0));
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
