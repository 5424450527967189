//! Server-side metrics of each RPC kind and outcome.

use grpc_rpc_metrics::{RpcKind, RpcMetrics, UnknownMethods};
use tonic::Code;

use crate::echo::{
    labels, ok_then_unavailable, request, scrape, served, served_with, value, wait_for,
};

#[tokio::test]
async fn unary_calls_count_by_final_code() {
    let (registry, _server, mut client) = served().await;
    ok_then_unavailable(&mut client).await;

    let unary = labels("unary", "Unary");
    let series = |name: &str| format!("{name}{{{unary}}}");
    assert_eq!(
        value(&registry, &series("grpc_server_started_total")),
        Some(2.0)
    );
    assert_eq!(
        value(&registry, &series("grpc_server_msg_received_total")),
        Some(2.0)
    );
    // The failed call sent no message, only its status.
    assert_eq!(
        value(&registry, &series("grpc_server_msg_sent_total")),
        Some(1.0)
    );
    assert_eq!(
        value(&registry, &series("grpc_server_handling_seconds_count")),
        Some(2.0)
    );
    for (code, count) in [
        ("OK", Some(1.0)),
        ("Unavailable", Some(1.0)),
        ("Canceled", None),
    ] {
        let handled = format!(r#"grpc_server_handled_total{{{unary},grpc_code="{code}"}}"#);
        assert_eq!(value(&registry, &handled), count, "{handled}");
    }
}

#[tokio::test]
async fn client_streams_count_every_request_message() {
    let (registry, _server, mut client) = served().await;
    let requests = vec![
        request("a", Code::Ok, 0),
        request("b", Code::Ok, 0),
        request("c", Code::InvalidArgument, 0),
    ];
    let error = client
        .client_stream(tokio_stream::iter(requests))
        .await
        .expect_err("the last request asks to fail");
    assert_eq!(error.code(), Code::InvalidArgument);

    let stream = labels("client_stream", "ClientStream");
    assert_eq!(
        value(
            &registry,
            &format!("grpc_server_msg_received_total{{{stream}}}")
        ),
        Some(3.0)
    );
    assert_eq!(
        value(
            &registry,
            &format!("grpc_server_msg_sent_total{{{stream}}}")
        ),
        Some(0.0)
    );
    let handled = format!(r#"grpc_server_handled_total{{{stream},grpc_code="InvalidArgument"}}"#);
    assert_eq!(value(&registry, &handled), Some(1.0));
}

#[tokio::test]
async fn an_error_inside_a_server_stream_is_its_final_code() {
    let (registry, _server, mut client) = served().await;
    let mut replies = client
        .server_stream(request("a", Code::FailedPrecondition, 2))
        .await
        .expect("stream starts")
        .into_inner();
    let mut received = 0;
    let error = loop {
        match replies.message().await {
            Ok(Some(_)) => received += 1,
            Ok(None) => panic!("the stream ended without its error"),
            Err(status) => break status,
        }
    };
    assert_eq!((received, error.code()), (2, Code::FailedPrecondition));

    let stream = labels("server_stream", "ServerStream");
    assert_eq!(
        value(
            &registry,
            &format!("grpc_server_msg_sent_total{{{stream}}}")
        ),
        Some(2.0)
    );
    assert_eq!(
        value(
            &registry,
            &format!("grpc_server_msg_received_total{{{stream}}}")
        ),
        Some(1.0)
    );
    for (code, count) in [("FailedPrecondition", Some(1.0)), ("OK", None)] {
        let handled = format!(r#"grpc_server_handled_total{{{stream},grpc_code="{code}"}}"#);
        assert_eq!(value(&registry, &handled), count, "{handled}");
    }
}

#[tokio::test]
async fn bidi_streams_count_both_ways() {
    let (registry, _server, mut client) = served().await;
    let requests = vec![request("a", Code::Ok, 0); 3];
    let mut replies = client
        .bidi_stream(tokio_stream::iter(requests))
        .await
        .expect("stream starts")
        .into_inner();
    let mut received = 0;
    while replies.message().await.expect("no error").is_some() {
        received += 1;
    }
    assert_eq!(received, 3);

    let bidi = labels("bidi_stream", "BidiStream");
    assert_eq!(
        value(
            &registry,
            &format!("grpc_server_msg_received_total{{{bidi}}}")
        ),
        Some(3.0)
    );
    assert_eq!(
        value(&registry, &format!("grpc_server_msg_sent_total{{{bidi}}}")),
        Some(3.0)
    );
    let handled = format!(r#"grpc_server_handled_total{{{bidi},grpc_code="OK"}}"#);
    assert_eq!(value(&registry, &handled), Some(1.0));
}

#[tokio::test]
async fn a_unary_call_abandoned_before_its_answer_counts_as_canceled() {
    let (registry, _server, client) = served().await;
    let mut hanging = request("a", Code::Ok, 0);
    hanging.hang = true;
    let call = tokio::spawn(async move { client.clone().unary(hanging).await });
    let unary = labels("unary", "Unary");
    // The server has the request: its handler now waits forever.
    wait_for(
        &registry,
        &format!("grpc_server_msg_received_total{{{unary}}}"),
        1.0,
    )
    .await;
    call.abort();

    wait_for(
        &registry,
        &format!(r#"grpc_server_handled_total{{{unary},grpc_code="Canceled"}}"#),
        1.0,
    )
    .await;
}

#[tokio::test]
async fn health_calls_are_left_out_unless_asked_for() {
    for include in [false, true] {
        let metrics = crate::echo::declare(RpcMetrics::server()).method(
            "grpc.health.v1.Health",
            "Check",
            RpcKind::Unary,
        );
        let metrics = if include {
            metrics.include_health()
        } else {
            metrics
        };
        let (registry, server, _client) = served_with(metrics).await;
        let answer =
            test_support::health::check(&mut test_support::health::client(server.addr).await, "")
                .await;
        assert!(answer.is_ok(), "health answers: {answer:?}");

        let health =
            r#"grpc_type="unary",grpc_service="grpc.health.v1.Health",grpc_method="Check""#;
        let handled = format!(r#"grpc_server_handled_total{{{health},grpc_code="OK"}}"#);
        let unknown = r#"grpc_server_started_total{grpc_type="unknown",grpc_service="unknown",grpc_method="unknown"}"#;
        assert_eq!(
            value(&registry, &handled),
            include.then_some(1.0),
            "include_health: {include}"
        );
        assert_eq!(
            value(&registry, unknown),
            Some(0.0),
            "health is never counted as unknown"
        );
    }
}

#[tokio::test]
async fn undeclared_methods_never_become_labels() {
    for (unknown, counted) in [
        (UnknownMethods::CountAsUnknown, Some(1.0)),
        (UnknownMethods::Ignore, None),
    ] {
        let metrics = RpcMetrics::server()
            .method("echo.Echo", "Unary", RpcKind::Unary)
            .unknown_methods(unknown);
        let (registry, _server, mut client) = served_with(metrics).await;
        let mut replies = client
            .server_stream(request("a", Code::Ok, 1))
            .await
            .expect("served, though not declared")
            .into_inner();
        while replies.message().await.expect("no error").is_some() {}

        let text = scrape(&registry);
        assert!(!text.contains("ServerStream"), "{text}");
        let handled = r#"grpc_server_handled_total{grpc_type="unknown",grpc_service="unknown",grpc_method="unknown",grpc_code="OK"}"#;
        assert_eq!(value(&registry, handled), counted, "{unknown:?}: {text}");
    }
}

#[tokio::test]
async fn opentelemetry_names_record_the_duration_by_numeric_code() {
    let metrics = crate::echo::declare(RpcMetrics::server()).opentelemetry_names();
    let (registry, _server, mut client) = served_with(metrics).await;
    let error = client
        .unary(request("a", Code::Unavailable, 0))
        .await
        .expect_err("asked to fail");
    assert_eq!(error.code(), Code::Unavailable);

    let otel = r#"rpc_server_call_duration_seconds_count{rpc_system="grpc",rpc_service="echo.Echo",rpc_method="Unary",rpc_grpc_status_code="14"}"#;
    assert_eq!(value(&registry, otel), Some(1.0));
    let text = scrape(&registry);
    assert!(
        text.contains("# UNIT rpc_server_call_duration_seconds seconds\n"),
        "{text}"
    );
    // Beside, not instead of, go-grpc-middleware's names.
    assert!(
        text.contains("# TYPE grpc_server_handled counter\n"),
        "{text}"
    );
}

#[test]
fn bad_configurations_say_what_to_fix() {
    let mut registry = prometheus_client::registry::Registry::default();
    let cases = [
        (
            RpcMetrics::server().method("echo.Echo", "/Unary", RpcKind::Unary),
            "without slashes",
        ),
        (
            RpcMetrics::server().method("", "Unary", RpcKind::Unary),
            "without slashes",
        ),
        (
            RpcMetrics::server()
                .method("echo.Echo", "Unary", RpcKind::Unary)
                .method("echo.Echo", "Unary", RpcKind::ServerStream),
            "declared twice",
        ),
        (RpcMetrics::server().buckets([1.0, 0.5]), "increasing order"),
        (RpcMetrics::server().buckets([]), "at least one"),
        (RpcMetrics::server().buckets([f64::NAN]), "finite"),
    ];
    for (metrics, words) in cases {
        let error = metrics.register_server(&mut registry).expect_err("refused");
        assert!(error.to_string().contains(words), "{error}");
    }
    let error = RpcMetrics::client()
        .register_server(&mut registry)
        .expect_err("wrong side");
    assert!(
        error.to_string().contains("RpcMetrics::server()"),
        "{error}"
    );
}
