//! Hostile or broken input on the health port: each gets a gRPC status or a
//! closed connection, and the server keeps answering everyone else.
//!
//! List over the cap is covered by `protocol::list_returns_every_service_and_refuses_above_the_cap`
//! and `protocol::default_list_cap_is_one_hundred` (RESOURCE_EXHAUSTED).

use std::net::SocketAddr;

use grpc_health_checks::pb::HealthCheckResponse;
use grpc_health_checks::pb::health_client::HealthClient;
use grpc_health_checks::{HealthChecks, MAX_REQUEST_BYTES, ServingStatus};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tonic::Code;
use tonic::codegen::http::uri::PathAndQuery;
use tonic::transport::Channel;

use test_support::HANG_GUARD;
use test_support::health::{check, client, next_status, watch};
use test_support::server::{TestServer, start};

use ServingStatus::{ServiceUnknown, Serving};

const MIB: usize = 1024 * 1024;

/// `HealthCheckRequest` with `service` as raw bytes: the same wire format
/// (field 1, length-delimited) but free to carry invalid UTF-8.
#[derive(Clone, PartialEq, prost::Message)]
struct RawCheckRequest {
    #[prost(bytes = "vec", tag = "1")]
    service: Vec<u8>,
}

/// Calls `/grpc.health.v1.Health/{method}` with raw bytes as the service name;
/// returns the first response or the status.
async fn raw_call(
    channel: Channel,
    method: &'static str,
    service: Vec<u8>,
) -> Result<HealthCheckResponse, tonic::Status> {
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready()
        .await
        .map_err(|error| tonic::Status::unavailable(error.to_string()))?;
    let codec = tonic_prost::ProstCodec::<RawCheckRequest, HealthCheckResponse>::default();
    let path = PathAndQuery::from_static(match method {
        "Check" => "/grpc.health.v1.Health/Check",
        _ => "/grpc.health.v1.Health/Watch",
    });
    let request = tonic::Request::new(RawCheckRequest { service });
    if method == "Check" {
        return grpc
            .unary(request, path, codec)
            .await
            .map(tonic::Response::into_inner);
    }
    let mut stream = grpc
        .server_streaming(request, path, codec)
        .await?
        .into_inner();
    stream
        .message()
        .await?
        .ok_or_else(|| tonic::Status::unknown("stream ended without a message"))
}

async fn channel(addr: SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{addr}"))
        .expect("valid uri")
        .connect()
        .await
        .expect("connect")
}

/// The server answers a new client and an existing one.
async fn still_answering(server: &TestServer, existing: &mut HealthClient<Channel>) {
    assert_eq!(check(existing, "").await, Ok(Serving));
    let mut fresh = client(server.addr).await;
    assert_eq!(check(&mut fresh, "").await, Ok(Serving));
}

/// The longest name that fits the 4 KiB request limit is served as any
/// other unknown name.
#[tokio::test]
async fn service_name_at_the_request_limit_is_not_found_and_watched_as_unknown() {
    let server = start(HealthChecks::new()).await;
    let mut client = client(server.addr).await;
    // With its field tag and 2-byte length, the request is 4,096 bytes.
    let name = "x".repeat(MAX_REQUEST_BYTES - 3);
    assert_eq!(check(&mut client, &name).await, Err(Code::NotFound));
    let mut stream = watch(&mut client, &name).await;
    assert_eq!(next_status(&mut stream).await, ServiceUnknown);
    drop(stream);
    still_answering(&server, &mut client).await;
}

/// Sends `name` to Check and to Watch; both must fail with `code` and a
/// message containing `says`.
async fn refused_by_both(addr: SocketAddr, what: &str, name: &[u8], code: Code, says: &str) {
    for method in ["Check", "Watch"] {
        let error = raw_call(channel(addr).await, method, name.to_vec())
            .await
            .expect_err(what);
        println!("{what}, {method}: {:?} {:?}", error.code(), error.message());
        assert_eq!(error.code(), code, "{method}: {error:?}");
        assert!(error.message().contains(says), "{method}: {error:?}");
    }
}

/// Over the health service's 4 KiB request limit (`MAX_REQUEST_BYTES`), the
/// request is refused before it reaches the service: tonic answers
/// OUT_OF_RANGE ("decoded message length too large"), one byte over as for
/// megabytes.
#[tokio::test]
async fn service_name_over_the_message_limit_is_out_of_range() {
    let server = start(HealthChecks::new()).await;
    let mut client = client(server.addr).await;
    for len in [MAX_REQUEST_BYTES - 2, MIB, 5 * MIB] {
        refused_by_both(
            server.addr,
            &format!("{len}-byte name"),
            &vec![b'x'; len],
            Code::OutOfRange,
            "message length too large",
        )
        .await;
    }
    still_answering(&server, &mut client).await;
}

/// A gzip-compressed request that fits the limit on the wire but not once
/// decompressed (1 MiB of one letter is about a kilobyte of gzip) is refused
/// while it is decompressed: RESOURCE_EXHAUSTED, the memory never spent.
#[tokio::test]
async fn gzip_bomb_service_name_is_resource_exhausted() {
    let server = start(HealthChecks::new()).await;
    let mut plain = client(server.addr).await;
    let mut gzip = plain
        .clone()
        .send_compressed(tonic::codec::CompressionEncoding::Gzip);
    let name = "x".repeat(MIB);
    let error = gzip
        .check(test_support::health::request(&name))
        .await
        .expect_err("refused");
    assert_eq!(error.code(), Code::ResourceExhausted, "{error:?}");
    assert!(error.message().contains("size limit"), "{error:?}");
    let small = gzip
        .check(test_support::health::request(""))
        .await
        .expect("a small gzip request is served");
    assert_eq!(small.into_inner().status(), Serving);
    still_answering(&server, &mut plain).await;
}

/// `string` fields must be UTF-8; prost refuses to decode the request and
/// tonic answers INTERNAL before the service sees it.
#[tokio::test]
async fn non_utf8_service_name_is_internal_error() {
    let server = start(HealthChecks::new()).await;
    let mut client = client(server.addr).await;
    let name = [0xff, 0xfe, b'a', 0xc3];
    refused_by_both(
        server.addr,
        "non-UTF-8 name",
        &name,
        Code::Internal,
        "UTF-8",
    )
    .await;
    let valid = raw_call(channel(server.addr).await, "Check", b"".to_vec())
        .await
        .expect("the same raw path with a valid name works");
    assert_eq!(valid.status(), Serving);
    still_answering(&server, &mut client).await;
}

/// Deterministic pseudo-random bytes (xorshift), so a failure can be replayed.
fn noise(len: usize, mut seed: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed.to_le_bytes()[0]
        })
        .collect()
}

/// Writes `bytes`, optionally half-closes, and waits for the server to close
/// the connection; returns how many bytes it sent back first.
async fn server_closes_after(addr: SocketAddr, bytes: &[u8], half_close: bool) -> usize {
    let mut socket = TcpStream::connect(addr).await.expect("connect");
    // The server may close before reading everything; a failed write is fine.
    let _ = socket.write_all(bytes).await;
    if half_close {
        let _ = socket.shutdown().await;
    }
    let mut received = Vec::new();
    let outcome = tokio::time::timeout(HANG_GUARD, socket.read_to_end(&mut received)).await;
    assert!(
        outcome.is_ok(),
        "the server closes the connection after {} bytes of bad input",
        bytes.len()
    );
    received.len()
}

#[tokio::test]
async fn random_bytes_and_bad_prefaces_get_the_connection_closed() {
    let server = start(HealthChecks::new()).await;
    let mut client = client(server.addr).await;
    let preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    let mut corrupted_settings = preface.to_vec();
    corrupted_settings.extend_from_slice(&noise(64, 7));
    let cases: [(&str, Vec<u8>, bool); 5] = [
        ("64 KiB of random bytes", noise(64 * 1024, 1), false),
        ("one random byte", noise(1, 3), false),
        (
            "an HTTP/1.1 request",
            b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
            false,
        ),
        (
            "a valid preface then garbage frames",
            corrupted_settings,
            false,
        ),
        (
            "a truncated preface, then EOF",
            preface[..10].to_vec(),
            true,
        ),
    ];
    for (case, bytes, half_close) in cases {
        let answered = server_closes_after(server.addr, &bytes, half_close).await;
        println!("{case}: connection closed after {answered} bytes back");
        still_answering(&server, &mut client).await;
    }
}

/// A truncated preface on a connection kept open is not timed out by the
/// server (tonic has no preface timeout): 100 such connections each get the
/// server's SETTINGS and are held, the server keeps answering everyone else
/// meanwhile, and closes each as soon as its client gives up.
#[tokio::test]
async fn stalled_truncated_prefaces_do_not_block_other_clients() {
    let server = start(HealthChecks::new()).await;
    let mut client = client(server.addr).await;
    let mut stalled = Vec::new();
    for _ in 0..100 {
        let mut socket = TcpStream::connect(server.addr).await.expect("connect");
        socket
            .write_all(b"PRI * HTTP/2.0\r\n")
            .await
            .expect("write");
        let mut frame_header = [0; 9];
        tokio::time::timeout(HANG_GUARD, socket.read_exact(&mut frame_header))
            .await
            .expect("the server speaks first")
            .expect("read");
        assert_eq!(frame_header[3], 0x4, "an HTTP/2 SETTINGS frame");
        stalled.push(socket);
    }
    for _ in 0..10 {
        still_answering(&server, &mut client).await;
    }
    for mut socket in stalled {
        socket.shutdown().await.expect("half-close");
        let mut rest = Vec::new();
        tokio::time::timeout(HANG_GUARD, socket.read_to_end(&mut rest))
            .await
            .expect("closed once the client gives up")
            .expect("clean close");
    }
    still_answering(&server, &mut client).await;
}
