//! Naive evaluation, the design health-lib replaced: every Check call runs
//! every check, so each probe costs a dependency call and waits for it.

use std::pin::Pin;
use std::sync::Arc;

use grpc_health_checks::pb::health_check_response::ServingStatus;
use grpc_health_checks::pb::health_server::Health;
use grpc_health_checks::pb::{
    HealthCheckRequest, HealthCheckResponse, HealthListRequest, HealthListResponse,
};
use tokio_stream::Stream;
use tonic::{Request, Response, Status};

/// A `Health` service that evaluates its checks inside every Check call.
#[derive(Debug, Clone)]
pub(crate) struct NaiveHealth {
    dependencies: Arc<[crate::dependency::Dependency]>,
}

impl NaiveHealth {
    /// Checks `dependencies` on every call.
    pub(crate) fn new(dependencies: Vec<crate::dependency::Dependency>) -> Self {
        Self {
            dependencies: dependencies.into(),
        }
    }
}

#[tonic::async_trait]
impl Health for NaiveHealth {
    async fn check(
        &self,
        request: Request<HealthCheckRequest>,
    ) -> Result<Response<HealthCheckResponse>, Status> {
        if !request.get_ref().service.is_empty() {
            return Err(Status::not_found("unknown service"));
        }
        let mut serving = true;
        for dependency in self.dependencies.iter() {
            serving &= dependency.call().await;
        }
        let status = if serving {
            ServingStatus::Serving
        } else {
            ServingStatus::NotServing
        };
        Ok(Response::new(HealthCheckResponse {
            status: status.into(),
        }))
    }

    async fn list(
        &self,
        _request: Request<HealthListRequest>,
    ) -> Result<Response<HealthListResponse>, Status> {
        Err(Status::unimplemented("not measured"))
    }

    type WatchStream =
        Pin<Box<dyn Stream<Item = Result<HealthCheckResponse, Status>> + Send + 'static>>;

    async fn watch(
        &self,
        _request: Request<HealthCheckRequest>,
    ) -> Result<Response<Self::WatchStream>, Status> {
        Err(Status::unimplemented("not measured"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dependency::Dependency;
    use std::time::{Duration, Instant};

    #[tokio::test]
    async fn every_check_calls_every_dependency() {
        let dependency = Dependency::slow(Duration::ZERO);
        let service = NaiveHealth::new(vec![dependency.clone()]);
        let from = Instant::now();
        for _ in 0..3 {
            let response = service
                .check(Request::new(HealthCheckRequest::default()))
                .await
                .expect("answered");
            assert_eq!(response.get_ref().status(), ServingStatus::Serving);
        }
        assert_eq!(dependency.calls_per_s(from, Duration::from_secs(1)), 3.0);
    }
}
