//! HTTP/2 stream abuse on one connection: streams beyond the per-connection
//! limit, and rapid reset (CVE-2023-44487). The demo sets
//! `max_concurrent_streams(100)` and restores hyper's limit of 1,024 locally
//! reset streams, which tonic turns off unless it is set.

use std::net::SocketAddr;

use test_support::demo::Demo;

use super::frames::{
    CANCEL, ENHANCE_YOUR_CALM, REFUSED_STREAM, RawConnection, request_data, request_headers, reset,
};
use super::{assert_peak_rss_bounded, fresh_check_is_answered, while_attacking};

/// The demo's `max_concurrent_streams`.
const STREAM_LIMIT: usize = 100;
/// The demo's limit of streams it resets for a client's errors (refusals included).
const LOCAL_RESET_LIMIT: usize = 1024;

fn grpc_addr(demo: &Demo) -> SocketAddr {
    demo.addr().parse().expect("an address")
}

/// 100 Watch streams held open, then 1,200 more on the same connection: each
/// stream beyond the limit is refused (RST_STREAM REFUSED_STREAM), and after
/// 1,024 refusals the demo ends the connection with GOAWAY ENHANCE_YOUR_CALM,
/// instead of refusing forever ("MadeYouReset" is this class: resets the
/// server is made to send). Fresh clients are answered throughout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_beyond_the_limit_are_refused_until_the_connection_is_closed() {
    let demo = Demo::start::<&str>(&[]);
    let addr = grpc_addr(&demo);
    let (answers, checks) = while_attacking(&demo, async move {
        let mut connection = RawConnection::open(addr).await;
        let mut frames = Vec::new();
        for _ in 0..STREAM_LIMIT {
            let stream = connection.new_stream();
            frames.extend(request_headers(stream, "Watch", false));
            frames.extend(request_data(stream, ""));
        }
        for _ in 0..1200 {
            frames.extend(request_headers(connection.new_stream(), "Watch", false));
        }
        connection.send(&frames).await;
        connection.finish().await
    })
    .await;
    let refused = answers.resets(REFUSED_STREAM);
    let peak = assert_peak_rss_bounded(&demo, "streams beyond the limit");
    println!("{answers:?}; {checks} fresh Checks answered meanwhile; peak RSS {peak} KiB");
    assert!(refused > 0, "no stream was refused: {answers:?}");
    assert!(refused <= LOCAL_RESET_LIMIT, "{refused} refusals");
    assert_eq!(answers.goaway, Some(ENHANCE_YOUR_CALM), "{answers:?}");
    fresh_check_is_answered(demo.addr()).await;
}

/// 10,000 requests each cancelled by the client right after its HEADERS, on
/// one connection: the demo either works through them or ends the connection
/// with GOAWAY ENHANCE_YOUR_CALM (h2's bound on reset streams waiting to be
/// accepted), never anything else, and keeps answering fresh clients.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rapid_reset_floods_leave_other_clients_served() {
    let demo = Demo::start::<&str>(&[]);
    let addr = grpc_addr(&demo);
    let (answers, checks) = while_attacking(&demo, async move {
        let mut connection = RawConnection::open(addr).await;
        for _ in 0..10 {
            let mut frames = Vec::new();
            for _ in 0..1000 {
                let stream = connection.new_stream();
                frames.extend(request_headers(stream, "Check", false));
                frames.extend(reset(stream, CANCEL));
            }
            if !connection.send(&frames).await {
                break;
            }
        }
        connection.finish().await
    })
    .await;
    let peak = assert_peak_rss_bounded(&demo, "rapid reset");
    println!("{answers:?}; {checks} fresh Checks answered meanwhile; peak RSS {peak} KiB");
    match answers.goaway {
        Some(code) => assert_eq!(code, ENHANCE_YOUR_CALM, "{answers:?}"),
        None => assert!(answers.read_everything, "{answers:?}"),
    }
    fresh_check_is_answered(demo.addr()).await;
}
