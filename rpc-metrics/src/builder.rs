//! Configuring the metrics: the methods a server (or client) knows, the
//! buckets, the optional OpenTelemetry names; `register` checks them and puts
//! the families into a prometheus-client `Registry`.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use prometheus_client::registry::Registry;

use crate::families::{Families, MethodLabels, MethodMetrics, Side};
use crate::kind::RpcKind;
use crate::layer::{ClientMetricsLayer, HEALTH_SERVICE, Recorder, ServerMetricsLayer};

/// go-grpc-middleware's histogram buckets (Prometheus' `DefBuckets`), in seconds.
pub const DEFAULT_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// OpenTelemetry's recommended `rpc.*.call.duration` buckets, in seconds.
pub const OTEL_BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];

/// The label value of every label of calls to methods not declared.
pub const UNKNOWN: &str = "unknown";

/// A configuration that `register` refused, saying what to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(String);

impl ConfigError {
    pub(crate) fn new(message: String) -> Self {
        Self(message)
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

/// What to do with calls to methods that were not declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnknownMethods {
    /// Count them under `grpc_service="unknown", grpc_method="unknown",
    /// grpc_type="unknown"`: the paths are client-chosen strings and never
    /// become labels.
    CountAsUnknown,
    /// Do not count them at all.
    Ignore,
}

/// The metrics of one tonic server or client, being configured.
///
/// ```
/// use grpc_rpc_metrics::{RpcKind, RpcMetrics};
/// let mut registry = prometheus_client::registry::Registry::default();
/// let layer = RpcMetrics::server()
///     .method("helloworld.Greeter", "SayHello", RpcKind::Unary)
///     .register_server(&mut registry)?;
/// // tonic::transport::Server::builder().layer(layer).add_service(...)
/// # drop(layer);
/// # Ok::<(), grpc_rpc_metrics::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct RpcMetrics {
    side: Side,
    methods: Vec<(String, String, RpcKind)>,
    buckets: Vec<f64>,
    otel_buckets: Option<Vec<f64>>,
    include_health: bool,
    unknown: UnknownMethods,
}

impl RpcMetrics {
    /// Metrics of a server: `grpc_server_*`.
    pub fn server() -> Self {
        Self::new(Side::Server)
    }

    /// Metrics of a client or channel: `grpc_client_*`.
    pub fn client() -> Self {
        Self::new(Side::Client)
    }

    fn new(side: Side) -> Self {
        Self {
            side,
            methods: Vec::new(),
            buckets: DEFAULT_BUCKETS.to_vec(),
            otel_buckets: None,
            include_health: false,
            unknown: UnknownMethods::CountAsUnknown,
        }
    }

    /// Declares a method: `service` is the full name (`helloworld.Greeter`),
    /// `method` the bare name (`SayHello`), `kind` whether it streams, which
    /// is the `grpc_type` label. Only declared methods get their own series.
    pub fn method(mut self, service: &str, method: &str, kind: RpcKind) -> Self {
        self.methods
            .push((service.to_owned(), method.to_owned(), kind));
        self
    }

    /// The `grpc_*_handling_seconds` buckets (upper bounds in seconds,
    /// increasing); default [`DEFAULT_BUCKETS`].
    pub fn buckets(mut self, buckets: impl IntoIterator<Item = f64>) -> Self {
        self.buckets = buckets.into_iter().collect();
        self
    }

    /// Also records OpenTelemetry's `rpc.server.call.duration` (or
    /// `rpc.client.call.duration`) as Prometheus exposes it:
    /// `rpc_server_call_duration_seconds{rpc_system, rpc_service, rpc_method,
    /// rpc_grpc_status_code}`, with [`OTEL_BUCKETS`].
    pub fn opentelemetry_names(mut self) -> Self {
        self.otel_buckets = Some(OTEL_BUCKETS.to_vec());
        self
    }

    /// Counts `grpc.health.v1.Health` calls too (left out by default: probes
    /// every few seconds would drown the service's own traffic).
    pub fn include_health(mut self) -> Self {
        self.include_health = true;
        self
    }

    /// What to do with calls to undeclared methods; default
    /// [`UnknownMethods::CountAsUnknown`].
    pub fn unknown_methods(mut self, unknown: UnknownMethods) -> Self {
        self.unknown = unknown;
        self
    }

    /// Registers the server metrics in `registry` and returns the layer for
    /// `tonic::transport::Server::builder().layer(...)`.
    pub fn register_server(
        self,
        registry: &mut Registry,
    ) -> Result<ServerMetricsLayer, ConfigError> {
        if self.side != Side::Server {
            return Err(ConfigError(
                "register_server needs RpcMetrics::server(), not RpcMetrics::client()".to_owned(),
            ));
        }
        Ok(ServerMetricsLayer::new(self.recorder(registry)?))
    }

    /// Registers the client metrics in `registry` and returns the layer to
    /// wrap a `tonic::transport::Channel` (or any client service) in.
    pub fn register_client(
        self,
        registry: &mut Registry,
    ) -> Result<ClientMetricsLayer, ConfigError> {
        if self.side != Side::Client {
            return Err(ConfigError(
                "register_client needs RpcMetrics::client(), not RpcMetrics::server()".to_owned(),
            ));
        }
        Ok(ClientMetricsLayer::new(self.recorder(registry)?))
    }

    fn recorder(self, registry: &mut Registry) -> Result<Arc<Recorder>, ConfigError> {
        check_buckets("buckets", &self.buckets)?;
        // Everything is checked before anything goes into the registry.
        let mut paths = HashMap::with_capacity(self.methods.len());
        for (service, method, kind) in self.methods {
            check_name("service", &service)?;
            check_name("method", &method)?;
            let path = format!("/{service}/{method}");
            if paths.contains_key(path.as_str()) {
                return Err(ConfigError(format!(
                    "method {path:?} is declared twice: declare each method once"
                )));
            }
            if service != HEALTH_SERVICE || self.include_health {
                paths.insert(path.into_boxed_str(), (service, method, kind));
            }
        }
        let families = Arc::new(Families::register(
            registry,
            self.side,
            &self.buckets,
            self.otel_buckets.as_deref(),
        ));
        let methods = paths
            .into_iter()
            .map(|(path, (service, method, kind))| {
                let labels = MethodLabels {
                    grpc_type: kind.label(),
                    grpc_service: service.into(),
                    grpc_method: method.into(),
                };
                (path, Arc::new(MethodMetrics::new(&families, labels)))
            })
            .collect();
        let unknown = (self.unknown == UnknownMethods::CountAsUnknown).then(|| {
            let unknown: Arc<str> = UNKNOWN.into();
            Arc::new(MethodMetrics::new(
                &families,
                MethodLabels {
                    grpc_type: UNKNOWN,
                    grpc_service: Arc::clone(&unknown),
                    grpc_method: unknown,
                },
            ))
        });
        Ok(Arc::new(Recorder::new(
            methods,
            unknown,
            self.include_health,
        )))
    }
}

/// A service or method name: not empty, no `/` (it is part of the path).
fn check_name(what: &str, name: &str) -> Result<(), ConfigError> {
    if name.is_empty() || name.contains('/') {
        return Err(ConfigError(format!(
            "{what} name {name:?} is not valid: give the full service name \
             (`package.Service`) and the bare method name (`Method`), without slashes"
        )));
    }
    Ok(())
}

fn check_buckets(what: &str, buckets: &[f64]) -> Result<(), ConfigError> {
    let increasing = buckets.windows(2).all(|pair| pair[0] < pair[1]);
    if buckets.is_empty() || !increasing || buckets.iter().any(|bound| !bound.is_finite()) {
        return Err(ConfigError(format!(
            "{what} {buckets:?} are not valid: give at least one finite upper bound, \
             in increasing order (seconds)"
        )));
    }
    Ok(())
}
