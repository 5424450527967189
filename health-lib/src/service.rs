//! The `grpc.health.v1.Health` service: Check, Watch and List, answering
//! as the crate documentation's "Semantics" table says (its one home).
//!
//! None of them runs a check: they read what the evaluation loop last published.

use std::fmt;
use std::sync::Arc;

use tonic::{Request, Response, Status};

use crate::pb::health_server::Health;
use crate::pb::{HealthCheckRequest, HealthCheckResponse, HealthListRequest, HealthListResponse};
use crate::shared::Shared;
use crate::watch_stream::{self, WatchStream};

/// The health service; serve it as [`HealthServer`](crate::pb::health_server::HealthServer)
/// from [`HealthChecks::build`](crate::HealthChecks::build).
#[derive(Clone)]
pub struct HealthService {
    pub(crate) shared: Arc<Shared>,
}

impl fmt::Debug for HealthService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HealthService").finish_non_exhaustive()
    }
}

#[tonic::async_trait]
impl Health for HealthService {
    async fn check(
        &self,
        request: Request<HealthCheckRequest>,
    ) -> Result<Response<HealthCheckResponse>, Status> {
        // The name is not echoed: it may be huge, and it is the caller's own input.
        match self.shared.table().status(&request.get_ref().service) {
            Some(status) => Ok(Response::new(HealthCheckResponse {
                status: status.into(),
            })),
            None => Err(Status::not_found("unknown service")),
        }
    }

    async fn list(
        &self,
        _request: Request<HealthListRequest>,
    ) -> Result<Response<HealthListResponse>, Status> {
        let services = self.shared.table().list().map_err(|error| {
            Status::resource_exhausted(format!(
                "{} services registered, more than the List limit of {}",
                error.registered, error.limit
            ))
        })?;
        let statuses = services
            .into_iter()
            .map(|(name, status)| {
                (
                    name,
                    HealthCheckResponse {
                        status: status.into(),
                    },
                )
            })
            .collect();
        Ok(Response::new(HealthListResponse { statuses }))
    }

    type WatchStream = WatchStream;

    async fn watch(
        &self,
        request: Request<HealthCheckRequest>,
    ) -> Result<Response<Self::WatchStream>, Status> {
        Ok(Response::new(watch_stream::watch(
            self.shared.clone(),
            &request.get_ref().service,
        )))
    }
}

#[cfg(test)]
mod tests;
