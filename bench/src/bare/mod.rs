//! What the bare clients (`bare-client`, `bare-tls-client`) share: nothing
//! but tonic's channel and grpc-health-proto's generated `pb` client. They ask
//! `Check("")` of one address and exit 0 when the answer is SERVING, 2 when
//! they cannot connect or the call fails, 4 otherwise; 1 on bad arguments.

use std::error::Error;
use std::process::ExitCode;

use grpc_health_proto::pb::HealthCheckRequest;
use grpc_health_proto::pb::health_check_response::ServingStatus;
use grpc_health_proto::pb::health_client::HealthClient;
use tonic::transport::Endpoint;

/// Any failure of a bare client.
pub(crate) type BoxError = Box<dyn Error + Send + Sync>;

/// Checks `""` at `endpoint` and tells whether it is SERVING.
async fn check(endpoint: Endpoint) -> Result<ExitCode, BoxError> {
    let channel = endpoint.connect().await?;
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

/// The client `name`: `endpoint` makes the endpoint of the arguments (after
/// the program's name), or says what is wrong with them; then one Check on a
/// current-thread runtime.
pub(crate) fn main(
    name: &str,
    endpoint: impl FnOnce(&[String]) -> Result<Endpoint, String>,
) -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let endpoint = match endpoint(&args) {
        Ok(endpoint) => endpoint,
        Err(usage) => {
            eprintln!("usage: {name} {usage}");
            return ExitCode::from(1);
        }
    };
    let checked = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(BoxError::from)
        .map(|runtime| runtime.block_on(check(endpoint)));
    match checked.and_then(|checked| checked) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("{name}: {error}");
            ExitCode::from(2)
        }
    }
}

/// A plaintext endpoint for `addr` (`HOST:PORT`).
pub(crate) fn plaintext(addr: &str) -> Result<Endpoint, String> {
    Endpoint::from_shared(format!("http://{addr}")).map_err(|error| format!("HOST:PORT ({error})"))
}
