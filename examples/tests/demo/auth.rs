//! `--auth-token`: every RPC but health needs the token.

use grpc_health_checks::ServingStatus::Serving;
use grpc_health_checks::pb::health_client::HealthClient;
use test_support::health::{check, request, wait_for};
use tonic::Code;

use crate::load::channels;
use crate::start_demo;

/// `--auth-token`: the greeter needs the bearer token (UNAUTHENTICATED
/// without it or with a wrong one), while health answers without credentials,
/// as kubelet's probe needs.
#[tokio::test]
async fn auth_token_guards_the_greeter_but_not_health() {
    use examples::greeter::{GreeterClient, HelloRequest};
    let demo = start_demo(&["--auth-token", "s3cret"]);
    let channel = channels(demo.addr(), 1).await.remove(0);
    let mut greeter = GreeterClient::new(channel.clone());
    let hello = |token: Option<&str>| {
        let mut call = tonic::Request::new(HelloRequest {
            name: "probe".into(),
        });
        if let Some(token) = token {
            call.metadata_mut()
                .insert("authorization", token.parse().expect("ascii"));
        }
        call
    };
    for token in [
        None,
        Some("Bearer wrong"),
        Some("s3cret"),
        Some("Bearer s3cret "),
    ] {
        let refused = greeter.say_hello(hello(token)).await.expect_err("refused");
        assert_eq!(refused.code(), Code::Unauthenticated, "{token:?}");
    }
    let reply = greeter
        .say_hello(hello(Some("Bearer s3cret")))
        .await
        .expect("the right token is accepted");
    assert_eq!(reply.into_inner().message, "Hello, probe!");
    // The exemption is by path prefix; a path that starts like health but
    // names the greeter still routes to the health service, which does not
    // know the method: no way around the token.
    let mut grpc = tonic::client::Grpc::new(channel.clone());
    for sneaky in [
        "/grpc.health.v1.Health/../helloworld.Greeter/SayHello",
        "/grpc.health.v1.Health//helloworld.Greeter/SayHello",
    ] {
        grpc.ready().await.expect("ready");
        let answer = grpc
            .unary(
                hello(None),
                tonic::codegen::http::uri::PathAndQuery::from_static(sneaky),
                tonic_prost::ProstCodec::<HelloRequest, examples::greeter::HelloReply>::default(),
            )
            .await
            .expect_err("never reaches the greeter");
        assert_eq!(answer.code(), Code::Unimplemented, "{sneaky}");
    }
    let mut health = HealthClient::new(channel);
    for service in ["", "liveness", "readiness", "helloworld.Greeter"] {
        assert_eq!(
            check(&mut health, service).await,
            Ok(Serving),
            "{service:?}"
        );
    }
    let mut watch = health
        .watch(request(""))
        .await
        .expect("Watch without a token");
    wait_for(watch.get_mut(), Serving).await;
    health
        .list(grpc_health_checks::pb::HealthListRequest {})
        .await
        .expect("List without a token");
}
