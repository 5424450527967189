//! Watch streams that cost the server memory: service names of megabytes,
//! as many as a connection may open, and watchers that never read.

use std::net::SocketAddr;

use bytes::Bytes;
use futures::future::join_all;
use grpc_health_checks::MAX_REQUEST_BYTES;
use grpc_health_checks::ServingStatus::{NotServing, Serving};
use tokio::net::TcpStream;

use test_support::demo::Demo;
use test_support::health::{client, wait_for, watch};
use test_support::{HANG_GUARD, eventually};

use super::frames::{RawConnection, request_data, request_headers};
use super::{assert_peak_rss_bounded, fresh_check_is_answered, while_attacking};

/// The largest service name tonic's default 4 MiB limit lets through.
const ATTACK_NAME_LEN: usize = 4 * 1024 * 1024 - 16;
/// tonic's code for a message over the decoding limit.
const OUT_OF_RANGE: &str = "11";

/// One gRPC message (5-byte prefix, then a `HealthCheckRequest`) whose
/// service name is `name_len` bytes of `x`.
fn request_message(name_len: usize) -> Bytes {
    let mut field = vec![0x0a]; // field 1, length-delimited
    let mut len = name_len;
    while len >= 0x80 {
        field.push(u8::try_from(len & 0x7f).expect("7 bits") | 0x80);
        len >>= 7;
    }
    field.push(u8::try_from(len).expect("7 bits"));
    let message_len = u32::try_from(field.len() + name_len).expect("under 4 GiB");
    let mut message = vec![0];
    message.extend_from_slice(&message_len.to_be_bytes());
    message.extend_from_slice(&field);
    message.resize(message.len() + name_len, b'x');
    Bytes::from(message)
}

/// An HTTP/2 connection with the h2 crate, which keeps to the server's
/// stream limit and flow control while sending whatever body it is given.
async fn h2_connection(addr: SocketAddr) -> h2::client::SendRequest<Bytes> {
    let socket = TcpStream::connect(addr).await.expect("connect");
    let (sender, connection) = h2::client::handshake(socket)
        .await
        .expect("HTTP/2 handshake");
    tokio::spawn(connection);
    // h2 lets a client open streams before the server's SETTINGS arrive (its
    // limit is unknown until then, so any number): wait for them, or the
    // first streams beyond the demo's limit are refused (REFUSED_STREAM)
    // instead of waiting for a slot, depending on how fast the answer came.
    eventually("the server's SETTINGS, with its stream limit", || {
        sender.current_max_send_streams() < usize::MAX
    })
    .await;
    sender
}

/// Calls Watch with `body` (sent with END_STREAM when `complete`) and
/// returns the grpc-status the call ended with, from its headers or trailers.
async fn watch_status(
    sender: &h2::client::SendRequest<Bytes>,
    addr: SocketAddr,
    body: Bytes,
    complete: bool,
) -> String {
    let request = http::Request::post(format!("http://{addr}/grpc.health.v1.Health/Watch"))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(())
        .expect("a valid request");
    let mut ready = sender.clone().ready().await.expect("a stream slot");
    let (response, mut stream) = ready.send_request(request, false).expect("send headers");
    // The server may refuse before the body is sent in full; the rest is dropped.
    let _ = stream.send_data(body, complete);
    let response = tokio::time::timeout(HANG_GUARD, response)
        .await
        .expect("an answer")
        .expect("a response");
    let status = |headers: &http::HeaderMap| {
        headers
            .get("grpc-status")
            .map(|value| value.to_str().expect("ASCII").to_owned())
    };
    if let Some(code) = status(response.headers()) {
        return code;
    }
    let mut body = response.into_body();
    let trailers = tokio::time::timeout(HANG_GUARD, body.trailers())
        .await
        .expect("trailers")
        .expect("a trailers frame")
        .expect("trailers, not the end of the stream");
    status(&trailers).expect("grpc-status in the trailers")
}

/// A Watch whose gRPC prefix announces a 4 MiB name is refused with
/// OUT_OF_RANGE on the prefix alone: the demo answers while the client is
/// still in the middle of sending the name, never buffering it.
#[tokio::test]
async fn oversized_service_names_are_refused_before_they_are_read() {
    let demo = Demo::start::<&str>(&[]);
    let addr = demo.addr().parse().expect("an address");
    let sender = h2_connection(addr).await;
    let whole = request_message(ATTACK_NAME_LEN);
    let first_kib = whole.slice(..1024);
    assert_eq!(
        watch_status(&sender, addr, first_kib, false).await,
        OUT_OF_RANGE
    );
    // 4,080 bytes of name: with its field tag and length, 4,083 of the 4,096.
    let mut watcher = client(demo.addr()).await;
    let name = "x".repeat(MAX_REQUEST_BYTES - 16);
    let mut stream = watch(&mut watcher, &name).await;
    assert_eq!(
        test_support::health::next_status(&mut stream).await,
        grpc_health_checks::ServingStatus::ServiceUnknown,
        "a name within the limit is watched"
    );
}

/// 10 connections, each opening as many Watch streams with a 4 MiB service
/// name as it may (100 at a time, 200 in all): every one is refused with
/// OUT_OF_RANGE, the demo's peak memory stays under the bound (it reached
/// 287 MB with 64 such streams on one connection before requests were
/// limited to 4 KiB), and fresh clients are answered within 1 s throughout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_connections_of_oversized_watches_keep_memory_bounded() {
    let demo = Demo::start::<&str>(&[]);
    let addr: SocketAddr = demo.addr().parse().expect("an address");
    let name = request_message(ATTACK_NAME_LEN);
    let (statuses, checks) = while_attacking(&demo, async move {
        let connections = (0..10).map(|_| {
            let name = name.clone();
            async move {
                let sender = h2_connection(addr).await;
                let calls = (0..200).map(|_| {
                    let (sender, name) = (sender.clone(), name.clone());
                    async move { watch_status(&sender, addr, name, true).await }
                });
                join_all(calls).await
            }
        });
        join_all(connections).await.concat()
    })
    .await;
    let peak = assert_peak_rss_bounded(&demo, "oversized Watch streams");
    println!(
        "{} oversized Watch streams refused; {checks} fresh Checks answered meanwhile; peak RSS {peak} KiB",
        statuses.len()
    );
    assert_eq!(statuses.len(), 2000);
    assert!(
        statuses.iter().all(|code| code == OUT_OF_RANGE),
        "{statuses:?}"
    );
}

/// 10 connections that never read, each with 100 readiness watchers and no
/// flow-control window: readiness flips 40 times while none of their
/// messages can be sent. A reading watcher on another connection sees every
/// flip, fresh clients are answered, and the demo's memory stays bounded
/// (a watcher keeps only the latest status, never a backlog).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watchers_that_never_read_hold_no_backlog() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ready_file = dir.path().join("ready");
    std::fs::write(&ready_file, b"").expect("create the ready file");
    let ready_arg = ready_file.to_str().expect("UTF-8 path");
    let demo = Demo::start(&["--interval", "10ms", "--ready-file", ready_arg]);
    let addr: SocketAddr = demo.addr().parse().expect("an address");
    let mut silent = Vec::new();
    for _ in 0..10 {
        let mut connection = RawConnection::open_never_reading(addr).await;
        let mut frames = Vec::new();
        for _ in 0..100 {
            let stream = connection.new_stream();
            frames.extend(request_headers(stream, "Watch", false));
            frames.extend(request_data(stream, "readiness"));
        }
        assert!(connection.send(&frames).await, "the demo took the requests");
        silent.push(connection);
    }
    let mut reader = client(demo.addr()).await;
    let mut readiness = watch(&mut reader, "readiness").await;
    wait_for(&mut readiness, Serving).await;
    for flip in 0..40 {
        if flip % 2 == 0 {
            std::fs::remove_file(&ready_file).expect("remove the ready file");
            wait_for(&mut readiness, NotServing).await;
        } else {
            std::fs::write(&ready_file, b"").expect("create the ready file");
            wait_for(&mut readiness, Serving).await;
        }
        if flip % 10 == 0 {
            fresh_check_is_answered(demo.addr()).await;
        }
    }
    let peak = assert_peak_rss_bounded(&demo, "watchers that never read");
    println!("1000 silent watchers, 40 flips seen by a reader; peak RSS {peak} KiB");
    drop(silent);
    fresh_check_is_answered(demo.addr()).await;
}
