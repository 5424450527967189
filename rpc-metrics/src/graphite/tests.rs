//! The pusher against a loopback listener: lines arrive, points taken while
//! nothing listens are sent once something does, the buffer stays bounded,
//! and a connection the peer closed is replaced.

use std::sync::Arc;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::registry::Registry;
use tokio::io::AsyncReadExt as _;
use tokio::net::TcpListener;

use super::GraphitePusher;

fn registry() -> Arc<Registry> {
    let mut registry = Registry::default();
    let counter = Counter::<u64>::default();
    counter.inc_by(5);
    registry.register("calls", "Calls", counter);
    Arc::new(registry)
}

/// A port nothing listens on (bound, then released).
async fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    listener.local_addr().expect("addr").port()
}

async fn read_lines(listener: &TcpListener, lines: usize) -> String {
    let (mut stream, _) = tokio::time::timeout(test_support::HANG_GUARD, listener.accept())
        .await
        .expect("the pusher connects")
        .expect("accept");
    let mut text = String::new();
    while text.matches('\n').count() < lines {
        let mut chunk = [0; 4096];
        let read = tokio::time::timeout(test_support::HANG_GUARD, stream.read(&mut chunk))
            .await
            .expect("lines arrive")
            .expect("read");
        assert!(read > 0, "closed after {text:?}");
        text.push_str(std::str::from_utf8(&chunk[..read]).expect("UTF-8"));
    }
    text
}

#[tokio::test]
async fn points_taken_while_carbon_is_down_are_sent_when_it_is_back() {
    let port = closed_port().await;
    let mut pusher = GraphitePusher::new(format!("127.0.0.1:{port}"), registry())
        .prefix("app.pod-1")
        .expect("valid prefix");
    pusher.push_once().await.expect_err("nothing listens");
    assert!(pusher.buffered_bytes() > 0);

    let listener = TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("bind the same port");
    assert_eq!(pusher.push_once().await.expect("sent"), 1);
    assert_eq!(pusher.buffered_bytes(), 0);
    let text = read_lines(&listener, 2).await;
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    for line in lines {
        let fields: Vec<&str> = line.split(' ').collect();
        assert_eq!(&fields[..2], ["app.pod-1.calls_total", "5"], "{line}");
    }
}

#[tokio::test]
async fn the_buffer_keeps_only_the_newest_lines_within_its_bound() {
    let port = closed_port().await;
    let mut pusher =
        GraphitePusher::new(format!("127.0.0.1:{port}"), registry()).max_buffered_bytes(100);
    for _ in 0..10 {
        pusher.push_once().await.expect_err("nothing listens");
        assert!(
            pusher.buffered_bytes() <= 100,
            "{}",
            pusher.buffered_bytes()
        );
    }
    assert!(pusher.buffered_bytes() > 0);
    assert!(pusher.pending.ends_with('\n') && pusher.pending.starts_with("calls_total "));
}

#[tokio::test]
async fn a_connection_closed_by_carbon_is_replaced() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let mut pusher = GraphitePusher::new(addr.to_string(), registry());
    pusher.push_once().await.expect("first push");
    drop(read_lines(&listener, 1).await);
    // The peer's close is seen before the next write, which goes to a new connection.
    wait_closed(&mut pusher).await;
    pusher.push_once().await.expect("second push");
    read_lines(&listener, 1).await;
}

/// Waits until the pusher's connection shows the peer's close.
async fn wait_closed(pusher: &mut GraphitePusher) {
    let connection = pusher.connection.as_ref().expect("connected");
    tokio::time::timeout(test_support::HANG_GUARD, connection.readable())
        .await
        .expect("the close arrives")
        .expect("readable");
}

#[test]
fn bad_settings_say_what_to_fix() {
    for prefix in ["", "a..b", "a b", ".a", "a/b"] {
        let error = GraphitePusher::new("x:1", registry())
            .prefix(prefix)
            .expect_err(prefix);
        assert!(error.to_string().contains("dot-separated parts"), "{error}");
    }
    let error = GraphitePusher::new("x:1", registry())
        .interval(std::time::Duration::from_millis(10))
        .expect_err("too short");
    assert!(error.to_string().contains("at least 1s"), "{error}");
}
