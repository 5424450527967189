//! The stream behind `Watch`: the current status first, then one message per
//! change, never the same status twice in a row.
//!
//! It reads a watch channel, which holds only the latest status, so a slow
//! reader gets the newest value rather than a backlog. It ends with UNAVAILABLE
//! once the server stops after a drain, having sent NOT_SERVING first.

use std::pin::Pin;
use std::sync::Arc;

use futures::Stream;
use tokio::sync::watch;
use tonic::Status;

use crate::ServingStatus;
use crate::drain::Phase;
use crate::pb::HealthCheckResponse;
use crate::registry::Slot;
use crate::shared::Shared;

/// The `Watch` response stream.
pub type WatchStream = Pin<Box<dyn Stream<Item = Result<HealthCheckResponse, Status>> + Send>>;

/// A subscription that removes its placeholder when dropped.
struct Subscription {
    shared: Arc<Shared>,
    service: String,
    status: Option<watch::Receiver<Slot>>,
    phase: watch::Receiver<Phase>,
    last_sent: Option<ServingStatus>,
    ended: bool,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if let Some(receiver) = self.status.take() {
            self.shared.registry().unsubscribe(&self.service, receiver);
        }
    }
}

impl Subscription {
    /// The next message, or `None` when the stream is over.
    async fn next(&mut self) -> Option<Result<HealthCheckResponse, Status>> {
        if self.ended {
            return None;
        }
        let status = self.status.as_mut()?;
        loop {
            let current = status
                .borrow_and_update()
                .unwrap_or(ServingStatus::ServiceUnknown);
            if self.last_sent != Some(current) {
                self.last_sent = Some(current);
                return Some(Ok(HealthCheckResponse {
                    status: current.into(),
                }));
            }
            tokio::select! {
                changed = status.changed() => if changed.is_err() { return None },
                _ = self.phase.wait_for(|phase| *phase == Phase::Stopped) => {
                    self.ended = true;
                    return Some(Err(Status::unavailable("health service is shutting down")));
                }
            }
        }
    }
}

/// Starts watching `service`.
pub(crate) fn watch(shared: Arc<Shared>, service: String) -> WatchStream {
    let subscription = Subscription {
        status: Some(shared.registry().subscribe(&service)),
        phase: shared.phase(),
        shared,
        service,
        last_sent: None,
        ended: false,
    };
    Box::pin(futures::stream::unfold(
        subscription,
        |mut subscription| async move {
            let message = subscription.next().await?;
            Some((message, subscription))
        },
    ))
}
