//! A raw HTTP/2 client that writes whatever frames a test asks for, valid or
//! not, and tallies what the server answers: the attacks an HTTP/2 library's
//! client would refuse to send.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::task::JoinHandle;

use test_support::HANG_GUARD;

const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
const DATA: u8 = 0x0;
const HEADERS: u8 = 0x1;
const RST_STREAM: u8 = 0x3;
const SETTINGS: u8 = 0x4;
const PING: u8 = 0x6;
const GOAWAY: u8 = 0x7;
const END_STREAM: u8 = 0x1;
const END_HEADERS: u8 = 0x4;
const ACK: u8 = 0x1;
/// The PING a test sends last: its ACK means every frame before it was read.
const LAST_PING: [u8; 8] = *b"the-end!";

/// HTTP/2 error codes (RFC 9113 §7).
pub(super) const CANCEL: u32 = 0x8;
pub(super) const REFUSED_STREAM: u32 = 0x7;
pub(super) const ENHANCE_YOUR_CALM: u32 = 0xb;

/// What the server sent on one raw connection.
#[derive(Debug, Default)]
pub(super) struct Answers {
    /// HEADERS frames: responses (and trailers) the server sent.
    pub(super) headers: usize,
    /// RST_STREAM frames, by error code.
    pub(super) resets: std::collections::BTreeMap<u32, usize>,
    /// The GOAWAY error code, if the server ended the connection with one.
    pub(super) goaway: Option<u32>,
    /// Whether the server acknowledged the last PING, so read every frame before it.
    pub(super) read_everything: bool,
}

impl Answers {
    /// RST_STREAM frames with `code`.
    pub(super) fn resets(&self, code: u32) -> usize {
        self.resets.get(&code).copied().unwrap_or_default()
    }
}

/// SETTINGS_INITIAL_WINDOW_SIZE (RFC 9113 §6.5.2).
const INITIAL_WINDOW_SIZE: u16 = 0x4;

/// One raw HTTP/2 connection.
pub(super) struct RawConnection {
    writer: OwnedWriteHalf,
    reader: Reader,
    next_stream: u32,
}

enum Reader {
    /// A task reads and tallies the server's frames, so that the server is
    /// never blocked writing them.
    Tallying(JoinHandle<Answers>),
    /// Nobody reads: what the server sends piles up in the socket.
    Unread { _reader: OwnedReadHalf },
}

impl RawConnection {
    /// Connects, exchanges SETTINGS and acknowledges the server's, so that
    /// its limits apply to every stream that follows.
    pub(super) async fn open(addr: SocketAddr) -> Self {
        let (mut reader, writer) = handshake(addr, &[]).await;
        let reader = tokio::spawn(async move { tally(&mut reader).await });
        Self {
            writer,
            reader: Reader::Tallying(reader),
            next_stream: 1,
        }
    }

    /// [`RawConnection::open`] for a client that never reads again after the
    /// handshake and grants no flow-control window to its streams: the
    /// server can send them headers but no message.
    pub(super) async fn open_never_reading(addr: SocketAddr) -> Self {
        let mut no_window = INITIAL_WINDOW_SIZE.to_be_bytes().to_vec();
        no_window.extend_from_slice(&0_u32.to_be_bytes());
        let (reader, writer) = handshake(addr, &no_window).await;
        Self {
            writer,
            reader: Reader::Unread { _reader: reader },
            next_stream: 1,
        }
    }
}

/// Connects, sends the preface and SETTINGS with `settings` (6-byte entries),
/// reads up to the server's SETTINGS and acknowledges them.
async fn handshake(addr: SocketAddr, settings: &[u8]) -> (OwnedReadHalf, OwnedWriteHalf) {
    let socket = TcpStream::connect(addr).await.expect("connect");
    let (mut reader, mut writer) = socket.into_split();
    writer.write_all(PREFACE).await.expect("preface");
    writer
        .write_all(&frame(SETTINGS, 0, 0, settings))
        .await
        .expect("settings");
    loop {
        let (kind, flags, _, _) = read_frame(&mut reader)
            .await
            .expect("the server's SETTINGS");
        if kind == SETTINGS && flags & ACK == 0 {
            break;
        }
    }
    writer
        .write_all(&frame(SETTINGS, ACK, 0, &[]))
        .await
        .expect("settings ack");
    (reader, writer)
}

/// Reads the server's frames up to the ACK of the last PING, a GOAWAY or the
/// end of the connection.
async fn tally(reader: &mut OwnedReadHalf) -> Answers {
    let mut answers = Answers::default();
    while let Some((kind, flags, _, payload)) = read_frame(reader).await {
        match kind {
            HEADERS => answers.headers += 1,
            RST_STREAM => *answers.resets.entry(code(&payload, 0)).or_default() += 1,
            GOAWAY => {
                answers.goaway = Some(code(&payload, 4));
                break;
            }
            PING if flags & ACK != 0 && payload == LAST_PING => {
                answers.read_everything = true;
                break;
            }
            _ => {}
        }
    }
    answers
}

impl RawConnection {
    /// The id of a new client stream.
    pub(super) fn new_stream(&mut self) -> u32 {
        let id = self.next_stream;
        self.next_stream += 2;
        id
    }

    /// Writes `bytes`; false once the server has closed the connection.
    pub(super) async fn send(&mut self, bytes: &[u8]) -> bool {
        self.writer.write_all(bytes).await.is_ok()
    }

    /// Sends the last PING and returns what the server answered up to its ACK,
    /// a GOAWAY, or the end of the connection.
    pub(super) async fn finish(mut self) -> Answers {
        let Reader::Tallying(reader) = self.reader else {
            panic!("a connection that never reads has no answers");
        };
        let _ = self.writer.write_all(&frame(PING, 0, 0, &LAST_PING)).await;
        tokio::time::timeout(HANG_GUARD, reader)
            .await
            .expect("the server answers the last PING or ends the connection")
            .expect("the reader task")
    }
}

/// A gRPC call's HEADERS frame for `method` of grpc.health.v1.Health, with
/// END_STREAM when the call has no body.
pub(super) fn request_headers(stream: u32, method: &str, end_stream: bool) -> Vec<u8> {
    let mut block = vec![0x83, 0x86]; // :method POST, :scheme http (HPACK static table)
    literal(
        &mut block,
        &[0x04],
        &format!("/grpc.health.v1.Health/{method}"),
    ); // :path
    literal(&mut block, &[0x01], "health"); // :authority
    literal(&mut block, &[0x0f, 0x10], "application/grpc"); // content-type (index 31)
    block.push(0x00); // te, not in the static table
    string(&mut block, "te");
    string(&mut block, "trailers");
    let flags = END_HEADERS | if end_stream { END_STREAM } else { 0 };
    frame(HEADERS, flags, stream, &block)
}

/// A DATA frame carrying one gRPC message with `service` as the request.
pub(super) fn request_data(stream: u32, service: &str) -> Vec<u8> {
    let length = u8::try_from(service.len()).expect("a short service name");
    let mut message = vec![0, 0, 0, 0, length + 2, 0x0a, length];
    message.extend_from_slice(service.as_bytes());
    frame(DATA, END_STREAM, stream, &message)
}

/// RST_STREAM with `code`.
pub(super) fn reset(stream: u32, code: u32) -> Vec<u8> {
    frame(RST_STREAM, 0, stream, &code.to_be_bytes())
}

/// An HPACK literal without indexing, its name given by `name` (a static table index).
fn literal(block: &mut Vec<u8>, name: &[u8], value: &str) {
    block.extend_from_slice(name);
    string(block, value);
}

fn string(block: &mut Vec<u8>, value: &str) {
    block.push(u8::try_from(value.len()).expect("under 127 bytes"));
    block.extend_from_slice(value.as_bytes());
}

fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let length = u32::try_from(payload.len()).expect("a small frame");
    let mut bytes = length.to_be_bytes()[1..].to_vec();
    bytes.extend_from_slice(&[kind, flags]);
    bytes.extend_from_slice(&stream.to_be_bytes());
    bytes.extend_from_slice(payload);
    bytes
}

fn code(payload: &[u8], at: usize) -> u32 {
    payload
        .get(at..at + 4)
        .and_then(|bytes| bytes.try_into().ok())
        .map_or(u32::MAX, u32::from_be_bytes)
}

/// The next frame as (type, flags, stream, payload); None at the end of the
/// connection, reset or not.
async fn read_frame(reader: &mut (impl AsyncReadExt + Unpin)) -> Option<(u8, u8, u32, Vec<u8>)> {
    let mut head = [0; 9];
    reader.read_exact(&mut head).await.ok()?;
    let length = u32::from_be_bytes([0, head[0], head[1], head[2]]);
    let stream = u32::from_be_bytes([head[5], head[6], head[7], head[8]]) & 0x7fff_ffff;
    let mut payload = vec![0; usize::try_from(length).ok()?];
    reader.read_exact(&mut payload).await.ok()?;
    Some((head[3], head[4], stream, payload))
}
