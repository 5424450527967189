//! `-watch`: stream status changes of one service, printing each with an
//! RFC 3339 UTC timestamp, until the stream ends or a signal arrives. The
//! exit code is that of the last status.

use std::cell::Cell;
use std::time::SystemTime;

use grpc_health_proto::pb::{HealthCheckRequest, HealthCheckResponse};

use super::WATCH;
use crate::config::Config;
use crate::exit_code::ProbeExit;
use crate::grpc::Client;
use crate::messages;
use crate::output::{self, Outcome};

/// Watches `cfg.services[0]`; the first status must arrive within the RPC
/// timeout. Each status becomes the exit code should a signal end the watch.
pub(super) async fn run(
    cfg: &Config,
    client: &Client,
    if_interrupted: &Cell<ProbeExit>,
) -> Outcome {
    let request = HealthCheckRequest {
        service: cfg.services[0].clone(),
    };
    let (mut next, mut stream) = match client
        .server_stream::<_, HealthCheckResponse>(WATCH, &request, cfg.rpc_timeout)
        .await
    {
        Ok((first, stream)) => (Ok(first), stream),
        Err(status) => return Outcome::rpc_failed(&status, cfg.rpc_timeout),
    };
    loop {
        match next {
            Ok(Some(response)) => {
                let name = output::status_name(response.status);
                let at = output::timestamp(SystemTime::now());
                messages::report(&format!("{at} status: {name}"));
                if_interrupted.set(output::status_code(response.status));
            }
            Ok(None) => {
                return Outcome::new(
                    if_interrupted.get(),
                    "watch ended: the server closed the stream".into(),
                );
            }
            Err(status) => {
                return Outcome::new(if_interrupted.get(), format!("watch ended: {status}"));
            }
        }
        next = stream.message::<HealthCheckResponse>().await;
    }
}
