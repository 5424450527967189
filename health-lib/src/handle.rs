//! [`HealthHandle`]: runtime control of the health service.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::ServingStatus;
use crate::error::UpdateError;
use crate::shared::Shared;
use crate::signal::termination_signal;
use crate::snapshot::CheckSnapshot;

/// Sets hand-driven services, reads check snapshots, and drains on shutdown.
///
/// Cloning is cheap; every clone controls the same service.
#[derive(Clone)]
pub struct HealthHandle {
    pub(crate) shared: Arc<Shared>,
}

impl fmt::Debug for HealthHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HealthHandle").finish_non_exhaustive()
    }
}

impl HealthHandle {
    /// Registers `service` or changes its status, as tonic-health's reporter does.
    ///
    /// Fails for names the checks drive (`""`, `liveness`, `readiness` and
    /// services mapped to a group) and after [`shutdown`](Self::shutdown).
    pub fn set_status(&self, service: &str, status: ServingStatus) -> Result<(), UpdateError> {
        self.shared.set_manual(service, Some(status))
    }

    /// `set_status(service, SERVING)`.
    pub fn set_serving(&self, service: &str) -> Result<(), UpdateError> {
        self.set_status(service, ServingStatus::Serving)
    }

    /// `set_status(service, NOT_SERVING)`.
    pub fn set_not_serving(&self, service: &str) -> Result<(), UpdateError> {
        self.set_status(service, ServingStatus::NotServing)
    }

    /// Unregisters a hand-driven service: Check answers NOT_FOUND and watchers
    /// get SERVICE_UNKNOWN.
    pub fn clear_status(&self, service: &str) -> Result<(), UpdateError> {
        self.shared.set_manual(service, None)
    }

    /// The status Check would answer for `service`, or `None` if it is unknown.
    pub fn status(&self, service: &str) -> Option<ServingStatus> {
        self.shared.table().status(service)
    }

    /// Every check's state as of the last evaluation.
    pub fn snapshot(&self) -> Vec<CheckSnapshot> {
        self.shared.snapshot()
    }

    /// Open Watch streams, across all services.
    pub fn watcher_count(&self) -> usize {
        self.shared.table().watcher_count()
    }

    /// Drains: every service goes NOT_SERVING, watchers are told, checks stop
    /// running and later updates are ignored, as grpc-go's `Shutdown()`.
    /// Open Watch streams stay open until [`drain`](Self::drain) lets the server stop.
    pub fn shutdown(&self) {
        self.shared.drain();
    }

    /// Waits for `trigger`, drains, waits `delay`, then ends open Watch streams
    /// and completes: pass it to tonic's `serve_with_shutdown` so that probes
    /// and watchers see NOT_SERVING before the listener closes.
    ///
    /// The delay gives kubelet and load balancers time to notice; keep it below
    /// the pod's `terminationGracePeriodSeconds`.
    pub async fn drain(self, trigger: impl Future<Output = ()>, delay: Duration) {
        trigger.await;
        self.shutdown();
        tokio::time::sleep(delay).await;
        self.shared.stop();
    }

    /// [`drain`](Self::drain) on the first SIGTERM or SIGINT.
    ///
    /// The signal handlers are installed by this call (see
    /// [`termination_signal`]), so the process is drain-safe from here on:
    /// call it before announcing that the server is up, as below, and a
    /// SIGTERM sent the instant after is drained rather than fatal.
    ///
    /// ```no_run
    /// # async fn run(health: grpc_health_checks::pb::health_server::HealthServer<grpc_health_checks::HealthService>, handle: grpc_health_checks::HealthHandle) -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    ///
    /// let listener = tokio::net::TcpListener::bind("0.0.0.0:50051").await?;
    /// let shutdown = handle.drain_on_signal(Duration::from_secs(5));
    /// println!("listening on {}", listener.local_addr()?);
    /// tonic::transport::Server::builder()
    ///     .add_service(health)
    ///     .serve_with_incoming_shutdown(tonic::transport::server::TcpIncoming::from(listener), shutdown)
    ///     .await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn drain_on_signal(self, delay: Duration) -> impl Future<Output = ()> + Send + 'static {
        self.drain(termination_signal(), delay)
    }
}
