//! Bodies wrapped to count gRPC messages as they pass, and (responses) to
//! find the final status in the trailers.

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use prometheus_client::metrics::counter::Counter;

use crate::call::{Call, status_in};
use crate::code::Code;
use crate::frames::FrameCounter;

/// Counts the messages of `frame` into `counter`.
fn count(frames: &mut FrameCounter, counter: Option<&Counter>, frame: &Frame<Bytes>) {
    if let (Some(counter), Some(data)) = (counter, frame.data_ref()) {
        let messages = frames.feed(data);
        if messages > 0 {
            counter.inc_by(messages);
        }
    }
}

pin_project_lite::pin_project! {
    /// A body that counts the gRPC messages in it: a request's (received
    /// on a server, sent on a client) or a response's, which also finishes
    /// the call with the status in its trailers.
    #[derive(Debug)]
    pub struct MeteredBody<B> {
        #[pin]
        inner: B,
        frames: FrameCounter,
        messages: Option<Counter>,
        // Responses only: the call to finish.
        call: Option<Call>,
        // The code if the body ends without trailers.
        no_trailers: Code,
    }
}

impl<B> MeteredBody<B> {
    /// A request body: counts messages only.
    pub(crate) fn request(inner: B, messages: Option<Counter>) -> Self {
        Self::response(inner, messages, None, Code::UNKNOWN)
    }

    /// A response body that finishes `call`.
    pub(crate) fn response(
        inner: B,
        messages: Option<Counter>,
        call: Option<Call>,
        no_trailers: Code,
    ) -> Self {
        Self {
            inner,
            frames: FrameCounter::default(),
            messages,
            call,
            no_trailers,
        }
    }
}

impl<B: Body<Data = Bytes>> Body for MeteredBody<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        let this = self.project();
        let frame = ready!(this.inner.poll_frame(cx));
        match &frame {
            Some(Ok(frame)) => {
                count(this.frames, this.messages.as_ref(), frame);
                if let (Some(trailers), Some(call)) = (frame.trailers_ref(), this.call.as_mut()) {
                    call.finish(status_in(trailers).unwrap_or(*this.no_trailers));
                }
            }
            // A broken stream: no status was delivered.
            Some(Err(_)) => {
                if let Some(call) = this.call.as_mut() {
                    call.finish(Code::UNKNOWN);
                }
            }
            None => {
                if let Some(call) = this.call.as_mut() {
                    call.finish(*this.no_trailers);
                }
            }
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
