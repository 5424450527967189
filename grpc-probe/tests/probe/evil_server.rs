//! Hostile HTTP/2 peers written frame by frame over a loopback TCP socket,
//! so that a test can send what no well-behaved server library would: a
//! pong and a GOAWAY in one write, endless CONTINUATION frames, a gzip bomb,
//! control characters in `grpc-message`. HPACK is written as literal fields
//! without indexing or Huffman coding, which every decoder must accept.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use test_support::server::Stop;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

use crate::support::tcp_server;

/// Frame types used here (RFC 9113 §6).
pub(crate) const DATA: u8 = 0x0;
pub(crate) const HEADERS: u8 = 0x1;
pub(crate) const SETTINGS: u8 = 0x4;
pub(crate) const PING: u8 = 0x6;
pub(crate) const GOAWAY: u8 = 0x7;
pub(crate) const CONTINUATION: u8 = 0x9;

/// Flags.
pub(crate) const END_STREAM: u8 = 0x1;
pub(crate) const ACK: u8 = 0x1;
pub(crate) const END_HEADERS: u8 = 0x4;

/// The largest frame payload a peer may send before SETTINGS say otherwise.
const MAX_FRAME: usize = 16_384;

/// One frame as read from the probe.
#[derive(Debug)]
pub(crate) struct Frame {
    pub(crate) kind: u8,
    pub(crate) flags: u8,
    pub(crate) stream: u32,
    pub(crate) payload: Vec<u8>,
}

/// The server's end of one connection from the probe.
#[derive(Debug)]
pub(crate) struct Peer {
    socket: TcpStream,
}

impl Peer {
    /// Reads the next frame; `None` once the probe has closed (or reset) the
    /// connection.
    pub(crate) async fn read_frame(&mut self) -> Option<Frame> {
        self.try_read_frame().await.ok()
    }

    /// Reads the next frame, or says how the connection ended.
    async fn try_read_frame(&mut self) -> std::io::Result<Frame> {
        let mut head = [0u8; 9];
        self.socket.read_exact(&mut head).await?;
        let len = usize::from(head[0]) << 16 | usize::from(head[1]) << 8 | usize::from(head[2]);
        let mut payload = vec![0; len];
        self.socket.read_exact(&mut payload).await?;
        let stream = u32::from_be_bytes([head[5], head[6], head[7], head[8]]) & 0x7fff_ffff;
        Ok(Frame {
            kind: head[3],
            flags: head[4],
            stream,
            payload,
        })
    }

    /// Writes `bytes` in one write; false if the probe is gone.
    pub(crate) async fn send(&mut self, bytes: &[u8]) -> bool {
        self.socket.write_all(bytes).await.is_ok()
    }

    /// Reads until both the probe's request (its HEADERS) and its PING have
    /// arrived, acknowledging SETTINGS; returns the request's stream id and
    /// the PING's payload, which is left unanswered.
    pub(crate) async fn request_and_ping(&mut self) -> Option<(u32, Vec<u8>)> {
        let (mut stream, mut ping) = (None, None);
        while stream.is_none() || ping.is_none() {
            let frame = self.read_frame().await?;
            match frame.kind {
                SETTINGS if frame.flags & ACK == 0 => {
                    self.send(&frame_bytes(SETTINGS, ACK, 0, &[])).await;
                }
                PING if frame.flags & ACK == 0 => ping = Some(frame.payload),
                HEADERS => stream = Some(frame.stream),
                _ => {}
            }
        }
        Some((stream?, ping?))
    }

    /// Like [`Self::request_and_ping`], but answers the PING at once.
    pub(crate) async fn request(&mut self) -> Option<u32> {
        let (stream, ping) = self.request_and_ping().await?;
        self.send(&pong(&ping)).await.then_some(stream)
    }

    /// Reads every frame until the probe closes the connection; also says
    /// whether it closed with a FIN (end of stream) rather than a reset.
    pub(crate) async fn until_closed(&mut self) -> (Vec<Frame>, bool) {
        let mut frames = Vec::new();
        loop {
            match self.try_read_frame().await {
                Ok(frame) => frames.push(frame),
                Err(e) => return (frames, e.kind() == std::io::ErrorKind::UnexpectedEof),
            }
        }
    }

    /// Stops writing (FIN) and reads until the probe closes too.
    pub(crate) async fn hang_up(mut self) {
        let _ = self.socket.shutdown().await;
        self.until_closed().await;
    }
}

/// Serves every connection with `script`, after the preface and an empty
/// SETTINGS; `script` is also told which connection this is (0, 1, ...).
pub(crate) async fn serve<F, Fut>(script: F) -> (String, Stop)
where
    F: Fn(Peer, usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let script = Arc::new(script);
    let count = Arc::new(AtomicUsize::new(0));
    tcp_server(move |mut socket| {
        let (script, number) = (script.clone(), count.fetch_add(1, Ordering::SeqCst));
        async move {
            let mut preface = [0u8; 24];
            if socket.read_exact(&mut preface).await.is_err()
                || socket
                    .write_all(&frame_bytes(SETTINGS, 0, 0, &[]))
                    .await
                    .is_err()
            {
                return;
            }
            assert_eq!(&preface, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
            script(Peer { socket }, number).await;
        }
    })
    .await
}

/// Like [`serve`], with a channel on which the script reports what it saw.
pub(crate) async fn serve_reporting<T, F, Fut>(
    script: F,
) -> (String, Stop, mpsc::UnboundedReceiver<T>)
where
    T: Send + 'static,
    F: Fn(Peer, usize, mpsc::UnboundedSender<T>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let (report, reports) = mpsc::unbounded_channel();
    let (addr, stop) = serve(move |peer, number| script(peer, number, report.clone())).await;
    (addr, stop, reports)
}

/// One frame: 9-byte header, then `payload`.
pub(crate) fn frame_bytes(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = u32::try_from(payload.len()).expect("frame fits");
    let mut out = len.to_be_bytes()[1..].to_vec();
    out.extend_from_slice(&[kind, flags]);
    out.extend_from_slice(&stream.to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// The answer to a PING.
pub(crate) fn pong(payload: &[u8]) -> Vec<u8> {
    frame_bytes(PING, ACK, 0, payload)
}

/// GOAWAY with `last_stream` and error `code` (0: NO_ERROR).
pub(crate) fn goaway(last_stream: u32, code: u32) -> Vec<u8> {
    let mut payload = last_stream.to_be_bytes().to_vec();
    payload.extend_from_slice(&code.to_be_bytes());
    frame_bytes(GOAWAY, 0, 0, &payload)
}

/// An HPACK block of literal fields without indexing (RFC 7541 §6.2.2).
pub(crate) fn hpack(fields: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, value) in fields {
        out.push(0);
        hpack_string(&mut out, name.as_bytes());
        hpack_string(&mut out, value);
    }
    out
}

/// A string literal: 7-bit prefixed length (no Huffman), then the bytes.
fn hpack_string(out: &mut Vec<u8>, bytes: &[u8]) {
    let mut len = bytes.len();
    if len < 127 {
        out.push(u8::try_from(len).expect("small"));
    } else {
        out.push(127);
        len -= 127;
        while len >= 128 {
            out.push(u8::try_from(len % 128).expect("7 bits") | 0x80);
            len /= 128;
        }
        out.push(u8::try_from(len).expect("7 bits"));
    }
    out.extend_from_slice(bytes);
}

/// A complete HEADERS frame.
pub(crate) fn headers(stream: u32, fields: &[(&str, &[u8])], end_stream: bool) -> Vec<u8> {
    let flags = END_HEADERS | if end_stream { END_STREAM } else { 0 };
    frame_bytes(HEADERS, flags, stream, &hpack(fields))
}

/// The response headers of a gRPC answer.
pub(crate) fn grpc_headers(stream: u32, encoding: &str) -> Vec<u8> {
    headers(
        stream,
        &[
            (":status", b"200"),
            ("content-type", b"application/grpc"),
            ("grpc-encoding", encoding.as_bytes()),
        ],
        false,
    )
}

/// A trailers-only answer: the status alone, with `message` as given (the
/// server is meant to percent-encode it; a hostile one need not).
pub(crate) fn trailers_only(stream: u32, code: u32, message: &[u8]) -> Vec<u8> {
    let code = code.to_string();
    headers(
        stream,
        &[
            (":status", b"200"),
            ("content-type", b"application/grpc"),
            ("grpc-status", code.as_bytes()),
            ("grpc-message", message),
        ],
        true,
    )
}

/// `body` as DATA frames of at most the default frame size.
pub(crate) fn data(stream: u32, body: &[u8]) -> Vec<u8> {
    body.chunks(MAX_FRAME)
        .flat_map(|chunk| frame_bytes(DATA, 0, stream, chunk))
        .collect()
}

/// A gRPC length-prefixed message (`compressed` flag as given).
pub(crate) fn grpc_message(compressed: bool, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![u8::from(compressed)];
    out.extend_from_slice(&u32::try_from(payload.len()).expect("fits").to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// A whole successful answer: headers, one message, `grpc-status: 0`.
pub(crate) fn answer(stream: u32, encoding: &str, message: &[u8]) -> Vec<u8> {
    let mut out = grpc_headers(stream, encoding);
    out.extend(data(stream, message));
    out.extend(headers(stream, &[("grpc-status", b"0")], true));
    out
}

/// A HealthCheckResponse with `status`, framed, uncompressed.
pub(crate) fn health_answer(stream: u32, status: i32) -> Vec<u8> {
    let msg =
        prost::Message::encode_to_vec(&grpc_health_checks::pb::HealthCheckResponse { status });
    answer(stream, "identity", &grpc_message(false, &msg))
}

/// `bytes`, gzip-compressed.
pub(crate) fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).expect("gzip");
    enc.finish().expect("gzip")
}
