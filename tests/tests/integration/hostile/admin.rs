//! The admin port of `health-demo --admin-addr` against long request lines,
//! clients that trickle their headers, and pipelined requests.

use std::net::SocketAddr;
use std::time::Duration;

use futures::future::join_all;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use test_support::HANG_GUARD;
use test_support::http::get;

use super::{assert_peak_rss_bounded, fresh_check_is_answered};
use crate::http::AdminDemo;

const KIB: usize = 1024;

/// Writes `request` (while reading, so that a server answering early is not
/// blocked) and returns everything the server sent until it closed the
/// connection or reset it.
async fn exchange(admin: SocketAddr, request: Vec<u8>) -> String {
    let socket = TcpStream::connect(admin).await.expect("connect");
    let (mut reader, mut writer) = socket.into_split();
    let writing = tokio::spawn(async move {
        // The server may close before reading everything; a failed write is fine.
        let _ = writer.write_all(&request).await;
        writer
    });
    let mut received = Vec::new();
    let mut chunk = vec![0; 64 * KIB];
    let reading = async {
        while let Ok(read @ 1..) = reader.read(&mut chunk).await {
            received.extend_from_slice(&chunk[..read]);
        }
    };
    tokio::time::timeout(HANG_GUARD, reading)
        .await
        .expect("the server ends the connection");
    drop(writing.await);
    String::from_utf8_lossy(&received).into_owned()
}

/// A GET of `/readyz?exclude=xxx…` whose request line is `line_len` bytes.
fn long_request(line_len: usize) -> Vec<u8> {
    let start = "GET /readyz?exclude=";
    let end = " HTTP/1.1\r\n";
    let filler = "x".repeat(line_len - start.len() - end.len());
    format!("{start}{filler}{end}Host: admin\r\nConnection: close\r\n\r\n").into_bytes()
}

/// The documented answers to long request lines: over 4 KiB of query is 414
/// while the request head fits hyper's 16 KiB head limit; a longer head
/// (a 64 KiB or 1 MiB request line) is 431, answered after reading 16 KiB,
/// never buffering more. The port keeps serving, and the library's README and
/// module docs say so (they promised 414 for any long query before).
#[tokio::test]
async fn long_request_lines_get_the_documented_status() {
    let demo = AdminDemo::start();
    for (line_len, status) in [
        (5 * KIB, "HTTP/1.1 414 URI Too Long"),
        (64 * KIB, "HTTP/1.1 431 Request Header Fields Too Large"),
        (KIB * KIB, "HTTP/1.1 431 Request Header Fields Too Large"),
    ] {
        let answer = exchange(demo.admin, long_request(line_len)).await;
        assert!(
            answer.starts_with(status),
            "{line_len}-byte request line: {answer:?}"
        );
        if line_len == 5 * KIB {
            assert!(
                answer.ends_with("query string longer than 4096 bytes"),
                "{answer}"
            );
        }
        assert_eq!(get(demo.admin, "/livez").await.status, 200);
    }
    // The endpoint table's one home; the README links to it.
    let document = "health-lib/src/admin/mod.rs";
    let text = std::fs::read_to_string(test_support::workspace_root().join(document))
        .expect("the document");
    assert!(
        text.contains("over 4 KiB") || text.contains("above 4 KiB"),
        "{document} documents 414"
    );
    assert!(
        text.contains("16 KiB") && text.contains("431"),
        "{document} documents 431 for a head over 16 KiB"
    );
}

/// 50 clients that send a request line, then one header byte every 200 ms,
/// never finishing their headers (slowloris): the demo closes each at its
/// header read timeout (10 s) however long it keeps trickling, and serves
/// admin and gRPC clients meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slowloris_clients_are_cut_off_at_the_header_read_timeout() {
    let demo = AdminDemo::start();
    let admin = demo.admin;
    let trickle = |_| async move {
        let mut socket = TcpStream::connect(admin).await.expect("connect");
        socket
            .write_all(b"GET /livez HTTP/1.1\r\nHost: admin\r\nX-Slow: ")
            .await
            .expect("request line");
        let mut sent = 0;
        let mut byte = [0];
        let cut_off = tokio::time::timeout(HANG_GUARD, async {
            loop {
                tokio::select! {
                    read = socket.read(&mut byte) => break read,
                    // Pacing the attack, not waiting for an event.
                    () = tokio::time::sleep(Duration::from_millis(200)) => {
                        if socket.write_all(b"z").await.is_err() {
                            break Ok(0);
                        }
                        sent += 1;
                    }
                }
            }
        })
        .await;
        assert!(cut_off.is_ok(), "still open after {sent} trickled bytes");
        sent
    };
    let attack = tokio::spawn(join_all((0..50).map(trickle)));
    let mut served = 0;
    while !attack.is_finished() {
        assert_eq!(get(admin, "/livez").await.status, 200);
        fresh_check_is_answered(&demo.grpc.to_string()).await;
        served += 1;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let trickled = attack.await.expect("the slowloris clients");
    println!(
        "50 slowloris clients cut off after {trickled:?} bytes; {served} rounds served meanwhile"
    );
    assert!(served > 0, "nobody was served during the attack");
    assert!(trickled.iter().all(|sent| *sent > 0), "{trickled:?}");
    assert_peak_rss_bounded(&demo.process, "slowloris");
}

/// 1,000 requests pipelined in one write on one connection are answered in
/// order, all 1,000, before the connection closes as the last one asks.
#[tokio::test]
async fn pipelined_requests_are_each_answered_in_order() {
    let demo = AdminDemo::start();
    let mut requests = "GET /livez HTTP/1.1\r\nHost: admin\r\n\r\n".repeat(999);
    requests.push_str("GET /readyz/nope HTTP/1.1\r\nHost: admin\r\nConnection: close\r\n\r\n");
    let answers = exchange(demo.admin, requests.into_bytes()).await;
    let statuses: Vec<&str> = answers
        .split("HTTP/1.1 ")
        .skip(1)
        .map(|answer| &answer[..3])
        .collect();
    assert_eq!(statuses.len(), 1000, "{} answers", statuses.len());
    assert!(statuses[..999].iter().all(|status| *status == "200"));
    assert_eq!(
        statuses[999], "404",
        "the last answer is the last request's"
    );
    assert_peak_rss_bounded(&demo.process, "pipelined requests");
}
