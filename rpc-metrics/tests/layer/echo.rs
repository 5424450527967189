//! The echo service (one method of each RPC kind) served in-process on a
//! loopback port behind the metrics layer, with a client and a scrape of the
//! registry the metrics go into.

use std::pin::Pin;
use std::sync::Arc;

use grpc_rpc_metrics::{ClientMetricsLayer, RpcKind, RpcMetrics, ServerMetricsLayer};
use prometheus_client::registry::Registry;
use tokio::net::TcpListener;
use tokio_stream::{Stream, StreamExt as _};
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Channel, Server};
use tonic::{Code, Request, Response, Status, Streaming};

#[allow(
    unreachable_pub,
    clippy::all,
    missing_docs,
    missing_debug_implementations
)]
mod generated {
    include!("../generated/echo.rs");
}

pub(crate) use generated::echo_client::EchoClient;
use generated::echo_server::{Echo, EchoServer};
pub(crate) use generated::{EchoReply, EchoRequest};

/// Every method of the echo service, as a server or client declares them.
pub(crate) fn declare(metrics: RpcMetrics) -> RpcMetrics {
    metrics
        .method("echo.Echo", "Unary", RpcKind::Unary)
        .method("echo.Echo", "ClientStream", RpcKind::ClientStream)
        .method("echo.Echo", "ServerStream", RpcKind::ServerStream)
        .method("echo.Echo", "BidiStream", RpcKind::BidiStream)
}

/// A request for `message`, ending the call with `code` after `replies` replies.
pub(crate) fn request(message: &str, code: Code, replies: u32) -> EchoRequest {
    EchoRequest {
        message: message.to_owned(),
        code: u32::try_from(code as i32).expect("codes are small"),
        replies,
        hang: false,
    }
}

/// One OK unary call, then one that fails with UNAVAILABLE.
pub(crate) async fn ok_then_unavailable<T>(client: &mut EchoClient<T>)
where
    T: tonic::client::GrpcService<tonic::body::Body>,
    T::Error: Into<tonic::codegen::StdError>,
    T::ResponseBody: tonic::codegen::Body<Data = tonic::codegen::Bytes> + Send + 'static,
    <T::ResponseBody as tonic::codegen::Body>::Error: Into<tonic::codegen::StdError> + Send,
{
    client
        .unary(request("a", Code::Ok, 0))
        .await
        .expect("OK call");
    let error = client
        .unary(request("b", Code::Unavailable, 0))
        .await
        .expect_err("asked to fail");
    assert_eq!(error.code(), Code::Unavailable);
}

type ReplyStream = Pin<Box<dyn Stream<Item = Result<EchoReply, Status>> + Send>>;

fn outcome(request: &EchoRequest) -> Result<EchoReply, Status> {
    match Code::from_i32(i32::try_from(request.code).expect("codes are small")) {
        Code::Ok => Ok(EchoReply {
            message: request.message.clone(),
        }),
        code => Err(Status::new(code, format!("asked to fail with {code:?}"))),
    }
}

#[derive(Debug)]
struct EchoService;

#[tonic::async_trait]
impl Echo for EchoService {
    async fn unary(&self, request: Request<EchoRequest>) -> Result<Response<EchoReply>, Status> {
        let request = request.into_inner();
        if request.hang {
            std::future::pending::<()>().await;
        }
        outcome(&request).map(Response::new)
    }

    async fn client_stream(
        &self,
        request: Request<Streaming<EchoRequest>>,
    ) -> Result<Response<EchoReply>, Status> {
        let mut stream = request.into_inner();
        let mut last = EchoRequest::default();
        while let Some(request) = stream.message().await? {
            last = request;
        }
        outcome(&last).map(Response::new)
    }

    type ServerStreamStream = ReplyStream;

    async fn server_stream(
        &self,
        request: Request<EchoRequest>,
    ) -> Result<Response<ReplyStream>, Status> {
        let request = request.into_inner();
        let reply = EchoReply {
            message: request.message.clone(),
        };
        let replies = tokio_stream::iter((0..request.replies).map(move |_| Ok(reply.clone())));
        let end: ReplyStream = if request.hang {
            Box::pin(tokio_stream::pending())
        } else {
            // An error status after the replies arrives in the trailers.
            Box::pin(tokio_stream::iter(outcome(&request).err().map(Err)))
        };
        Ok(Response::new(Box::pin(replies.chain(end))))
    }

    type BidiStreamStream = ReplyStream;

    async fn bidi_stream(
        &self,
        request: Request<Streaming<EchoRequest>>,
    ) -> Result<Response<ReplyStream>, Status> {
        let stream = request.into_inner();
        Ok(Response::new(Box::pin(stream.map(|request| {
            request.and_then(|request| outcome(&request))
        }))))
    }
}

/// The echo service and a health service behind `layer` on a loopback port,
/// until dropped.
#[derive(Debug)]
pub(crate) struct EchoServerFixture {
    pub(crate) addr: std::net::SocketAddr,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl EchoServerFixture {
    pub(crate) async fn start(layer: ServerMetricsLayer) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let (health, _handle) = grpc_health_checks::HealthChecks::new()
            .build()
            .expect("valid health configuration");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = Server::builder()
            .layer(layer)
            .add_service(EchoServer::new(EchoService))
            .add_service(health)
            .serve_with_incoming_shutdown(TcpIncoming::from(listener), async {
                let _ = stopped.await;
            });
        tokio::spawn(async move {
            server.await.expect("echo server runs");
            drop(_handle);
        });
        Self { addr, _stop: stop }
    }

    pub(crate) async fn channel(&self) -> Channel {
        Channel::from_shared(format!("http://{}", self.addr))
            .expect("valid uri")
            .connect()
            .await
            .expect("connect to the echo server")
    }

    pub(crate) async fn client(&self) -> EchoClient<Channel> {
        EchoClient::new(self.channel().await)
    }

    /// A client that records through `layer`.
    pub(crate) async fn measured_client(
        &self,
        layer: ClientMetricsLayer,
    ) -> EchoClient<grpc_rpc_metrics::ClientMetricsService<Channel>> {
        EchoClient::new(
            tower::ServiceBuilder::new()
                .layer(layer)
                .service(self.channel().await),
        )
    }
}

/// A server with every echo method declared, its registry, and a plain client.
pub(crate) async fn served() -> (Arc<Registry>, EchoServerFixture, EchoClient<Channel>) {
    served_with(declare(RpcMetrics::server())).await
}

pub(crate) async fn served_with(
    metrics: RpcMetrics,
) -> (Arc<Registry>, EchoServerFixture, EchoClient<Channel>) {
    let mut registry = Registry::default();
    let layer = metrics
        .register_server(&mut registry)
        .expect("valid metrics");
    let server = EchoServerFixture::start(layer).await;
    let client = server.client().await;
    (Arc::new(registry), server, client)
}

/// The registry in the text format.
pub(crate) fn scrape(registry: &Registry) -> String {
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, registry).expect("registry encodes");
    text
}

/// The value of `series` (name and labels exactly as exposed), if present.
pub(crate) fn value(registry: &Registry, series: &str) -> Option<f64> {
    scrape(registry).lines().find_map(|line| {
        line.strip_prefix(series)
            .and_then(|rest| rest.strip_prefix(' '))
            .map(|number| number.parse().expect("sample value is a number"))
    })
}

/// The labels of one echo method's series, as exposed.
pub(crate) fn labels(kind: &str, method: &str) -> String {
    format!(r#"grpc_type="{kind}",grpc_service="echo.Echo",grpc_method="{method}""#)
}

/// Waits until `series` has `wanted`, for counts that arrive after the
/// client has its answer (the server finishes a call a moment later).
pub(crate) async fn wait_for(registry: &Registry, series: &str, wanted: f64) {
    test_support::eventually(&format!("{series} = {wanted}"), || {
        value(registry, series) == Some(wanted)
    })
    .await;
}
