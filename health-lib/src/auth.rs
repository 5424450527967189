//! Keeping health reachable when every other RPC needs authentication.
//!
//! Kubelet's `grpc:` probe sends no headers, and most load balancers' health
//! checks send none either, so a server whose RPCs all require a token must let
//! `grpc.health.v1.Health/*` through or it will be restarted and taken out of
//! rotation for being "unhealthy". [`RequireAuthExceptHealthLayer`] wraps any
//! tonic [`Interceptor`] and applies it to every call except health calls:
//!
//! ```no_run
//! use grpc_health_checks::auth::RequireAuthExceptHealthLayer;
//! use tonic::{Request, Status};
//!
//! # async fn run(health: grpc_health_checks::pb::health_server::HealthServer<grpc_health_checks::HealthService>) -> Result<(), tonic::transport::Error> {
//! let require_token = |request: Request<()>| match request.metadata().get("authorization") {
//!     Some(value) if value == "Bearer s3cret" => Ok(request),
//!     _ => Err(Status::unauthenticated("missing or wrong token")),
//! };
//! tonic::transport::Server::builder()
//!     .layer(RequireAuthExceptHealthLayer::new(require_token))
//!     .add_service(health)
//!     // .add_service(your_service)
//!     .serve("0.0.0.0:50051".parse().expect("address"))
//!     .await
//! # }
//! ```
//!
//! The exemption goes by path prefix. tonic's router picks the service by the
//! first path segment, so a crafted path such as
//! `/grpc.health.v1.Health/../other.Service/Method` still reaches the health
//! service (which answers UNIMPLEMENTED), never another one.
//!
//! A rejected call gets the interceptor's status as a proper gRPC
//! trailers-only response (HTTP 200, `grpc-status` in the headers, no body),
//! as tonic's own interceptors answer. Health answers only statuses, never
//! check reasons, so exposing it unauthenticated reveals no more than what a
//! kubelet sees.

use std::fmt;
use std::future::Ready;
use std::task::{Context, Poll};

use futures::future::Either;

use tonic::metadata::MetadataMap;
use tonic::service::Interceptor;
use tower::{Layer, Service};

/// The HTTP/2 path prefix of every `grpc.health.v1.Health` RPC.
pub const HEALTH_PATH_PREFIX: &str = "/grpc.health.v1.Health/";

/// Whether an HTTP/2 request path is a `grpc.health.v1.Health` RPC
/// (`/grpc.health.v1.Health/Check`, `/Watch` or `/List`).
///
/// ```
/// use grpc_health_checks::auth::is_health_path;
///
/// assert!(is_health_path("/grpc.health.v1.Health/Check"));
/// assert!(!is_health_path("/helloworld.Greeter/SayHello"));
/// assert!(!is_health_path("/grpc.health.v1.HealthX/Check"));
/// ```
pub fn is_health_path(path: &str) -> bool {
    path.starts_with(HEALTH_PATH_PREFIX)
}

/// A [`Layer`] applying an [`Interceptor`] to every call but health calls.
///
/// Add it with tonic's `Server::builder().layer(…)`; see the [module docs](self).
#[derive(Clone)]
pub struct RequireAuthExceptHealthLayer<I> {
    interceptor: I,
}

impl<I> RequireAuthExceptHealthLayer<I> {
    /// Runs `interceptor` on every call except `grpc.health.v1.Health/*`. It
    /// returns the request (possibly with metadata or extensions added) to let
    /// the call through, or the status to reject it with, typically
    /// `Status::unauthenticated`.
    pub const fn new(interceptor: I) -> Self {
        Self { interceptor }
    }
}

impl<I> fmt::Debug for RequireAuthExceptHealthLayer<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequireAuthExceptHealthLayer")
            .finish_non_exhaustive()
    }
}

impl<S, I: Clone> Layer<S> for RequireAuthExceptHealthLayer<I> {
    type Service = RequireAuthExceptHealth<S, I>;

    fn layer(&self, inner: S) -> Self::Service {
        RequireAuthExceptHealth {
            inner,
            interceptor: self.interceptor.clone(),
        }
    }
}

/// The service made by [`RequireAuthExceptHealthLayer`].
#[derive(Clone)]
pub struct RequireAuthExceptHealth<S, I> {
    inner: S,
    interceptor: I,
}

impl<S, I> fmt::Debug for RequireAuthExceptHealth<S, I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequireAuthExceptHealth")
            .finish_non_exhaustive()
    }
}

impl<S, I, ReqBody, ResBody> Service<http::Request<ReqBody>> for RequireAuthExceptHealth<S, I>
where
    S: Service<http::Request<ReqBody>, Response = http::Response<ResBody>>,
    I: Interceptor,
    ResBody: Default,
{
    type Response = http::Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future, ResBody, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<ReqBody>) -> Self::Future {
        if is_health_path(request.uri().path()) {
            return Either::Left(self.inner.call(request));
        }
        let (mut parts, body) = request.into_parts();
        let headers = std::mem::take(&mut parts.headers);
        let extensions = std::mem::take(&mut parts.extensions);
        let call = tonic::Request::from_parts(MetadataMap::from_headers(headers), extensions, ());
        match self.interceptor.call(call) {
            Ok(call) => {
                let (metadata, extensions, ()) = call.into_parts();
                parts.headers = metadata.into_headers();
                parts.extensions = extensions;
                Either::Left(self.inner.call(http::Request::from_parts(parts, body)))
            }
            Err(status) => Either::Right(std::future::ready(Ok(status.into_http()))),
        }
    }
}

/// The response future of [`RequireAuthExceptHealth`]: the inner service's
/// answer (`Left`), or the rejection (`Right`).
pub type ResponseFuture<F, B, E> = Either<F, Ready<Result<http::Response<B>, E>>>;

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tonic::{Code, Request, Status};

    use super::*;

    /// Answers 200 with the `authorization` header it saw as the body, and counts calls.
    #[derive(Clone, Default)]
    struct Echo {
        calls: Arc<AtomicUsize>,
    }

    impl Service<http::Request<()>> for Echo {
        type Response = http::Response<String>;
        type Error = std::convert::Infallible;
        type Future = Ready<Result<Self::Response, Self::Error>>;

        fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, request: http::Request<()>) -> Self::Future {
            self.calls.fetch_add(1, Ordering::SeqCst);
            let seen = request
                .headers()
                .get("authorization")
                .and_then(|value| value.to_str().ok())
                .unwrap_or("none");
            let tagged = request.extensions().get::<&'static str>().copied();
            std::future::ready(Ok(http::Response::new(format!(
                "{seen} {}",
                tagged.unwrap_or("untagged")
            ))))
        }
    }

    fn require_token(mut request: Request<()>) -> Result<Request<()>, Status> {
        match request.metadata().get("authorization") {
            Some(value) if value == "Bearer s3cret" => {
                request.extensions_mut().insert("authenticated");
                Ok(request)
            }
            _ => Err(Status::unauthenticated("missing or wrong token")),
        }
    }

    fn call(path: &str, token: Option<&str>) -> http::Request<()> {
        let mut builder = http::Request::post(path);
        if let Some(token) = token {
            builder = builder.header("authorization", token);
        }
        builder.body(()).expect("valid request")
    }

    type TokenCheck = fn(Request<()>) -> Result<Request<()>, Status>;
    type Guarded = RequireAuthExceptHealth<Echo, TokenCheck>;

    async fn send(service: &mut Guarded, request: http::Request<()>) -> http::Response<String> {
        std::future::poll_fn(|cx| service.poll_ready(cx))
            .await
            .expect("ready");
        service.call(request).await.expect("infallible")
    }

    fn layered() -> (Guarded, Arc<AtomicUsize>) {
        let echo = Echo::default();
        let calls = echo.calls.clone();
        let interceptor: TokenCheck = require_token;
        (
            RequireAuthExceptHealthLayer::new(interceptor).layer(echo),
            calls,
        )
    }

    #[tokio::test]
    async fn health_calls_pass_without_credentials() {
        let (mut service, calls) = layered();
        for rpc in ["Check", "Watch", "List"] {
            let response = send(
                &mut service,
                call(&format!("/grpc.health.v1.Health/{rpc}"), None),
            )
            .await;
            assert_eq!(response.status(), http::StatusCode::OK);
            assert_eq!(
                response.body(),
                "none untagged",
                "interceptor skipped for {rpc}"
            );
        }
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn other_calls_without_credentials_get_a_trailers_only_unauthenticated() {
        let (mut service, calls) = layered();
        for (path, token) in [
            ("/helloworld.Greeter/SayHello", None),
            ("/helloworld.Greeter/SayHello", Some("Bearer wrong")),
            ("/grpc.health.v1.HealthX/Check", None),
            ("/grpc.health.v1.Health", None),
        ] {
            let response = send(&mut service, call(path, token)).await;
            assert_eq!(
                response.status(),
                http::StatusCode::OK,
                "gRPC errors are HTTP 200"
            );
            let headers = response.headers();
            assert_eq!(headers["content-type"], "application/grpc");
            assert_eq!(headers["grpc-status"], "16", "{path}");
            assert!(response.body().is_empty(), "trailers-only: no body");
            let status = Status::from_header_map(headers).expect("a gRPC status");
            assert_eq!(status.code(), Code::Unauthenticated);
        }
        assert_eq!(
            calls.load(Ordering::SeqCst),
            0,
            "the inner service is never called"
        );
    }

    #[tokio::test]
    async fn authenticated_calls_keep_their_metadata_and_extensions() {
        let (mut service, calls) = layered();
        let response = send(
            &mut service,
            call("/helloworld.Greeter/SayHello", Some("Bearer s3cret")),
        )
        .await;
        assert_eq!(response.body(), "Bearer s3cret authenticated");
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
