//! The listener contract: events in order, and no listener, slow or
//! panicking, holds up evaluation.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;

use super::*;
use crate::test_support::{EVENT_TIMEOUT, wait_until};
use crate::{Check, HealthChecks, HealthHandle};

use ServingStatus::{NotServing, Serving};

/// An event as a listener saw it, without the parts that vary between runs.
#[derive(Debug, PartialEq, Eq)]
enum Seen {
    Ran(String, RunOutcome, CheckStatus),
    Changed(String, Option<ServingStatus>, Option<ServingStatus>),
}

/// Forwards every event to a channel.
struct Record(mpsc::UnboundedSender<Seen>);

impl HealthListener for Record {
    fn check_ran(&self, event: &CheckRan<'_>) {
        let _ = self.0.send(Seen::Ran(
            event.check.to_owned(),
            event.outcome,
            event.status,
        ));
    }

    fn status_changed(&self, event: &StatusChanged<'_>) {
        let _ = self.0.send(Seen::Changed(
            event.service.to_owned(),
            event.from,
            event.to,
        ));
    }
}

fn recorder() -> (Record, mpsc::UnboundedReceiver<Seen>) {
    let (sender, receiver) = mpsc::unbounded_channel();
    (Record(sender), receiver)
}

async fn next(events: &mut mpsc::UnboundedReceiver<Seen>) -> Seen {
    tokio::time::timeout(EVENT_TIMEOUT, events.recv())
        .await
        .expect("an event in time")
        .expect("listener alive")
}

fn changed(service: &str, from: Option<ServingStatus>, to: Option<ServingStatus>) -> Seen {
    Seen::Changed(service.to_owned(), from, to)
}

#[tokio::test]
async fn a_listener_hears_registrations_runs_and_changes_in_order() {
    let (record, mut events) = recorder();
    let (_health, handle) = HealthChecks::new()
        .interval(Duration::from_secs(3600))
        .check(Check::new("db", || true))
        .listener(record)
        .build()
        .expect("valid health configuration");
    let expected = [
        changed("", None, Some(NotServing)),
        changed("liveness", None, Some(Serving)),
        changed("readiness", None, Some(NotServing)),
        Seen::Ran("db".to_owned(), RunOutcome::Success, CheckStatus::Passing),
        changed("", Some(NotServing), Some(Serving)),
        changed("readiness", Some(NotServing), Some(Serving)),
    ];
    for want in expected {
        assert_eq!(next(&mut events).await, want);
    }
    handle.set_serving("billing").expect("registers");
    handle.clear_status("billing").expect("clears");
    assert_eq!(
        next(&mut events).await,
        changed("billing", None, Some(Serving))
    );
    assert_eq!(
        next(&mut events).await,
        changed("billing", Some(Serving), None)
    );
    handle.shutdown();
    let mut drained: Vec<_> = [
        next(&mut events).await,
        next(&mut events).await,
        next(&mut events).await,
    ]
    .into_iter()
    .collect();
    drained.sort_by_key(|seen| format!("{seen:?}"));
    assert_eq!(
        drained,
        [
            changed("", Some(Serving), Some(NotServing)),
            changed("liveness", Some(Serving), Some(NotServing)),
            changed("readiness", Some(Serving), Some(NotServing)),
        ]
    );
}

/// Blocks on its first event until released, counting what it is handed.
struct Blocked {
    release: Mutex<std::sync::mpsc::Receiver<()>>,
    handed: Arc<AtomicUsize>,
}

impl HealthListener for Blocked {
    fn check_ran(&self, _event: &CheckRan<'_>) {
        if self.handed.fetch_add(1, Ordering::SeqCst) == 0 {
            let _ = self.release.lock().map(|release| release.recv());
        }
    }
}

fn evaluations(handle: &HealthHandle) -> u64 {
    handle.snapshot()[0].evaluations
}

#[tokio::test]
async fn a_blocked_listener_holds_up_neither_evaluation_nor_updates() {
    let (release, released) = std::sync::mpsc::channel();
    let handed = Arc::new(AtomicUsize::new(0));
    let blocked = Blocked {
        release: Mutex::new(released),
        handed: handed.clone(),
    };
    let (_health, handle) = HealthChecks::new()
        .interval(Duration::from_millis(1))
        .check(Check::new("db", || true))
        .listener(blocked)
        .build()
        .expect("valid health configuration");
    wait_until("evaluation goes on while the listener is blocked", || {
        evaluations(&handle) >= 20
    })
    .await;
    assert_eq!(
        handed.load(Ordering::SeqCst),
        1,
        "still blocked on its first event"
    );
    handle
        .set_serving("billing")
        .expect("an update does not wait either");
    release.send(()).expect("the listener is waiting");
    wait_until("the listener catches up", || {
        handed.load(Ordering::SeqCst) > 1
    })
    .await;
}

/// Panics on every event, after counting it.
struct Panicking(Arc<AtomicUsize>);

impl HealthListener for Panicking {
    fn check_ran(&self, _event: &CheckRan<'_>) {
        self.0.fetch_add(1, Ordering::SeqCst);
        panic!("listener bug");
    }
}

#[tokio::test]
async fn a_panicking_listener_keeps_receiving_and_harms_no_one() {
    let calls = Arc::new(AtomicUsize::new(0));
    let (record, mut events) = recorder();
    let (_health, handle) = HealthChecks::new()
        .interval(Duration::from_millis(1))
        .check(Check::new("db", || true))
        .listener(Panicking(calls.clone()))
        .listener(record)
        .build()
        .expect("valid health configuration");
    wait_until("the panicking listener is called again and again", || {
        calls.load(Ordering::SeqCst) >= 5
    })
    .await;
    wait_until("evaluation goes on", || evaluations(&handle) >= 5).await;
    let mut runs = 0;
    while runs < 5 {
        if let Seen::Ran(..) = next(&mut events).await {
            runs += 1;
        }
    }
}

#[test]
fn outcomes_index_their_own_position() {
    for (index, outcome) in RunOutcome::ALL.into_iter().enumerate() {
        assert_eq!(outcome as usize, index);
    }
}

/// Counts the events it is handed, blocking on the first until released, and
/// says when its thread has let it go.
struct Counting {
    release: Mutex<std::sync::mpsc::Receiver<()>>,
    handed: Arc<AtomicUsize>,
    gone: Mutex<Option<std::sync::mpsc::Sender<()>>>,
}

impl HealthListener for Counting {
    fn status_changed(&self, _event: &StatusChanged<'_>) {
        if self.handed.fetch_add(1, Ordering::SeqCst) == 0 {
            let _ = self.release.lock().map(|release| release.recv());
        }
    }
}

impl Drop for Counting {
    fn drop(&mut self) {
        if let Ok(mut gone) = self.gone.lock()
            && let Some(gone) = gone.take()
        {
            let _ = gone.send(());
        }
    }
}

#[test]
fn a_full_queue_drops_new_events_instead_of_waiting() {
    let (release, released) = std::sync::mpsc::channel();
    let (gone, went) = std::sync::mpsc::channel();
    let handed = Arc::new(AtomicUsize::new(0));
    let queued = super::queue::Queued::start(Box::new(Counting {
        release: Mutex::new(released),
        handed: handed.clone(),
        gone: Mutex::new(Some(gone)),
    }))
    .expect("the listener's thread starts");
    let event = StatusChanged {
        service: "billing",
        from: None,
        to: Some(Serving),
    };
    // Three queues' worth, while the listener is blocked: none of it waits.
    for _ in 0..3 * LISTENER_QUEUE {
        queued.status_changed(&event);
    }
    release.send(()).expect("the listener is waiting");
    drop(queued);
    went.recv_timeout(EVENT_TIMEOUT)
        .expect("the thread ends once its queue is drained");
    let handed = handed.load(Ordering::SeqCst);
    assert!(
        (LISTENER_QUEUE..=LISTENER_QUEUE + 1).contains(&handed),
        "the queue's worth (and the one being handled) reached the listener, the rest was dropped: {handed}"
    );
}

#[tokio::test]
async fn an_optional_check_is_heard_as_degraded_and_changes_no_service() {
    let (record, mut events) = recorder();
    let (_health, _handle) = HealthChecks::new()
        .interval(Duration::from_secs(3600))
        .check(Check::new("cache", || false).optional())
        .listener(record)
        .build()
        .expect("valid health configuration");
    let expected = [
        changed("", None, Some(Serving)),
        changed("liveness", None, Some(Serving)),
        changed("readiness", None, Some(Serving)),
        Seen::Ran("cache".to_owned(), RunOutcome::Error, CheckStatus::Degraded),
    ];
    for want in expected {
        assert_eq!(next(&mut events).await, want);
    }
}

#[tokio::test]
async fn a_named_group_is_registered_and_changes_as_its_checks() {
    let (record, mut events) = recorder();
    let (_health, handle) = HealthChecks::new()
        .interval(Duration::from_secs(3600))
        .check(Check::new("replica", || true).groups(["deep"]))
        .listener(record)
        .build()
        .expect("valid health configuration");
    let mut registered = Vec::new();
    for _ in 0..4 {
        registered.push(next(&mut events).await);
    }
    registered.sort_by_key(|seen| format!("{seen:?}"));
    assert_eq!(
        registered,
        [
            changed("", None, Some(NotServing)),
            changed("deep", None, Some(NotServing)),
            changed("liveness", None, Some(Serving)),
            changed("readiness", None, Some(Serving)),
        ],
        "a group without checks, readiness here, serves from the start"
    );
    assert_eq!(
        next(&mut events).await,
        Seen::Ran(
            "replica".to_owned(),
            RunOutcome::Success,
            CheckStatus::Passing
        )
    );
    let mut changes = vec![next(&mut events).await, next(&mut events).await];
    changes.sort_by_key(|seen| format!("{seen:?}"));
    assert_eq!(
        changes,
        [
            changed("", Some(NotServing), Some(Serving)),
            changed("deep", Some(NotServing), Some(Serving)),
        ]
    );
    assert_eq!(handle.status("deep"), Some(Serving));
}
