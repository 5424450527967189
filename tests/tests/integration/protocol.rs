//! Check, Watch and List over a real connection: answers and gRPC codes
//! survive the transport. The protocol rules themselves are unit tests of the
//! library calling the `Health` trait directly.

use grpc_health_checks::pb::HealthListRequest;
use grpc_health_checks::{Group, HealthChecks, ServingStatus};
use tonic::Code;

use test_support::health::{check, client, next_status, watch};
use test_support::server::start;

use ServingStatus::{NotServing, ServiceUnknown, Serving};

#[tokio::test]
async fn check_watch_and_list_answer_over_the_wire() {
    let server = start(
        HealthChecks::new()
            .service("helloworld.Greeter", Group::Readiness)
            .list_limit(5),
    )
    .await;
    let mut client = client(server.addr).await;
    assert_eq!(check(&mut client, "helloworld.Greeter").await, Ok(Serving));
    assert_eq!(check(&mut client, "nope").await, Err(Code::NotFound));

    let mut stream = watch(&mut client, "later").await;
    assert_eq!(next_status(&mut stream).await, ServiceUnknown);
    server.handle.set_not_serving("later").expect("register");
    assert_eq!(next_status(&mut stream).await, NotServing);

    let listed = client
        .list(HealthListRequest {})
        .await
        .expect("list under the cap")
        .into_inner()
        .statuses;
    let mut names: Vec<_> = listed
        .iter()
        .map(|(name, response)| (name.as_str(), response.status()))
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            ("", Serving),
            ("helloworld.Greeter", Serving),
            ("later", NotServing),
            ("liveness", Serving),
            ("readiness", Serving),
        ]
    );
    server.handle.set_serving("b").expect("the sixth");
    let error = client
        .list(HealthListRequest {})
        .await
        .expect_err("six services over a cap of five");
    assert_eq!(error.code(), Code::ResourceExhausted);
}
