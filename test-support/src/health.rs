//! A tonic `grpc.health.v1` client and Check/Watch helpers whose waits end in
//! a test failure instead of a hang.

use std::fmt::Display;
use std::time::Duration;

use grpc_health_checks::ServingStatus;
use grpc_health_proto::pb::health_client::HealthClient;
use grpc_health_proto::pb::{HealthCheckRequest, HealthCheckResponse};
use tonic::transport::Channel;
use tonic::{Code, Streaming};

use crate::HANG_GUARD;

/// A client connected to `addr` (`host:port`) over plaintext HTTP/2.
pub async fn client(addr: impl Display) -> HealthClient<Channel> {
    let channel = Channel::from_shared(format!("http://{addr}"))
        .expect("a valid URI")
        .connect_timeout(HANG_GUARD)
        .connect()
        .await
        .unwrap_or_else(|error| panic!("connect to {addr}: {error}"));
    HealthClient::new(channel)
}

/// The request for `service`.
pub fn request(service: &str) -> HealthCheckRequest {
    HealthCheckRequest {
        service: service.to_owned(),
    }
}

/// Check's answer: a status, or the gRPC code it failed with.
pub async fn check(
    client: &mut HealthClient<Channel>,
    service: &str,
) -> Result<ServingStatus, Code> {
    check_within(client, service, HANG_GUARD).await
}

/// Check with a caller's deadline, sent as `grpc-timeout` too: the answer must
/// arrive within `deadline`, or the test fails.
pub async fn check_within(
    client: &mut HealthClient<Channel>,
    service: &str,
    deadline: Duration,
) -> Result<ServingStatus, Code> {
    let mut call = tonic::Request::new(request(service));
    call.set_timeout(deadline);
    tokio::time::timeout(deadline, client.check(call))
        .await
        .unwrap_or_else(|_| panic!("Check({service:?}) missed its {deadline:?} deadline"))
        .map(|response| response.into_inner().status())
        .map_err(|status| status.code())
}

/// Opens a Watch stream for `service`.
pub async fn watch(
    client: &mut HealthClient<Channel>,
    service: &str,
) -> Streaming<HealthCheckResponse> {
    tokio::time::timeout(HANG_GUARD, client.watch(request(service)))
        .await
        .unwrap_or_else(|_| panic!("Watch({service:?}) did not start within {HANG_GUARD:?}"))
        .unwrap_or_else(|status| panic!("Watch({service:?}) failed: {status}"))
        .into_inner()
}

/// The next Watch message's status, failing the test if none comes.
pub async fn next_status(stream: &mut Streaming<HealthCheckResponse>) -> ServingStatus {
    tokio::time::timeout(HANG_GUARD, stream.message())
        .await
        .unwrap_or_else(|_| panic!("no Watch message within {HANG_GUARD:?}"))
        .unwrap_or_else(|status| panic!("the Watch stream failed: {status}"))
        .expect("the Watch stream is still open")
        .status()
}

/// Reads Watch messages until `wanted` arrives.
pub async fn wait_for(stream: &mut Streaming<HealthCheckResponse>, wanted: ServingStatus) {
    while next_status(stream).await != wanted {}
}
