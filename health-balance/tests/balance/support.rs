//! Backends, a greeter over the balanced channel, and waits on its snapshot.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use examples::greeter::{GreeterClient, HelloRequest};
use grpc_health_balance::{BackendState, Balanced, ServedBy, Snapshot};
use test_support::HANG_GUARD;
use test_support::demo::Demo;
use tonic::Status;

/// The service health-demo's greeter health follows.
pub(crate) const GREETER: &str = "helloworld.Greeter";

/// A health-demo whose readiness follows a file of its own, with an admin
/// address whose `/metrics` count the greeter RPCs it answered.
pub(crate) struct Backend {
    pub(crate) demo: Demo,
    pub(crate) ready_file: PathBuf,
    _dir: tempfile::TempDir,
}

impl Backend {
    /// Starts health-demo, ready (SERVING) or not.
    pub(crate) fn start(ready: bool) -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let ready_file = dir.path().join("ready");
        if ready {
            std::fs::write(&ready_file, "").expect("write the ready file");
        }
        let path = ready_file.to_str().expect("a UTF-8 temporary path");
        let demo = Demo::start(&[
            "--ready-file",
            path,
            "--interval",
            "20ms",
            "--drain-delay",
            "300ms",
            "--admin-addr",
            "127.0.0.1:0",
        ]);
        Self {
            demo,
            ready_file,
            _dir: dir,
        }
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        self.demo
            .addr()
            .parse()
            .expect("health-demo prints host:port")
    }

    /// How many SayHello RPCs it has answered, from its own `/metrics`.
    pub(crate) async fn handled(&self) -> u64 {
        let admin = self
            .demo
            .admin_addr()
            .and_then(|addr| addr.parse().ok())
            .expect("health-demo prints its admin host:port");
        let scrape = test_support::http::get(admin, "/metrics").await;
        assert_eq!(scrape.status, 200, "{}", scrape.body);
        // One line per grpc_code; each ends with its count.
        scrape
            .body
            .lines()
            .filter(|line| {
                line.starts_with("grpc_server_handled_total{")
                    && line.contains(r#"grpc_service="helloworld.Greeter""#)
                    && line.contains(r#"grpc_method="SayHello""#)
            })
            .map(|line| {
                line.rsplit_once(' ')
                    .and_then(|(_, count)| count.parse::<f64>().ok())
                    .unwrap_or_else(|| panic!("a count ends {line:?}")) as u64
            })
            .sum()
    }

    pub(crate) fn set_ready(&self, ready: bool) {
        if ready {
            std::fs::write(&self.ready_file, "").expect("write the ready file");
        } else {
            std::fs::remove_file(&self.ready_file).expect("remove the ready file");
        }
    }
}

/// `n` backends, all ready or none.
pub(crate) fn backends(n: usize, ready: bool) -> Vec<Backend> {
    (0..n).map(|_| Backend::start(ready)).collect()
}

/// The comma-separated list target of `backends`.
pub(crate) fn list(backends: &[Backend]) -> String {
    backends
        .iter()
        .map(|backend| backend.demo.addr().to_owned())
        .collect::<Vec<_>>()
        .join(",")
}

/// A balanced channel over `target` checking the greeter's health.
pub(crate) fn channel(target: &str) -> Balanced {
    Balanced::builder(target)
        .health_service(GREETER)
        .connect_lazy()
        .expect("a valid target")
}

/// Waits until `backends` together answered `more` further SayHello RPCs,
/// by their own counts.
pub(crate) async fn wait_handled(backends: &[&Backend], more: u64) {
    let total = async || {
        let mut total = 0;
        for backend in backends {
            total += backend.handled().await;
        }
        total
    };
    let target = total().await + more;
    poll_until(&format!("{more} more RPCs answered"), async || {
        total().await >= target
    })
    .await;
}

/// Polls `condition` every 5 ms until it holds, failing after
/// [`HANG_GUARD`]: for what only a scrape of a backend's `/metrics` tells.
pub(crate) async fn poll_until(what: &str, mut condition: impl AsyncFnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + HANG_GUARD;
    while !condition().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

/// One SayHello: the backend that answered, or the status.
pub(crate) async fn say_hello(channel: &Balanced) -> Result<SocketAddr, Status> {
    greet(channel, "balance").await
}

/// One SayHello for `name`: the backend that answered, or the status.
pub(crate) async fn greet(channel: &Balanced, name: &str) -> Result<SocketAddr, Status> {
    let mut request = tonic::Request::new(HelloRequest {
        name: name.to_owned(),
    });
    request.set_timeout(HANG_GUARD);
    let response = GreeterClient::new(channel.clone())
        .say_hello(request)
        .await?;
    assert_eq!(response.get_ref().message, format!("Hello, {name}!"));
    Ok(response
        .extensions()
        .get::<ServedBy>()
        .expect("every response names its backend")
        .0)
}

/// Sends `n` RPCs one after another; every one must succeed. Returns the
/// count per backend.
pub(crate) async fn spread(channel: &Balanced, n: usize) -> BTreeMap<SocketAddr, usize> {
    let mut counts = BTreeMap::new();
    for _ in 0..n {
        let addr = say_hello(channel)
            .await
            .unwrap_or_else(|status| panic!("an RPC failed: {status}"));
        *counts.entry(addr).or_default() += 1;
    }
    counts
}

/// Waits until the snapshot satisfies `condition`.
pub(crate) async fn wait_until(
    channel: &Balanced,
    what: &str,
    condition: impl FnMut(&Snapshot) -> bool,
) {
    let mut condition = condition;
    let mut snapshots = channel.watch_snapshot();
    let waited = tokio::time::timeout(
        HANG_GUARD,
        snapshots.wait_for(|snapshot| condition(snapshot)),
    )
    .await;
    assert!(
        matches!(waited, Ok(Ok(_))),
        "timed out waiting for {what}; last snapshot: {:?}",
        channel.snapshot()
    );
}

/// Waits until the backend at `addr` is in `state`.
pub(crate) async fn wait_state(channel: &Balanced, addr: SocketAddr, state: BackendState) {
    wait_until(channel, &format!("{addr} to be {state}"), |snapshot| {
        snapshot.state_of(addr) == Some(state)
    })
    .await;
}

/// Waits until every one of `backends` is SERVING.
pub(crate) async fn wait_serving(channel: &Balanced, backends: &[Backend]) {
    for backend in backends {
        wait_state(channel, backend.addr(), BackendState::Serving).await;
    }
}

/// `n` ready backends, a channel over them once all are SERVING, and 8
/// workers' load on it that has already succeeded 300 times.
pub(crate) async fn serving_under_load(n: usize) -> (Vec<Backend>, Balanced, Load) {
    let backends = backends(n, true);
    let channel = channel(&list(&backends));
    wait_serving(&channel, &backends).await;
    let load = Load::start(&channel, 8);
    load.wait_for_more(300).await;
    (backends, channel, load)
}

/// RPCs sent continuously by `workers` tasks until stopped, counting
/// successes and keeping failures.
pub(crate) struct Load {
    pub(crate) ok: Arc<AtomicUsize>,
    pub(crate) failures: Arc<std::sync::Mutex<Vec<String>>>,
    pub(crate) served: Arc<std::sync::Mutex<Vec<SocketAddr>>>,
    stop: Arc<AtomicBool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Load {
    pub(crate) fn start(channel: &Balanced, workers: usize) -> Self {
        let load = Self {
            ok: Arc::default(),
            failures: Arc::default(),
            served: Arc::default(),
            stop: Arc::default(),
            tasks: Vec::new(),
        };
        let tasks = (0..workers)
            .map(|_| {
                let (channel, ok, failures, served, stop) = (
                    channel.clone(),
                    load.ok.clone(),
                    load.failures.clone(),
                    load.served.clone(),
                    load.stop.clone(),
                );
                tokio::spawn(async move {
                    while !stop.load(Ordering::Relaxed) {
                        match say_hello(&channel).await {
                            Ok(addr) => {
                                ok.fetch_add(1, Ordering::Relaxed);
                                served.lock().expect("not poisoned").push(addr);
                            }
                            Err(status) => failures
                                .lock()
                                .expect("not poisoned")
                                .push(status.to_string()),
                        }
                    }
                })
            })
            .collect();
        Self { tasks, ..load }
    }

    /// Waits until `more` further RPCs succeeded.
    pub(crate) async fn wait_for_more(&self, more: usize) {
        let target = self.ok.load(Ordering::Relaxed) + more;
        test_support::eventually(&format!("{more} more successful RPCs"), || {
            self.ok.load(Ordering::Relaxed) >= target
        })
        .await;
    }

    /// How many RPCs succeeded so far.
    pub(crate) fn served_len(&self) -> usize {
        self.served.lock().expect("not poisoned").len()
    }

    /// Stops the workers and returns the failures.
    pub(crate) async fn stop(self) -> Vec<String> {
        self.stop.store(true, Ordering::Relaxed);
        for task in self.tasks {
            task.await.expect("a load worker panicked");
        }
        self.failures.lock().expect("not poisoned").clone()
    }
}
