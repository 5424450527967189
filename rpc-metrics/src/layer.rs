//! The tower layers: [`ServerMetricsLayer`] for `tonic::transport::Server`,
//! [`ClientMetricsLayer`] around a channel. Each call's path is looked up in
//! the methods declared up front; the request and response bodies are
//! wrapped to count messages and read the final status.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use http::{Request, Response};
use prometheus_client::metrics::counter::Counter;
use tower::{Layer, Service};

use crate::body::MeteredBody;
use crate::call::{Call, status_in};
use crate::code::Code;
use crate::families::MethodMetrics;

/// The service probes call; left out unless
/// [`RpcMetrics::include_health`](crate::RpcMetrics::include_health).
pub const HEALTH_SERVICE: &str = "grpc.health.v1.Health";

/// The declared methods' series, by path (`/package.Service/Method`).
#[derive(Debug)]
pub(crate) struct Recorder {
    methods: HashMap<Box<str>, Arc<MethodMetrics>>,
    unknown: Option<Arc<MethodMetrics>>,
    include_health: bool,
}

impl Recorder {
    pub(crate) fn new(
        methods: HashMap<Box<str>, Arc<MethodMetrics>>,
        unknown: Option<Arc<MethodMetrics>>,
        include_health: bool,
    ) -> Self {
        Self {
            methods,
            unknown,
            include_health,
        }
    }

    /// Starts measuring a call to `path`, or `None` if it is not counted.
    fn start(&self, path: &str) -> Option<Call> {
        if !self.include_health && is_health(path) {
            return None;
        }
        self.methods
            .get(path)
            .or(self.unknown.as_ref())
            .map(Call::start)
    }
}

fn is_health(path: &str) -> bool {
    path.strip_prefix('/')
        .and_then(|path| path.strip_prefix(HEALTH_SERVICE))
        .is_some_and(|method| method.starts_with('/'))
}

/// Starts a call: the call, and the counters for the request's and the
/// response's messages.
fn begin<B>(
    recorder: &Recorder,
    request: &Request<B>,
    request_messages: fn(&MethodMetrics) -> &Counter,
    response_messages: fn(&MethodMetrics) -> &Counter,
) -> (Option<Call>, Option<Counter>, Option<Counter>) {
    let call = recorder.start(request.uri().path());
    let requests = call
        .as_ref()
        .map(|call| request_messages(call.metrics()).clone());
    let responses = call
        .as_ref()
        .map(|call| response_messages(call.metrics()).clone());
    (call, requests, responses)
}

fn received(metrics: &MethodMetrics) -> &Counter {
    &metrics.received
}

fn sent(metrics: &MethodMetrics) -> &Counter {
    &metrics.sent
}

/// Records every call of a tonic server: add it with
/// `Server::builder().layer(layer)`.
#[derive(Debug, Clone)]
pub struct ServerMetricsLayer {
    recorder: Arc<Recorder>,
}

impl ServerMetricsLayer {
    pub(crate) fn new(recorder: Arc<Recorder>) -> Self {
        Self { recorder }
    }

    /// A layer that records nothing: for a server whose metrics are
    /// optional, so that it has one type either way.
    pub fn disabled() -> Self {
        Self::new(Arc::new(Recorder::new(HashMap::new(), None, false)))
    }
}

impl<S> Layer<S> for ServerMetricsLayer {
    type Service = ServerMetricsService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ServerMetricsService {
            inner,
            recorder: Arc::clone(&self.recorder),
        }
    }
}

/// The service [`ServerMetricsLayer`] wraps a server in.
#[derive(Debug, Clone)]
pub struct ServerMetricsService<S> {
    inner: S,
    recorder: Arc<Recorder>,
}

impl<S, B, R> Service<Request<B>> for ServerMetricsService<S>
where
    S: Service<Request<MeteredBody<B>>, Response = Response<R>>,
{
    type Response = Response<MeteredBody<R>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let (call, received, sent) = begin(&self.recorder, &request, received, sent);
        let request = request.map(|body| MeteredBody::request(body, received));
        // An error instead of a response: the server could not answer.
        ResponseFuture::new(self.inner.call(request), call, sent, Code::INTERNAL)
    }
}

/// Records every call made through a client: wrap the channel with
/// `tower::ServiceBuilder::new().layer(layer).service(channel)` and give
/// that to the generated client's `new`.
#[derive(Debug, Clone)]
pub struct ClientMetricsLayer {
    recorder: Arc<Recorder>,
}

impl ClientMetricsLayer {
    pub(crate) fn new(recorder: Arc<Recorder>) -> Self {
        Self { recorder }
    }
}

impl<S> Layer<S> for ClientMetricsLayer {
    type Service = ClientMetricsService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ClientMetricsService {
            inner,
            recorder: Arc::clone(&self.recorder),
        }
    }
}

/// The service [`ClientMetricsLayer`] wraps a channel in. The request body is
/// boxed again as a `tonic::body::Body`, because that is what channels take.
#[derive(Debug, Clone)]
pub struct ClientMetricsService<S> {
    inner: S,
    recorder: Arc<Recorder>,
}

impl<S, R> Service<Request<tonic::body::Body>> for ClientMetricsService<S>
where
    S: Service<Request<tonic::body::Body>, Response = Response<R>>,
{
    type Response = Response<MeteredBody<R>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<tonic::body::Body>) -> Self::Future {
        let (call, sent, received) = begin(&self.recorder, &request, sent, received);
        let request = if sent.is_some() {
            request.map(|body| tonic::body::Body::new(MeteredBody::request(body, sent)))
        } else {
            request
        };
        // A channel's error is a transport failure, which tonic reports as UNAVAILABLE.
        ResponseFuture::new(self.inner.call(request), call, received, Code::UNAVAILABLE)
    }
}

pin_project_lite::pin_project! {
    /// Waits for the response headers: a status there (trailers-only) ends
    /// the call; otherwise the call moves into the response body.
    #[derive(Debug)]
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        call: Option<Call>,
        messages: Option<Counter>,
        on_error: Code,
    }
}

impl<F> ResponseFuture<F> {
    fn new(inner: F, call: Option<Call>, messages: Option<Counter>, on_error: Code) -> Self {
        Self {
            inner,
            call,
            messages,
            on_error,
        }
    }
}

impl<F, R, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<R>, E>>,
{
    type Output = Result<Response<MeteredBody<R>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = ready!(this.inner.poll(cx));
        let mut call = this.call.take();
        let response = match result {
            Ok(response) => response,
            Err(error) => {
                if let Some(call) = call.as_mut() {
                    call.finish(*this.on_error);
                }
                return Poll::Ready(Err(error));
            }
        };
        let no_trailers = if response.status() == http::StatusCode::OK {
            // A gRPC response must end with trailers.
            Code::INTERNAL
        } else {
            Code::from_http(response.status())
        };
        if let (Some(code), Some(call)) = (status_in(response.headers()), call.as_mut()) {
            call.finish(code);
        }
        let messages = this.messages.take();
        Poll::Ready(Ok(response.map(|body| {
            MeteredBody::response(body, messages, call, no_trailers)
        })))
    }
}
