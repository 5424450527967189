//! The stream behind `Watch`: the current status first, then one message per
//! change, never the same status twice in a row.
//!
//! It reads the service's watch channel, which holds only the latest status,
//! so a slow reader gets the newest value rather than a backlog. When the server
//! stops after a drain, the status table wakes every channel, and the stream ends
//! with UNAVAILABLE, having sent its latest status (NOT_SERVING) first.
//!
//! **One allocation per watcher.** The boxed stream holds everything: the
//! receiver, the last status sent, the status table's copy of the name, and the
//! future waiting for the next change (`unfold` keeps it inline).
//!
//! **Batched writes, not one per watcher.** A change wakes every
//! watcher's task at once. Each hands its message to the HTTP/2 connection,
//! which wakes the connection's task; tokio runs a task woken that way next
//! (its LIFO slot), so the connection would flush after every single message:
//! one `writev` per watcher, and as many reads and wake-ups for the client.
//! Instead, a watcher that has just delivered spends the rest of its task's
//! scheduling budget ([`tokio::task::coop`]), which makes tokio queue the
//! connection's task behind the other woken watchers; it then writes every
//! message queued by then in one flush. Only the order of work changes:
//! every message is still sent, and a lone watcher is not delayed.

use std::future::poll_fn;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::stream;
use futures::{Stream, StreamExt};
use tokio::sync::watch;
use tokio::task::coop;
use tonic::Status;

use crate::ServingStatus;
use crate::pb::HealthCheckResponse;
use crate::shared::Shared;
use crate::status_table::Slot;

/// The `Watch` response stream.
pub type WatchStream = Pin<Box<dyn Stream<Item = Result<HealthCheckResponse, Status>> + Send>>;

type Message = Result<HealthCheckResponse, Status>;

/// More than tokio's budget per task poll (128), so that spending it is
/// never cut short; also the bound where no budget applies at all.
const BUDGET_BOUND: usize = 256;

/// Starts watching `service`.
pub(crate) fn watch(shared: Arc<Shared>, service: &str) -> WatchStream {
    let (name, receiver) = shared.table().subscribe(service);
    let watcher = Watcher {
        receiver: Some(receiver),
        last_sent: None,
        shared,
        name,
    };
    // Fused: once ended it keeps answering `None`, as a plain stream would.
    Box::pin(stream::unfold(Step::Watch(watcher), Step::next).fuse())
}

/// Where a stream is between two messages.
enum Step {
    Watch(Watcher),
    /// The server has stopped and the last status is out: UNAVAILABLE is next.
    Unavailable,
    Ended,
}

impl Step {
    async fn next(self) -> Option<(Message, Step)> {
        match self {
            Step::Watch(watcher) => watcher.next().await,
            Step::Unavailable => Some((Err(shutting_down()), Step::Ended)),
            Step::Ended => None,
        }
    }
}

/// One watcher's subscription; removes its name's placeholder when dropped.
struct Watcher {
    /// Taken only by `drop`.
    receiver: Option<watch::Receiver<Slot>>,
    last_sent: Option<ServingStatus>,
    shared: Arc<Shared>,
    /// The status table's own copy of the watched name.
    name: Arc<str>,
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.shared
            .table()
            .unsubscribe(&self.name, self.receiver.take());
    }
}

impl Watcher {
    /// The next message and what follows it, or `None` once the channel has
    /// closed and nothing more can come.
    async fn next(mut self) -> Option<(Message, Step)> {
        let mut just_delivered = self.last_sent.is_some();
        loop {
            let receiver = self.receiver.as_mut()?;
            if self.last_sent.is_some() && !changed(receiver, just_delivered).await {
                return None;
            }
            just_delivered = false;
            let current = receiver
                .borrow_and_update()
                .unwrap_or(ServingStatus::ServiceUnknown);
            // Read after the slot: a stop that this misses wakes the channel again.
            let stopped = self.shared.table().is_stopped();
            if self.last_sent != Some(current) {
                self.last_sent = Some(current);
                let message = HealthCheckResponse {
                    status: current.into(),
                };
                let next = if stopped {
                    Step::Unavailable
                } else {
                    Step::Watch(self)
                };
                return Some((Ok(message), next));
            }
            if stopped {
                return Some((Err(shutting_down()), Step::Ended));
            }
        }
    }
}

/// Waits for the channel to change; `false` once it has closed. When this
/// wait follows a delivery in the same poll, the task's budget is spent as it
/// starts waiting (see the module docs). The wait itself is unconstrained, so
/// that polling it again in the same poll does not schedule a spurious wake.
async fn changed(receiver: &mut watch::Receiver<Slot>, just_delivered: bool) -> bool {
    let mut change = pin!(coop::unconstrained(receiver.changed()));
    let mut spend_budget = just_delivered;
    poll_fn(|cx| {
        let polled = change.as_mut().poll(cx);
        if polled.is_pending() && std::mem::take(&mut spend_budget) {
            spend_remaining_budget(cx);
        }
        polled
    })
    .await
    .is_ok()
}

/// Uses up the current task's scheduling budget, so that tokio runs the task
/// it would run next (from its LIFO slot) only after the tasks already queued.
fn spend_remaining_budget(cx: &mut Context<'_>) {
    for _ in 0..BUDGET_BOUND {
        if !coop::has_budget_remaining() {
            return;
        }
        match coop::poll_proceed(cx) {
            Poll::Ready(spent) => spent.made_progress(),
            Poll::Pending => return,
        }
    }
}

fn shutting_down() -> Status {
    Status::unavailable("health service is shutting down")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn spends_the_budget_only_when_waiting_right_after_a_delivery() {
        let (sender, mut receiver) = watch::channel::<Slot>(None);
        // A first wait, with nothing delivered before it: the budget is kept.
        let waiting = poll_fn(|cx| {
            let mut first = pin!(changed(&mut receiver, false));
            Poll::Ready(first.as_mut().poll(cx).is_pending())
        })
        .await;
        assert!(waiting, "nothing has changed yet");
        assert!(coop::has_budget_remaining());
        // The wait that follows a delivery spends it.
        let waiting = poll_fn(|cx| {
            let mut after_delivery = pin!(changed(&mut receiver, true));
            Poll::Ready(after_delivery.as_mut().poll(cx).is_pending())
        })
        .await;
        assert!(waiting);
        assert!(!coop::has_budget_remaining());
        // A change is still seen, and a closed channel ends the wait.
        tokio::task::yield_now().await;
        sender.send_replace(Some(ServingStatus::Serving));
        assert!(changed(&mut receiver, true).await);
        drop(sender);
        assert!(!changed(&mut receiver, false).await);
    }
}
