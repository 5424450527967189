//! `-watch`: stream status changes of one service, printing each with an
//! RFC 3339 UTC timestamp, until the stream ends or a signal arrives. The
//! exit code is that of the last status.

use std::cell::Cell;
use std::time::SystemTime;

use grpc_health_checks::pb::{HealthCheckRequest, HealthCheckResponse};

use super::WATCH;
use crate::config::Config;
use crate::exit_code::Code;
use crate::grpc::{Client, Status, code};
use crate::output::{self, Outcome};

/// Watches `cfg.services[0]`; the first status must arrive within the RPC timeout.
pub(super) async fn run(cfg: &Config, client: &Client, phase: &Cell<Code>) -> Outcome {
    let request = HealthCheckRequest {
        service: cfg.services[0].clone(),
    };
    let first = async {
        let mut stream = client.call(WATCH, &request, None).await?;
        let first = stream.message::<HealthCheckResponse>().await?;
        Ok::<_, Status>((stream, first))
    };
    let (mut stream, mut next) = match tokio::time::timeout(cfg.rpc_timeout, first).await {
        Err(_) => {
            return Outcome::rpc_failed(&Status::new(code::DEADLINE_EXCEEDED, ""), cfg.rpc_timeout);
        }
        Ok(Err(status)) => return Outcome::rpc_failed(&status, cfg.rpc_timeout),
        Ok(Ok((stream, first))) => (stream, Ok(first)),
    };
    loop {
        match next {
            Ok(Some(response)) => {
                let name = output::status_name(response.status);
                eprintln!("{} status: {name}", output::timestamp(SystemTime::now()));
                phase.set(output::status_code(response.status));
            }
            Ok(None) => {
                return Outcome::new(
                    phase.get(),
                    "watch ended: the server closed the stream".into(),
                );
            }
            Err(status) => return Outcome::new(phase.get(), format!("watch ended: {status}")),
        }
        next = stream.message::<HealthCheckResponse>().await;
    }
}
