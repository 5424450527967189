//! A server out of file descriptors: accepting pauses instead of spinning,
//! and resumes once connections close.

use std::time::Duration;

use tokio::net::TcpStream;

use grpc_health_checks::ServingStatus::Serving;
use test_support::demo::Demo;
use test_support::health::{check, client};
use test_support::procfs::{self, TICKS_PER_SECOND};
use test_support::{eventually, system};

/// The demo's descriptor limit: enough to start, little enough to fill.
const NOFILE: usize = 64;
/// How long the demo's CPU time is measured while it cannot accept.
const WINDOW: Duration = Duration::from_secs(1);

/// health-demo started under `prlimit --nofile=64:64`, then sent more
/// connections than it has descriptors for. While it has none left, it
/// uses well under 20% of a core (it spun at 66–100% on failed `accept4`
/// before), logs the condition once, and once the connections close it
/// accepts again and answers a fresh Check.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_descriptors_the_accept_loop_pauses_and_recovers() {
    let prlimit = system::require("prlimit", "util-linux");
    let limit = format!("--nofile={NOFILE}:{NOFILE}");
    let wrapper = [prlimit.to_str().expect("UTF-8 path"), limit.as_str()];
    let demo = Demo::start_under(&wrapper, &["--interval", "100ms"]);
    let pid = demo.pid();
    let mut held = Vec::new();
    for _ in 0..NOFILE + 16 {
        held.push(
            TcpStream::connect(demo.addr())
                .await
                .expect("the backlog takes it"),
        );
    }
    eventually("every descriptor of the demo in use", || {
        procfs::open_fds(pid) >= NOFILE
    })
    .await;
    let before = procfs::cpu_ticks(pid);
    // Not a wait for an event: the window the CPU time is measured over.
    tokio::time::sleep(WINDOW).await;
    let spent = procfs::cpu_ticks(pid) - before;
    let window_ticks = u64::try_from(WINDOW.as_millis()).expect("small") * TICKS_PER_SECOND / 1000;
    println!("out of descriptors: {spent} of {window_ticks} ticks of CPU in {WINDOW:?}");
    assert!(
        spent * 5 < window_ticks,
        "health-demo used {spent} of {window_ticks} ticks while it could not accept: it spins"
    );
    let warnings = |log: &str| log.matches("cannot accept connections").count();
    assert_eq!(warnings(&demo.log()), 1, "logged once:\n{}", demo.log());
    assert!(demo.log().contains("Too many open files"), "{}", demo.log());
    drop(held);
    // Recovery takes a backoff or two, and the backlog's closed connections
    // go first: bounded by the hang guard, not the 1 s of a Check under attack.
    let mut fresh = client(demo.addr()).await;
    assert_eq!(check(&mut fresh, "liveness").await, Ok(Serving));
    eventually("the recovery logged", || {
        demo.log().contains("accepting connections again")
    })
    .await;
}
