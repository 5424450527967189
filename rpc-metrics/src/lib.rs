//! Per-RPC metrics for tonic servers and clients, recorded into a
//! prometheus-client [`Registry`](prometheus_client::registry::Registry)
//! (the one the health metrics go into), under the names go-grpc-middleware's
//! Prometheus interceptors use, so dashboards and alerts written for grpc-go
//! services work unchanged; and [`graphite`], a pusher of that registry to a
//! Graphite plaintext endpoint.
//!
//! ```
//! use grpc_rpc_metrics::{RpcKind, RpcMetrics};
//! let mut registry = prometheus_client::registry::Registry::default();
//! let layer = RpcMetrics::server()
//!     .method("helloworld.Greeter", "SayHello", RpcKind::Unary)
//!     .method("grpc.health.v1.Health", "Watch", RpcKind::ServerStream)
//!     .register_server(&mut registry)?;
//! // Server::builder().layer(layer).add_service(greeter).add_service(health)
//! # drop(layer);
//! # Ok::<(), grpc_rpc_metrics::ConfigError>(())
//! ```
//!
//! What is recorded, for each declared method (`grpc_client_*` alike):
//!
//! | metric | type | labels |
//! |---|---|---|
//! | `grpc_server_started_total` | counter | `grpc_type`, `grpc_service`, `grpc_method` |
//! | `grpc_server_handled_total` | counter | the same and `grpc_code` (`OK`, `Canceled`, `Unavailable`, …) |
//! | `grpc_server_msg_received_total` | counter | `grpc_type`, `grpc_service`, `grpc_method` |
//! | `grpc_server_msg_sent_total` | counter | `grpc_type`, `grpc_service`, `grpc_method` |
//! | `grpc_server_handling_seconds` | histogram | `grpc_type`, `grpc_service`, `grpc_method` |
//! | `rpc_server_call_duration_seconds` (with [`RpcMetrics::opentelemetry_names`]) | histogram | `rpc_system`, `rpc_service`, `rpc_method`, `rpc_grpc_status_code` |
//!
//! - `grpc_type` is the kind each method was declared with (`unary`,
//!   `client_stream`, `server_stream`, `bidi_stream`).
//! - `grpc_code` is the call's final status: from the response headers
//!   (trailers-only) or the trailers after a stream, so an error returned in
//!   the middle of a stream counts with its own code. A call whose peer went
//!   away, or whose caller stopped reading, before the status counts as `Canceled`.
//! - Messages are counted as gRPC frames in the request and response bodies.
//! - Label values come only from the declared methods: a call to any other
//!   path counts under `unknown` (or not at all, [`UnknownMethods::Ignore`]),
//!   so clients cannot grow the series.
//! - `grpc.health.v1.Health` calls are not counted unless
//!   [`RpcMetrics::include_health`]: probes every few seconds would drown the
//!   service's own traffic.
//! - A call allocates nothing for the metrics, except on a client, where the
//!   request body is boxed once more as a `tonic::body::Body`, and the first
//!   call of a method that ends with a code not seen before.

// The README's examples compile as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

mod body;
mod builder;
mod call;
mod code;
mod families;
mod frames;
pub mod graphite;
mod kind;
mod layer;

pub use body::MeteredBody;
pub use builder::{
    ConfigError, DEFAULT_BUCKETS, OTEL_BUCKETS, RpcMetrics, UNKNOWN, UnknownMethods,
};
pub use kind::RpcKind;
pub use layer::{
    ClientMetricsLayer, ClientMetricsService, HEALTH_SERVICE, ResponseFuture, ServerMetricsLayer,
    ServerMetricsService,
};
