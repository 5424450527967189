//! Load for the drain and soak tests: many Watch streams over a few
//! connections, and closed-loop Check workers, all stopped by one signal.
//! Waits are on counters reaching targets, never on rates.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use grpc_health_checks::ServingStatus::{self, NotServing, Serving};
use grpc_health_checks::pb::health_client::HealthClient;
use test_support::HANG_GUARD;
use test_support::health::request;
use tonic::Code;
use tonic::transport::Channel;

/// Opens `count` eager HTTP/2 connections to the demo.
pub(crate) async fn channels(addr: &str, count: usize) -> Vec<Channel> {
    let mut channels = Vec::with_capacity(count);
    for _ in 0..count {
        let channel = Channel::from_shared(format!("http://{addr}"))
            .expect("uri")
            .connect()
            .await
            .expect("connect to the demo");
        channels.push(channel);
    }
    channels
}

/// hyper's default limit is 200 concurrent streams per connection.
const WATCHERS_PER_CONNECTION: usize = 100;

/// What one watcher saw.
#[derive(Debug, Default)]
pub(crate) struct Watched {
    pub(crate) first: Option<ServingStatus>,
    /// When each NOT_SERVING arrived.
    pub(crate) not_serving_at: Vec<Instant>,
    pub(crate) messages: usize,
    /// How the stream ended, if it did: a gRPC status code (`Ok` for a clean end).
    pub(crate) ended: Option<(Instant, Code)>,
}

/// Runs one Watch until it ends or `stop` is set, reporting the first message
/// through `started` and every NOT_SERVING/SERVING through the counters.
async fn watcher(
    channel: Channel,
    service: &'static str,
    started: Arc<Tally>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> Watched {
    let mut seen = Watched::default();
    let mut client = HealthClient::new(channel);
    let mut stream = match client.watch(request(service)).await {
        Ok(response) => response.into_inner(),
        Err(status) => {
            seen.ended = Some((Instant::now(), status.code()));
            return seen;
        }
    };
    loop {
        let message = tokio::select! {
            message = stream.message() => message,
            _ = stop.wait_for(|stop| *stop) => return seen,
        };
        match message {
            Ok(Some(message)) => {
                let status = message.status();
                seen.messages += 1;
                if seen.first.is_none() {
                    seen.first = Some(status);
                    started.started.fetch_add(1, Ordering::SeqCst);
                }
                match status {
                    NotServing => {
                        seen.not_serving_at.push(Instant::now());
                        started.not_serving.fetch_add(1, Ordering::SeqCst);
                    }
                    Serving => {
                        started.serving.fetch_add(1, Ordering::SeqCst);
                    }
                    _ => {}
                }
            }
            Ok(None) => {
                seen.ended = Some((Instant::now(), Code::Ok));
                return seen;
            }
            Err(status) => {
                seen.ended = Some((Instant::now(), status.code()));
                return seen;
            }
        }
    }
}

/// Counters the watchers bump, for waiting on "all of them" without polling each.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    pub(crate) started: AtomicUsize,
    pub(crate) serving: AtomicUsize,
    pub(crate) not_serving: AtomicUsize,
}

/// Waits until `counter` reaches `target`, failing after [`HANG_GUARD`].
pub(crate) async fn reach(what: &str, counter: &AtomicUsize, target: usize) {
    let deadline = Instant::now() + HANG_GUARD;
    while counter.load(Ordering::SeqCst) < target {
        assert!(
            Instant::now() < deadline,
            "{what}: {} of {target} after {HANG_GUARD:?}",
            counter.load(Ordering::SeqCst)
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

/// Starts `count` watchers of `services` (round robin), `WATCHERS_PER_CONNECTION`
/// to a connection, and waits until each has its first message.
pub(crate) async fn start_watchers(
    addr: &str,
    services: &[&'static str],
    count: usize,
    stop: &tokio::sync::watch::Receiver<bool>,
) -> (Arc<Tally>, Vec<tokio::task::JoinHandle<Watched>>) {
    let tally = Arc::new(Tally::default());
    let connections = channels(addr, count.div_ceil(WATCHERS_PER_CONNECTION)).await;
    let tasks = (0..count)
        .map(|index| {
            tokio::spawn(watcher(
                connections[index / WATCHERS_PER_CONNECTION].clone(),
                services[index % services.len()],
                tally.clone(),
                stop.clone(),
            ))
        })
        .collect();
    reach("watchers started", &tally.started, count).await;
    (tally, tasks)
}

/// One Check a load worker made: when it was sent and how it went.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Checked {
    pub(crate) sent: Instant,
    pub(crate) answer: Result<ServingStatus, Code>,
}

/// Sends Check(`service`) on `channel`, one after another, until `stop`.
async fn check_load(
    channel: Channel,
    service: &'static str,
    done: Arc<AtomicUsize>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> Vec<Checked> {
    let mut client = HealthClient::new(channel);
    let mut log = Vec::new();
    while !*stop.borrow_and_update() {
        let sent = Instant::now();
        let mut call = tonic::Request::new(request(service));
        call.set_timeout(HANG_GUARD);
        let answer = tokio::select! {
            answer = client.check(call) => answer,
            _ = stop.changed() => return log,
        };
        log.push(Checked {
            sent,
            answer: answer
                .map(|response| response.into_inner().status())
                .map_err(|status| status.code()),
        });
        done.fetch_add(1, Ordering::SeqCst);
    }
    log
}

/// Starts `workers` closed-loop Check workers, each over its own connection.
pub(crate) async fn start_check_load(
    addr: &str,
    service: &'static str,
    workers: usize,
    stop: &tokio::sync::watch::Receiver<bool>,
) -> (Arc<AtomicUsize>, Vec<tokio::task::JoinHandle<Vec<Checked>>>) {
    let done = Arc::new(AtomicUsize::new(0));
    let tasks = channels(addr, workers)
        .await
        .into_iter()
        .map(|channel| tokio::spawn(check_load(channel, service, done.clone(), stop.clone())))
        .collect();
    (done, tasks)
}

/// Waits for every task, failing after [`HANG_GUARD`] each.
pub(crate) async fn join<T>(tasks: Vec<tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut results = Vec::with_capacity(tasks.len());
    for task in tasks {
        results.push(
            tokio::time::timeout(HANG_GUARD, task)
                .await
                .expect("load task stops")
                .expect("load task did not panic"),
        );
    }
    results
}
