//! Run with `bare-client 127.0.0.1:50051`
//!
//! The floor of our stack: a health probe with nothing but tonic's channel and
//! health-lib's generated `pb` client. No flags, no TLS, no timeouts: it asks
//! `Check("")` of the address in `argv[1]` and exits 0 when the answer is
//! SERVING, 2 when it cannot connect or the call fails, 4 otherwise.
//!
//! The bench builds it exactly like grpc-probe (`--profile probe`) and times
//! both in the same run, so `probe_vs_bare` is what grpc-probe's extra features
//! cost.

use std::error::Error;
use std::process::ExitCode;

use grpc_health_proto::pb::HealthCheckRequest;
use grpc_health_proto::pb::health_check_response::ServingStatus;
use grpc_health_proto::pb::health_client::HealthClient;
use tonic::transport::Endpoint;

type BoxError = Box<dyn Error + Send + Sync>;

/// Checks `""` at `addr` and tells whether it is SERVING.
async fn run(addr: &str) -> Result<ExitCode, BoxError> {
    let channel = Endpoint::from_shared(format!("http://{addr}"))?
        .connect()
        .await?;
    let response = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await?;
    if response.get_ref().status() == ServingStatus::Serving {
        Ok(ExitCode::SUCCESS)
    } else {
        Ok(ExitCode::from(4))
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let Some(addr) = std::env::args().nth(1) else {
        eprintln!("usage: bare-client HOST:PORT");
        return ExitCode::from(1);
    };
    match run(&addr).await {
        Ok(code) => code,
        Err(error) => {
            eprintln!("bare-client: {error}");
            ExitCode::from(2)
        }
    }
}
