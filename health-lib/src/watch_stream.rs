//! The stream behind `Watch`: the current status first, then one message per
//! change, never the same status twice in a row.
//!
//! It reads the service's watch channel, which holds only the latest status,
//! so a slow reader gets the newest value rather than a backlog. When the server
//! stops after a drain, the registry wakes every channel, and the stream ends
//! with UNAVAILABLE, having sent its latest status (NOT_SERVING) first.
//!
//! It is polled once per delivered message for every watcher, so it is a plain
//! state machine over one reused `changed()` future: no second channel to
//! wait on, no `select!`, no async block per message.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use futures::{Stream, StreamExt};
use tokio_stream::wrappers::WatchStream as Changes;
use tonic::Status;

use crate::ServingStatus;
use crate::pb::HealthCheckResponse;
use crate::registry::Slot;
use crate::shared::Shared;

/// The `Watch` response stream.
pub type WatchStream = Pin<Box<dyn Stream<Item = Result<HealthCheckResponse, Status>> + Send>>;

/// One Watch stream; removes its name's placeholder when dropped.
struct Subscription {
    /// The service's slot, yielded now and after each change; `None` once ended.
    changes: Option<Changes<Slot>>,
    last_sent: Option<ServingStatus>,
    /// The server has stopped and the last status is out: UNAVAILABLE is next.
    stopping: bool,
    shared: Arc<Shared>,
    service: String,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.shared
            .registry()
            .unsubscribe(&self.service, self.changes.take());
    }
}

impl Subscription {
    /// The last message: the server has stopped.
    fn end_unavailable(&mut self) -> Poll<Option<<Self as Stream>::Item>> {
        self.stopping = false;
        self.changes = None;
        Poll::Ready(Some(Err(Status::unavailable(
            "health service is shutting down",
        ))))
    }
}

impl Stream for Subscription {
    type Item = Result<HealthCheckResponse, Status>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.stopping {
            return this.end_unavailable();
        }
        let Some(changes) = this.changes.as_mut() else {
            return Poll::Ready(None);
        };
        loop {
            let Some(slot) = ready!(changes.poll_next_unpin(cx)) else {
                // The channel closed: nothing more will come.
                this.changes = None;
                return Poll::Ready(None);
            };
            let current = slot.unwrap_or(ServingStatus::ServiceUnknown);
            // Read after the slot: a stop that this misses wakes the channel again.
            let stopped = this.shared.registry().is_stopped();
            if this.last_sent != Some(current) {
                this.last_sent = Some(current);
                this.stopping = stopped;
                return Poll::Ready(Some(Ok(HealthCheckResponse {
                    status: current.into(),
                })));
            }
            if stopped {
                return this.end_unavailable();
            }
        }
    }
}

/// Starts watching `service`.
pub(crate) fn watch(shared: Arc<Shared>, service: String) -> WatchStream {
    let receiver = shared.registry().subscribe(&service);
    Box::pin(Subscription {
        changes: Some(Changes::new(receiver)),
        last_sent: None,
        stopping: false,
        shared,
        service,
    })
}
