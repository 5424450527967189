//! Check: every `-service` concurrently on one connection; any RPC failure
//! gives 3, otherwise any unhealthy answer gives 4, whatever the order.

use std::time::Duration;

use grpc_health_proto::pb::{HealthCheckRequest, HealthCheckResponse};

use super::CHECK;
use crate::config::Config;
use crate::exit_code::ProbeExit;
use crate::grpc::Client;
use crate::output::Outcome;

/// Checks all services, each within `timeout`, and folds their outcomes.
pub(super) async fn run(cfg: &Config, client: &Client, timeout: Duration) -> Outcome {
    match cfg.services.as_slice() {
        [one] => check(client, one, timeout).await,
        many => {
            let calls: Vec<_> = many
                .iter()
                .map(|service| {
                    let (client, service) = (client.clone(), service.clone());
                    tokio::spawn(async move {
                        check(&client, &service, timeout)
                            .await
                            .for_service(&service)
                    })
                })
                .collect();
            let mut outcomes = Vec::with_capacity(calls.len());
            for call in calls {
                outcomes.push(call.await.unwrap_or_else(|e| {
                    Outcome::new(
                        ProbeExit::RpcFailure,
                        format!("error: health rpc failed: {e}"),
                    )
                }));
            }
            fold(outcomes)
        }
    }
}

/// One Check call bounded by the RPC timeout.
async fn check(client: &Client, service: &str, timeout: Duration) -> Outcome {
    let request = HealthCheckRequest {
        service: service.to_owned(),
    };
    match client
        .unary::<_, HealthCheckResponse>(CHECK, &request, timeout)
        .await
    {
        Ok(response) => Outcome::from_status(response.status),
        Err(status) => Outcome::rpc_failed(&status, timeout),
    }
}
/// Combines per-service outcomes: worst code, all lines, retry only if every
/// failure is retryable.
fn fold(outcomes: Vec<Outcome>) -> Outcome {
    let code = ProbeExit::combine(outcomes.iter().map(|o| o.code));
    let retry = outcomes
        .iter()
        .all(|o| o.code == ProbeExit::Serving || o.retry);
    let message = outcomes
        .into_iter()
        .map(|o| o.message)
        .collect::<Vec<_>>()
        .join("\n");
    Outcome {
        code,
        message,
        retry,
    }
}
