//! The probe against hostile HTTP/2 servers (see `evil_server`): whatever a
//! server sends, the probe ends within its timeouts with the right exit code,
//! prints less than 1 KiB with every control character escaped, and peaks
//! under 16 MB of RSS.
//!
//! Peak RSS is read from GNU time's `%M` (Debian package `time`, installed
//! when missing): Linux counts in a child's `ru_maxrss` the RSS of the image
//! it was forked from, and this test binary is far larger than the probe,
//! while GNU time is a few hundred KB.

use std::ffi::OsStr;
use std::path::Path;
use std::time::Duration;

use grpc_health_checks::HealthChecks;
use grpc_health_checks::pb::{HealthCheckResponse, HealthListResponse};
use test_support::process::{self, Run};
use test_support::server::{Stop, start};

use crate::evil_server::{
    CONTINUATION, GOAWAY, HEADERS, Peer, answer, data, frame_bytes, goaway, grpc_headers,
    grpc_message, gzip, health_answer, hpack, pong, serve, serve_reporting, trailers_only,
};

/// Timeouts no hostile run may wait for: each must end well before them.
const TIMEOUT: &str = "10s";
/// Less than [`TIMEOUT`]: a run that ended sooner did not wait for it.
const WELL_BEFORE_TIMEOUT: Duration = Duration::from_secs(8);
/// The most a probe may hold, whatever the server sends.
const MAX_RSS_KB: u64 = 16 * 1024;
/// The most a probe may print, whatever the server sends.
const MAX_PRINTED: usize = 1024;
/// grpc-go's largest message, which the probe keeps too.
const MAX_MESSAGE: usize = 4 * 1024 * 1024;
/// The gRPC status codes used here.
const INTERNAL: u32 = 13;

/// The probe under GNU time; asserts what holds for every hostile run
/// (printed size, peak RSS) and returns the run.
async fn hostile_run(args: &[&str]) -> Run {
    let time = test_support::system::require("time", "time");
    let report = tempfile::NamedTempFile::new().expect("temp file");
    let mut argv: Vec<&OsStr> = vec![
        "-f".as_ref(),
        "%M".as_ref(),
        "-o".as_ref(),
        report.path().as_os_str(),
        Path::new(env!("CARGO_BIN_EXE_grpc-probe")).as_os_str(),
    ];
    argv.extend(args.iter().map(OsStr::new));
    let run = process::run(process::command(&time, argv)).await;
    let report = std::fs::read_to_string(report.path()).expect("time's report");
    // On failure GNU time writes "Command exited with non-zero status N" first.
    let max_rss_kb: u64 = report
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or_else(|| panic!("no %M in {report:?}"));
    assert!(
        max_rss_kb < MAX_RSS_KB,
        "peak RSS {max_rss_kb} KiB; stderr:\n{}",
        run.stderr
    );
    let printed = run.stdout.len() + run.stderr.len();
    assert!(
        printed < MAX_PRINTED,
        "printed {printed} bytes:\n{}",
        &run.stderr[..run.stderr.len().min(4096)]
    );
    assert!(
        run.elapsed < WELL_BEFORE_TIMEOUT,
        "took {:?}:\n{}",
        run.elapsed,
        run.stderr
    );
    run
}

/// `-addr=ADDR` with both timeouts at [`TIMEOUT`], then `extra`.
fn args(addr: &str, extra: &[&str]) -> Vec<String> {
    let mut args = vec![
        format!("-addr={addr}"),
        format!("-connect-timeout={TIMEOUT}"),
        format!("-rpc-timeout={TIMEOUT}"),
    ];
    args.extend(extra.iter().map(|&a| a.to_owned()));
    args
}

/// Runs [`hostile_run`] with [`args`].
async fn probe(addr: &str, extra: &[&str]) -> Run {
    let args = args(addr, extra);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    hostile_run(&args).await
}

/// Serves every connection with one scripted answer to the first request,
/// then leaves the closing to the probe.
async fn answering(reply: impl Fn(u32) -> Vec<u8> + Send + Sync + 'static) -> (String, Stop) {
    serve(move |mut peer: Peer, _| {
        let reply = reply(1);
        async move {
            if let Some(stream) = peer.request().await {
                assert_eq!(stream, 1, "the probe's first stream");
                peer.send(&reply).await;
                peer.until_closed().await;
            }
        }
    })
    .await
}

/// A HealthCheckResponse that says SERVING in its first 4 MiB + 1 bytes, the
/// most an inflater bounded one byte past the limit reads, and goes on past
/// them: a probe that decodes what it read says SERVING.
fn serving_then_more() -> Vec<u8> {
    let serving = [0x08, 0x01];
    // Field 15, length-delimited, filler: makes `prefix` 4 MiB - 1 bytes.
    let filler_len: usize = MAX_MESSAGE - 1 - serving.len() - 1 - 4;
    let mut msg = serving.to_vec();
    msg.push(0x7a);
    let mut n = filler_len;
    while n >= 0x80 {
        msg.push(u8::try_from(n & 0x7f).expect("7 bits") | 0x80);
        n >>= 7;
    }
    msg.push(u8::try_from(n).expect("7 bits"));
    assert_eq!(msg.len(), 7, "a 4-byte length");
    msg.resize(msg.len() + filler_len, 0);
    // Bytes 4 MiB - 1 and 4 MiB: SERVING again, ending exactly at the cut.
    msg.extend_from_slice(&serving);
    assert_eq!(msg.len(), MAX_MESSAGE + 1);
    let decoded: HealthCheckResponse = prost::Message::decode(&msg[..]).expect("valid prefix");
    assert_eq!(decoded.status, 1);
    // Past the cut: another field of 1 MiB.
    msg.extend_from_slice(&[0x7a, 0x80, 0x80, 0x40]);
    msg.resize(msg.len() + (1 << 20), 0);
    msg
}

#[tokio::test]
async fn gzip_bomb_past_the_message_limit_is_resource_exhausted() {
    let bomb = grpc_message(true, &gzip(&serving_then_more()));
    let (addr, _stop) = answering(move |stream| answer(stream, "gzip", &bomb)).await;
    let r = probe(&addr, &["-gzip"]).await;
    r.assert_exit(
        3,
        &[
            "rpc error: code = ResourceExhausted",
            "received message after decompression larger than max",
        ],
    );
    assert!(!r.stderr.contains("SERVING"), "{}", r.stderr);
}

#[tokio::test]
async fn continuation_flood_is_refused_early() {
    let (addr, _stop) = serve(|mut peer: Peer, _| async move {
        let Some(stream) = peer.request().await else {
            return;
        };
        // HEADERS without END_HEADERS, then 16 KiB CONTINUATIONs for ever
        // (17 MiB at most, past h2's default limit): only the probe's limit
        // ends it.
        let start = hpack(&[(":status", b"200"), ("content-type", b"application/grpc")]);
        if !peer.send(&frame_bytes(HEADERS, 0, stream, &start)).await {
            return;
        }
        let field = hpack(&[("x-pad", &[b'a'; 16_000])]);
        let more = frame_bytes(CONTINUATION, 0, stream, &field);
        for _ in 0..1100 {
            if !peer.send(&more).await {
                return;
            }
        }
        peer.hang_up().await;
    })
    .await;
    let r = probe(&addr, &[]).await;
    r.assert_exit(3, &["error: health rpc failed"]);
}

#[tokio::test]
async fn long_grpc_message_is_cut() {
    // Under the 16 KiB header limit, so that it reaches the message.
    let long = vec![b'A'; 12 * 1024];
    let (addr, _stop) = answering(move |stream| trailers_only(stream, INTERNAL, &long)).await;
    let r = probe(&addr, &[]).await;
    r.assert_exit(
        3,
        &[
            "rpc error: code = Internal desc = AAAA",
            "… (12032 bytes cut)",
        ],
    );
}

#[tokio::test]
async fn control_characters_in_grpc_message_are_escaped() {
    let forged = b"bad%1B[2J%0D%07%0Astatus: SERVING%E2%80%AE";
    let (addr, _stop) = answering(move |stream| trailers_only(stream, INTERNAL, forged)).await;
    let r = probe(&addr, &[]).await;
    r.assert_exit(3, &[r"desc = bad\x1b[2J\r\x07\nstatus: SERVING\u{202e}"]);
    assert_no_forgery(&r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
}

#[tokio::test]
async fn control_characters_in_listed_names_are_escaped() {
    let serving = HealthCheckResponse { status: 1 };
    let list = HealthListResponse {
        statuses: [
            ("a\nstatus: SERVING".to_owned(), serving),
            ("b\u{1b}]0;owned\u{7}".to_owned(), serving),
        ]
        .into(),
    };
    let msg = grpc_message(false, &prost::Message::encode_to_vec(&list));
    let (addr, _stop) = answering(move |stream| answer(stream, "identity", &msg)).await;
    let r = probe(&addr, &["-list"]).await;
    r.assert_exit(
        0,
        &[
            "a\\nstatus: SERVING: SERVING\n",
            "b\\x1b]0;owned\\x07: SERVING\n",
        ],
    );
    assert_no_forgery(&r.stderr);
    assert_eq!(r.stderr.lines().count(), 2, "{}", r.stderr);
}

/// No control character reached stderr, and no line was forged.
fn assert_no_forgery(stderr: &str) {
    assert!(
        !stderr
            .chars()
            .any(|c| c != '\n' && (c.is_control() || c == '\u{202e}')),
        "{stderr:?}"
    );
    assert!(
        !stderr.lines().any(|l| l.starts_with("status: ")),
        "{stderr}"
    );
}

#[tokio::test]
async fn pong_and_goaway_in_one_write_is_an_answered_ping() {
    let (addr, _stop) = serve(|mut peer: Peer, _| async move {
        let Some((_, ping)) = peer.request_and_ping().await else {
            return;
        };
        // The pong, GOAWAY(NO_ERROR, last stream 0) and FIN, together.
        let mut both = pong(&ping);
        both.extend(goaway(0, 0));
        peer.send(&both).await;
        peer.hang_up().await;
    })
    .await;
    let r = probe(&addr, &[]).await;
    // Connected (the PING was answered); the request was left unprocessed.
    r.assert_exit(
        3,
        &["error: health rpc failed: rpc error: code = Unavailable"],
    );
    assert!(!r.stderr.contains("did not answer"), "{}", r.stderr);
}

#[tokio::test]
async fn wait_retries_a_request_that_goaway_left_unprocessed() {
    let (addr, _stop, mut served) =
        serve_reporting(|mut peer: Peer, connection, served| async move {
            let Some(stream) = peer.request().await else {
                return;
            };
            if connection == 0 {
                // Refuse the request gracefully (it is above the last stream).
                peer.send(&goaway(0, 0)).await;
            } else {
                peer.send(&health_answer(stream, 1)).await;
                let _ = served.send(connection);
            }
            peer.until_closed().await;
        })
        .await;
    let r = probe(&addr, &["-wait=8s"]).await;
    r.assert_exit(0, &["status: SERVING"]);
    assert_eq!(
        served.recv().await,
        Some(1),
        "answered on the second connection"
    );
}

#[tokio::test]
async fn no_attempt_runs_past_the_wait_deadline() {
    let (addr, _stop) = serve(|mut peer: Peer, connection| async move {
        let Some(stream) = peer.request().await else {
            return;
        };
        // A slow server: NOT_SERVING after 0.9 s on the first connection;
        // later ones never answer, so an attempt that is not cut at the
        // deadline runs its whole -rpc-timeout.
        if connection == 0 {
            tokio::time::sleep(Duration::from_millis(900)).await;
            peer.send(&health_answer(stream, 2)).await;
        }
        peer.until_closed().await;
    })
    .await;
    let r = probe(
        &addr,
        &["-wait=1s", "-rpc-timeout=5s", "-connect-timeout=1s"],
    )
    .await;
    assert_ne!(r.code, 0, "{}", r.stderr);
    // Without the cut, the second attempt ran its whole -rpc-timeout: 5.9 s.
    // The bound leaves a loaded machine 2 s for the process itself.
    let (ended, wait_over) = (r.elapsed, r.stderr.contains("not SERVING within -wait=1s"));
    assert!(
        wait_over && ended < Duration::from_secs(3),
        "took {ended:?}:\n{}",
        r.stderr
    );
}

#[tokio::test]
async fn connection_ends_with_goaway_then_fin() {
    let (addr, _stop, mut seen) = serve_reporting(|mut peer: Peer, _, seen| async move {
        let Some(stream) = peer.request().await else {
            return;
        };
        peer.send(&health_answer(stream, 1)).await;
        let _ = seen.send(peer.until_closed().await);
    })
    .await;
    probe(&addr, &[]).await.assert_exit(0, &["status: SERVING"]);
    let (frames, fin) = tokio::time::timeout(test_support::HANG_GUARD, seen.recv())
        .await
        .expect("the server saw the end")
        .expect("one connection");
    let last = frames.last().expect("frames after the answer");
    assert_eq!(last.kind, GOAWAY, "last frame: {frames:?}");
    assert_eq!(&last.payload[4..8], &[0, 0, 0, 0], "NO_ERROR");
    assert!(fin, "closed with a FIN, not a reset");
}

#[tokio::test]
async fn tls_probe_of_plaintext_port_hints_to_drop_tls() {
    let server = start(HealthChecks::new()).await;
    let addr = server.addr.to_string();
    let r = probe(&addr, &["-tls", "-tls-no-verify"]).await;
    r.assert_exit(
        2,
        &[
            "tls handshake failed",
            "(is it a plaintext port? drop -tls)",
        ],
    );
}

/// The helpers write what they say: a sanity check of the evil server.
#[test]
fn frames_are_well_formed() {
    let f = frame_bytes(HEADERS, 0x4, 3, &[1, 2]);
    assert_eq!(f, [0, 0, 2, HEADERS, 0x4, 0, 0, 0, 3, 1, 2]);
    assert_eq!(data(1, &vec![0; 16_385]).len(), 9 + 16_384 + 9 + 1);
    assert_eq!(hpack(&[("a", &[b'b'; 130])])[..5], [0, 1, b'a', 127, 3]);
    assert_eq!(grpc_headers(1, "gzip")[3], HEADERS);
}
