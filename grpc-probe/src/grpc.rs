//! gRPC over a raw h2 connection: request headers, 5-byte length-prefixed
//! messages (optionally gzip), and the status from trailers or from a
//! trailers-only response.

use std::fmt;
use std::io::{Read, Write};
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use h2::RecvStream;
use h2::client::SendRequest;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request};

use crate::server_text::ServerText;

/// Largest accepted response message, as grpc-go's default.
const MAX_MESSAGE: usize = 4 * 1024 * 1024;

/// A gRPC status code; its Go spelling (`grpc_health_proto::code`) is what
/// `rpc error: code = NotFound desc = ...` prints. The codes the probe itself
/// gives have constants here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Code(u32);

impl Code {
    /// Success.
    pub(crate) const OK: Code = Code(0);
    /// The call was cancelled, e.g. by an HTTP/2 `CANCEL`.
    pub(crate) const CANCELLED: Code = Code(1);
    /// Unknown service: what a health server answers for a name it does not
    /// know (named in tests of the output).
    #[cfg(test)]
    pub(crate) const NOT_FOUND: Code = Code(5);
    /// Unknown error.
    pub(crate) const UNKNOWN: Code = Code(2);
    /// The deadline expired.
    pub(crate) const DEADLINE_EXCEEDED: Code = Code(4);
    /// The caller may not do this (HTTP 403).
    pub(crate) const PERMISSION_DENIED: Code = Code(7);
    /// A limit was hit, e.g. a message larger than the maximum.
    pub(crate) const RESOURCE_EXHAUSTED: Code = Code(8);
    /// The method is not implemented.
    pub(crate) const UNIMPLEMENTED: Code = Code(12);
    /// Internal error, e.g. a malformed response.
    pub(crate) const INTERNAL: Code = Code(13);
    /// The transport failed or the server is not available.
    pub(crate) const UNAVAILABLE: Code = Code(14);
    /// No valid credentials (HTTP 401).
    pub(crate) const UNAUTHENTICATED: Code = Code(16);
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match grpc_health_proto::code::go_name(self.0) {
            Some(name) => f.write_str(name),
            // A code from a newer server: grpc-go prints `Code(17)`.
            None => write!(f, "Code({})", self.0),
        }
    }
}

/// A non-OK gRPC status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Status {
    /// The code.
    pub(crate) code: Code,
    /// The percent-decoded `grpc-message`.
    pub(crate) message: String,
}

impl Status {
    /// A status with this code and message.
    pub(crate) fn new(code: Code, message: impl Into<String>) -> Self {
        Status {
            code,
            message: message.into(),
        }
    }

    /// The deadline of a call expired before it completed.
    fn deadline_exceeded() -> Self {
        Status::new(Code::DEADLINE_EXCEEDED, "")
    }

    /// A transport failure during a call, as grpc-go reports it.
    fn transport(e: &h2::Error) -> Self {
        let code = match e.reason() {
            // A GOAWAY first, whatever its reason: with NO_ERROR it is a
            // graceful close that left this stream unprocessed, which grpc-go
            // reports as UNAVAILABLE (and `-wait` retries).
            _ if e.is_go_away() || e.is_io() => Code::UNAVAILABLE,
            Some(h2::Reason::CANCEL) => Code::CANCELLED,
            Some(h2::Reason::REFUSED_STREAM) => Code::UNAVAILABLE,
            // RST_STREAM(NO_ERROR) before the trailers, as grpc-go: INTERNAL.
            Some(h2::Reason::NO_ERROR) if e.is_remote() => Code::INTERNAL,
            _ => Code::INTERNAL,
        };
        Status::new(code, e.to_string())
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The message is the server's: printed escaped and bounded.
        write!(
            f,
            "rpc error: code = {} desc = {}",
            self.code,
            ServerText(&self.message)
        )
    }
}

/// Sends calls over one HTTP/2 connection; cheap to clone.
#[derive(Clone, Debug)]
pub(crate) struct Client {
    send: SendRequest<Bytes>,
    scheme: &'static str,
    authority: http::uri::Authority,
    headers: HeaderMap,
    gzip: bool,
}

impl Client {
    /// `extra` are user headers; `timeout` becomes `grpc-timeout`.
    pub(crate) fn new(
        send: SendRequest<Bytes>,
        tls: bool,
        authority: &str,
        user_agent: HeaderValue,
        extra: &[(HeaderName, HeaderValue)],
        gzip: bool,
    ) -> Result<Self, String> {
        let scheme = if tls { "https" } else { "http" };
        let authority = http::uri::Authority::try_from(authority)
            .map_err(|e| format!("invalid authority {authority:?}: {e}"))?;
        let mut headers = HeaderMap::new();
        for (name, value) in extra {
            headers.append(name.clone(), value.clone());
        }
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/grpc"),
        );
        headers.insert(http::header::TE, HeaderValue::from_static("trailers"));
        headers.insert(http::header::USER_AGENT, user_agent);
        if gzip {
            headers.insert("grpc-encoding", HeaderValue::from_static("gzip"));
            headers.insert("grpc-accept-encoding", HeaderValue::from_static("gzip"));
        }
        Ok(Client {
            send,
            scheme,
            authority,
            headers,
            gzip,
        })
    }

    /// A unary call: exactly one response message, then status OK, all
    /// within `timeout` (sent as `grpc-timeout` too).
    pub(crate) async fn unary<Req, Resp>(
        &self,
        path: &str,
        req: &Req,
        timeout: Duration,
    ) -> Result<Resp, Status>
    where
        Req: prost::Message,
        Resp: prost::Message + Default,
    {
        within(timeout, async {
            let mut stream = self.call(path, req, Some(timeout)).await?;
            let resp = stream
                .message()
                .await?
                .ok_or_else(|| Status::new(Code::INTERNAL, "no response message"))?;
            match stream.message::<Resp>().await? {
                None => Ok(resp),
                Some(_) => Err(Status::new(
                    Code::INTERNAL,
                    "more than one response message to a unary call",
                )),
            }
        })
        .await
    }

    /// A server-streaming call whose first message must arrive within
    /// `first_within`; later messages have no deadline. Returns that first
    /// message (`None` if the call ended without one) and the rest of the stream.
    pub(crate) async fn server_stream<Req, Resp>(
        &self,
        path: &str,
        req: &Req,
        first_within: Duration,
    ) -> Result<(Option<Resp>, Messages), Status>
    where
        Req: prost::Message,
        Resp: prost::Message + Default,
    {
        within(first_within, async {
            let mut stream = self.call(path, req, None).await?;
            let first = stream.message().await?;
            Ok((first, stream))
        })
        .await
    }

    /// Starts a call and returns its response message stream.
    async fn call<Req: prost::Message>(
        &self,
        path: &str,
        req: &Req,
        timeout: Option<Duration>,
    ) -> Result<Messages, Status> {
        let uri = http::Uri::builder()
            .scheme(self.scheme)
            .authority(self.authority.clone())
            .path_and_query(path)
            .build()
            .map_err(|e| Status::new(Code::INTERNAL, e.to_string()))?;
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(uri)
            .body(())
            .map_err(|e| Status::new(Code::INTERNAL, e.to_string()))?;
        *request.headers_mut() = self.headers.clone();
        if let Some(t) = timeout {
            request
                .headers_mut()
                .insert("grpc-timeout", grpc_timeout(t));
        }
        let body = encode(req, self.gzip)?;
        let mut send = self.send.clone();
        let (response, mut body_tx) = send
            .send_request(request, false)
            .map_err(|e| Status::transport(&e))?;
        body_tx
            .send_data(body, true)
            .map_err(|e| Status::transport(&e))?;
        let response = response.await.map_err(|e| Status::transport(&e))?;
        let (parts, body) = response.into_parts();
        let early_end = parts.headers.contains_key("grpc-status");
        let done = if early_end {
            Some(status_of(&parts.headers))
        } else if parts.status != http::StatusCode::OK {
            Some(Err(http_status(parts.status)))
        } else {
            None
        };
        let gzip = parts
            .headers
            .get("grpc-encoding")
            .is_some_and(|v| v == "gzip");
        Ok(Messages {
            body,
            buf: BytesMut::new(),
            gzip,
            done,
        })
    }
}

/// The messages of one response, then its status.
#[derive(Debug)]
pub(crate) struct Messages {
    body: RecvStream,
    buf: BytesMut,
    gzip: bool,
    /// Set once the status is known (trailers, or a trailers-only response).
    done: Option<Result<(), Status>>,
}

impl Messages {
    /// The next message; `Ok(None)` when the call ended with status OK.
    pub(crate) async fn message<M: prost::Message + Default>(
        &mut self,
    ) -> Result<Option<M>, Status> {
        loop {
            if let Some(raw) = self.frame()? {
                return M::decode(raw)
                    .map(Some)
                    .map_err(|e| Status::new(Code::INTERNAL, format!("bad message: {e}")));
            }
            if let Some(done) = &self.done {
                return done.clone().map(|()| None);
            }
            match self.body.data().await {
                Some(Ok(chunk)) => {
                    let _ = self.body.flow_control().release_capacity(chunk.len());
                    self.buf.extend_from_slice(&chunk);
                }
                Some(Err(e)) => return Err(Status::transport(&e)),
                None => {
                    let trailers = self
                        .body
                        .trailers()
                        .await
                        .map_err(|e| Status::transport(&e))?;
                    let status = trailers.map_or_else(
                        || {
                            Err(Status::new(
                                Code::INTERNAL,
                                "server closed the stream without sending trailers",
                            ))
                        },
                        |t| status_of(&t),
                    );
                    if !self.buf.is_empty() {
                        return Err(Status::new(Code::INTERNAL, "truncated response message"));
                    }
                    self.done = Some(status);
                }
            }
        }
    }

    /// Takes one complete length-prefixed message off the buffer.
    fn frame(&mut self) -> Result<Option<Bytes>, Status> {
        take_message(&mut self.buf, self.gzip, MAX_MESSAGE)
    }
}

/// Takes one complete length-prefixed message off `buf`, inflated if it is
/// compressed (`gzip`: the response's `grpc-encoding` is gzip); `Ok(None)`
/// while it is incomplete. A message over `max` bytes ([`MAX_MESSAGE`]),
/// compressed or inflated, is RESOURCE_EXHAUSTED, as in grpc-go.
fn take_message(buf: &mut BytesMut, gzip: bool, max: usize) -> Result<Option<Bytes>, Status> {
    if buf.len() < 5 {
        return Ok(None);
    }
    let compressed = buf[0] == 1;
    let len = u32::from_be_bytes([buf[1], buf[2], buf[3], buf[4]]) as usize;
    if len > max {
        return Err(Status::new(
            Code::RESOURCE_EXHAUSTED,
            format!("received message larger than max ({len} vs. {max})"),
        ));
    }
    if buf.len() < 5 + len {
        return Ok(None);
    }
    buf.advance(5);
    let raw = buf.split_to(len).freeze();
    if !compressed {
        return Ok(Some(raw));
    }
    if !gzip {
        return Err(Status::new(
            Code::INTERNAL,
            "compressed message without a known grpc-encoding",
        ));
    }
    gunzip(&raw, max).map(Some)
}

/// Inflates a gzip message. Its own function, never inlined: the inflater's
/// state is tens of KiB on the stack, and a frame that held it would touch
/// every one of those pages on each call, compressed or not.
#[cold]
#[inline(never)]
fn gunzip(raw: &[u8], max: usize) -> Result<Bytes, Status> {
    let mut out = Vec::new();
    // One byte past the limit tells an oversize message from one of exactly
    // the limit; what is past it is never read, so memory stays bounded.
    flate2::read::GzDecoder::new(raw)
        .take(max as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| Status::new(Code::INTERNAL, format!("bad gzip message: {e}")))?;
    if out.len() > max {
        // Never decode a prefix: a cut message can parse as SERVING.
        return Err(Status::new(
            Code::RESOURCE_EXHAUSTED,
            format!("received message after decompression larger than max (more than {max} bytes)"),
        ));
    }
    Ok(out.into())
}

/// Bounds a call by `timeout`; running out is DEADLINE_EXCEEDED, as a
/// client-side deadline is in grpc-go.
async fn within<T>(
    timeout: Duration,
    call: impl Future<Output = Result<T, Status>>,
) -> Result<T, Status> {
    tokio::time::timeout(timeout, call)
        .await
        .unwrap_or_else(|_| Err(Status::deadline_exceeded()))
}

/// Frames a request: compressed flag, u32 big-endian length, message.
fn encode(msg: &impl prost::Message, gzip: bool) -> Result<Bytes, Status> {
    let raw = msg.encode_to_vec();
    let payload = if gzip {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(&raw)
            .and_then(|()| enc.finish())
            .map_err(|e| Status::new(Code::INTERNAL, e.to_string()))?
    } else {
        raw
    };
    let len = u32::try_from(payload.len())
        .map_err(|_| Status::new(Code::INTERNAL, "request too large"))?;
    let mut out = BytesMut::with_capacity(5 + payload.len());
    out.put_u8(u8::from(gzip));
    out.put_u32(len);
    out.put_slice(&payload);
    Ok(out.freeze())
}

/// `grpc-status` and percent-decoded `grpc-message` from trailers.
fn status_of(headers: &HeaderMap) -> Result<(), Status> {
    let code = headers
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u32>().ok())
        .map(Code);
    let message = headers
        .get("grpc-message")
        .map(|v| percent_decode(v.as_bytes()))
        .unwrap_or_default();
    match code {
        Some(Code::OK) => Ok(()),
        Some(code) => Err(Status::new(code, message)),
        None => Err(Status::new(
            Code::INTERNAL,
            "missing or invalid grpc-status in trailers",
        )),
    }
}

/// gRPC's HTTP-to-status mapping for responses without `grpc-status`.
fn http_status(status: http::StatusCode) -> Status {
    let code = match status.as_u16() {
        400 => Code::INTERNAL,
        401 => Code::UNAUTHENTICATED,
        403 => Code::PERMISSION_DENIED,
        404 => Code::UNIMPLEMENTED,
        429 | 502..=504 => Code::UNAVAILABLE,
        _ => Code::UNKNOWN,
    };
    Status::new(
        code,
        format!("unexpected HTTP status code received from server: {status}"),
    )
}

/// Decodes `%XX` escapes (grpc-message is percent-encoded UTF-8).
pub(crate) fn percent_decode(raw: &[u8]) -> String {
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'%'
            && i + 2 < raw.len()
            && let (Some(h), Some(l)) = (hex(raw[i + 1]), hex(raw[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(raw[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Encodes a timeout as `grpc-timeout`: at most 8 digits, the finest unit that fits.
pub(crate) fn grpc_timeout(t: Duration) -> HeaderValue {
    let nanos = t.as_nanos();
    let units: [(u128, char); 6] = [
        (1, 'n'),
        (1_000, 'u'),
        (1_000_000, 'm'),
        (1_000_000_000, 'S'),
        (60_000_000_000, 'M'),
        (3_600_000_000_000, 'H'),
    ];
    let (value, unit) = units
        .iter()
        .map(|&(scale, unit)| (nanos.div_ceil(scale), unit))
        .find(|&(v, _)| v < 100_000_000)
        .unwrap_or((99_999_999, 'H'));
    HeaderValue::from_str(&format!("{value}{unit}"))
        .unwrap_or(HeaderValue::from_static("99999999H"))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode(b"unknown%20service"), "unknown service");
        assert_eq!(percent_decode(b"100%25"), "100%");
        assert_eq!(percent_decode(b"caf%C3%A9"), "café");
        assert_eq!(percent_decode(b"bad%zz%"), "bad%zz%");
        assert_eq!(percent_decode(b"%4"), "%4");
    }

    #[test]
    fn timeout_header() {
        assert_eq!(grpc_timeout(Duration::from_secs(1)), "1000000u");
        assert_eq!(grpc_timeout(Duration::from_millis(250)), "250000u");
        assert_eq!(grpc_timeout(Duration::from_secs(3600)), "3600000m");
        assert_eq!(grpc_timeout(Duration::from_nanos(5)), "5n");
    }

    #[test]
    fn framing_round_trip() {
        let req = grpc_health_proto::pb::HealthCheckRequest {
            service: "svc".into(),
        };
        for gzip in [false, true] {
            let framed = encode(&req, gzip).unwrap();
            assert_eq!(framed[0], u8::from(gzip));
            let len = u32::from_be_bytes([framed[1], framed[2], framed[3], framed[4]]) as usize;
            assert_eq!(len + 5, framed.len());
        }
    }

    #[test]
    fn status_from_trailers() {
        let mut t = HeaderMap::new();
        t.insert("grpc-status", HeaderValue::from_static("5"));
        t.insert(
            "grpc-message",
            HeaderValue::from_static("unknown%20service"),
        );
        let err = status_of(&t).unwrap_err();
        assert_eq!(
            err.to_string(),
            "rpc error: code = NotFound desc = unknown service"
        );
        t.insert("grpc-status", HeaderValue::from_static("0"));
        assert!(status_of(&t).is_ok());
        assert_eq!(
            status_of(&HeaderMap::new()).unwrap_err().code,
            Code::INTERNAL
        );
        assert_eq!(
            http_status(http::StatusCode::NOT_FOUND).code,
            Code::UNIMPLEMENTED
        );
    }

    #[test]
    fn codes_print_as_grpc_go() {
        assert_eq!(Code::CANCELLED.to_string(), "Canceled");
        assert_eq!(Code::UNAUTHENTICATED.to_string(), "Unauthenticated");
        assert_eq!(Code(17).to_string(), "Code(17)");
        assert_eq!(Code::NOT_FOUND.to_string(), "NotFound");
        assert_eq!(
            http_status(http::StatusCode::FORBIDDEN).code,
            Code::PERMISSION_DENIED
        );
    }

    /// grpc-message as grpc-go encodes it: bytes outside printable ASCII, and `%`.
    fn percent_encode(text: &str) -> String {
        text.bytes()
            .map(|b| match b {
                b' '..=b'~' if b != b'%' => char::from(b).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    }

    /// A framed message, gzip-compressed if asked.
    fn framed(payload: &[u8], gzip: bool) -> BytesMut {
        let body = if gzip {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            enc.write_all(payload).unwrap();
            enc.finish().unwrap()
        } else {
            payload.to_vec()
        };
        let mut buf = BytesMut::new();
        buf.put_u8(u8::from(gzip));
        buf.put_u32(u32::try_from(body.len()).unwrap());
        buf.put_slice(&body);
        buf
    }

    #[test]
    fn inflating_past_the_limit_is_resource_exhausted() {
        let max = 64;
        let mut exact = framed(&[7; 64], true);
        assert_eq!(
            take_message(&mut exact, true, max).unwrap().unwrap().len(),
            64
        );
        let mut over = framed(&[7; 65], true);
        let status = take_message(&mut over, true, max).unwrap_err();
        assert_eq!(status.code, Code::RESOURCE_EXHAUSTED);
        let mut framed_over = framed(&[7; 65], false);
        assert_eq!(
            take_message(&mut framed_over, false, max).unwrap_err().code,
            Code::RESOURCE_EXHAUSTED
        );
    }

    proptest! {
        // proptest's 256 cases each run in CI; PROPTEST_CASES sets more:
        // PROPTEST_CASES=100000 cargo test -p grpc-health-exec-probe grpc::tests

        /// Any bytes from the server: no panic, nothing larger than the
        /// limit, and what is left in the buffer never grows.
        #[test]
        fn any_response_bytes_are_framed_safely(
            bytes in proptest::collection::vec(any::<u8>(), 0..512),
            gzip in any::<bool>(),
        ) {
            let max = 128;
            let mut buf = BytesMut::from(&bytes[..]);
            while let Ok(Some(message)) = take_message(&mut buf, gzip, max) {
                prop_assert!(message.len() <= max);
            }
            prop_assert!(buf.len() <= bytes.len());
        }

        /// A message cut anywhere is incomplete, never a (shorter) message;
        /// whole, it is exactly what was sent, compressed or not.
        #[test]
        fn a_cut_message_is_never_a_message(
            payload in proptest::collection::vec(any::<u8>(), 0..300),
            gzip in any::<bool>(),
            cut in any::<prop::sample::Index>(),
        ) {
            let whole = framed(&payload, gzip);
            let mut part = BytesMut::from(&whole[..cut.index(whole.len())]);
            prop_assert!(matches!(take_message(&mut part, gzip, MAX_MESSAGE), Ok(None)));
            let mut all = whole;
            let message = take_message(&mut all, gzip, MAX_MESSAGE).ok().flatten();
            prop_assert_eq!(message.as_deref(), Some(&payload[..]));
        }

        /// Gzip that inflates past the limit is refused, never cut to it.
        #[test]
        fn oversize_gzip_is_refused(payload in proptest::collection::vec(any::<u8>(), 65..400)) {
            let mut buf = framed(&payload, true);
            let status = take_message(&mut buf, true, 64).unwrap_err();
            prop_assert_eq!(status.code, Code::RESOURCE_EXHAUSTED);
        }

        /// Any grpc-message bytes decode without panic; grpc-go's encoding
        /// of any text decodes back to it.
        #[test]
        fn percent_decoding_round_trips(
            text in any::<String>(),
            raw in proptest::collection::vec(any::<u8>(), 0..64),
        ) {
            prop_assert_eq!(percent_decode(percent_encode(&text).as_bytes()), text);
            let _ = percent_decode(&raw);
        }

        /// `grpc-timeout` is at most 8 digits and a unit, and never shorter
        /// than the timeout (it rounds up) unless it saturates.
        #[test]
        fn grpc_timeout_is_valid_and_never_shorter(nanos in any::<u64>(), secs in 0..u64::MAX / 2) {
            for t in [Duration::from_nanos(nanos), Duration::new(secs, 0)] {
                let header = grpc_timeout(t);
                let text = header.to_str().unwrap();
                let (digits, unit) = text.split_at(text.len() - 1);
                prop_assert!(!digits.is_empty() && digits.len() <= 8, "{}", text);
                let value: u128 = digits.parse().unwrap();
                let scale: u128 = match unit {
                    "n" => 1,
                    "u" => 1_000,
                    "m" => 1_000_000,
                    "S" => 1_000_000_000,
                    "M" => 60_000_000_000,
                    "H" => 3_600_000_000_000,
                    _ => return Err(TestCaseError::fail(format!("unit of {text}"))),
                };
                prop_assert!(value * scale >= t.as_nanos() || text == "99999999H", "{} < {:?}", text, t);
            }
        }
    }

    #[tokio::test]
    async fn running_out_of_time_is_deadline_exceeded() {
        let never = std::future::pending::<Result<(), Status>>();
        let status = within(Duration::from_millis(1), never).await.unwrap_err();
        assert_eq!(status.code, Code::DEADLINE_EXCEEDED);
    }
}
