//! The metric families in the registry, and each known method's series,
//! looked up once when the layer is built so that recording a call takes no
//! lock on a family and allocates nothing.
//!
//! | metric (server; `grpc_client_*` alike) | type | labels |
//! |---|---|---|
//! | `grpc_server_started_total` | counter | `grpc_type`, `grpc_service`, `grpc_method` |
//! | `grpc_server_handled_total` | counter | the same and `grpc_code` |
//! | `grpc_server_msg_received_total` | counter | `grpc_type`, `grpc_service`, `grpc_method` |
//! | `grpc_server_msg_sent_total` | counter | `grpc_type`, `grpc_service`, `grpc_method` |
//! | `grpc_server_handling_seconds` | histogram | `grpc_type`, `grpc_service`, `grpc_method` |
//! | `rpc_server_call_duration_seconds` (opt-in) | histogram | `rpc_system`, `rpc_service`, `rpc_method`, `rpc_grpc_status_code` |

use std::sync::{Arc, OnceLock};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::{Family, MetricConstructor};
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

use crate::code::{self, Code};

/// Which end of the call the metrics are for: the name's `server`/`client`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Server,
    Client,
}

/// One method's labels, shared by its series.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct MethodLabels {
    pub(crate) grpc_type: &'static str,
    pub(crate) grpc_service: Arc<str>,
    pub(crate) grpc_method: Arc<str>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HandledLabels {
    #[prometheus(flatten)]
    method: MethodLabels,
    grpc_code: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OtelLabels {
    rpc_system: &'static str,
    rpc_service: Arc<str>,
    rpc_method: Arc<str>,
    rpc_grpc_status_code: &'static str,
}

/// Makes histograms with the configured buckets.
#[derive(Clone, Debug)]
struct Buckets(Arc<[f64]>);

impl MetricConstructor<Histogram> for Buckets {
    fn new_metric(&self) -> Histogram {
        Histogram::new(self.0.iter().copied())
    }
}

/// Every family of one side, registered once.
#[derive(Debug)]
pub(crate) struct Families {
    started: Family<MethodLabels, Counter>,
    handled: Family<HandledLabels, Counter>,
    received: Family<MethodLabels, Counter>,
    sent: Family<MethodLabels, Counter>,
    handling: Family<MethodLabels, Histogram, Buckets>,
    otel: Option<Family<OtelLabels, Histogram, Buckets>>,
}

impl Families {
    /// Registers the families in `registry`: go-grpc-middleware's names and
    /// help texts, and the OpenTelemetry histogram if `otel_buckets` is set.
    pub(crate) fn register(
        registry: &mut Registry,
        side: Side,
        buckets: &[f64],
        otel_buckets: Option<&[f64]>,
    ) -> Self {
        let families = Self {
            started: Family::default(),
            handled: Family::default(),
            received: Family::default(),
            sent: Family::default(),
            handling: Family::new_with_constructor(Buckets(buckets.into())),
            otel: otel_buckets.map(|buckets| Family::new_with_constructor(Buckets(buckets.into()))),
        };
        // prometheus-client appends `_total` to counters and `.` to help texts.
        let help = match side {
            Side::Server => [
                (
                    "grpc_server_started",
                    "Total number of RPCs started on the server",
                ),
                (
                    "grpc_server_handled",
                    "Total number of RPCs completed on the server, regardless of success or failure",
                ),
                (
                    "grpc_server_msg_received",
                    "Total number of RPC stream messages received on the server",
                ),
                (
                    "grpc_server_msg_sent",
                    "Total number of gRPC stream messages sent by the server",
                ),
                (
                    "grpc_server_handling_seconds",
                    "Histogram of response latency (seconds) of gRPC that had been application-level handled by the server",
                ),
            ],
            Side::Client => [
                (
                    "grpc_client_started",
                    "Total number of RPCs started on the client",
                ),
                (
                    "grpc_client_handled",
                    "Total number of RPCs completed by the client, regardless of success or failure",
                ),
                (
                    "grpc_client_msg_received",
                    "Total number of RPC stream messages received by the client",
                ),
                (
                    "grpc_client_msg_sent",
                    "Total number of gRPC stream messages sent by the client",
                ),
                (
                    "grpc_client_handling_seconds",
                    "Histogram of response latency (seconds) of the gRPC until it is finished by the application",
                ),
            ],
        };
        let [started, handled, received, sent, handling] = help;
        registry.register(started.0, started.1, families.started.clone());
        registry.register(handled.0, handled.1, families.handled.clone());
        registry.register(received.0, received.1, families.received.clone());
        registry.register(sent.0, sent.1, families.sent.clone());
        registry.register(handling.0, handling.1, families.handling.clone());
        if let Some(otel) = &families.otel {
            let (name, help) = match side {
                Side::Server => (
                    "rpc_server_call_duration",
                    "Measures the duration of inbound RPC",
                ),
                Side::Client => (
                    "rpc_client_call_duration",
                    "Measures the duration of outbound RPC",
                ),
            };
            registry.register_with_unit(name, help, Unit::Seconds, otel.clone());
        }
        families
    }
}

/// One method's series: the per-method ones made up front, the per-code ones
/// on the first call that ends with that code (a scrape shows only codes
/// that happened).
#[derive(Debug)]
pub(crate) struct MethodMetrics {
    labels: MethodLabels,
    pub(crate) started: Counter,
    pub(crate) received: Counter,
    pub(crate) sent: Counter,
    handling: Histogram,
    handled: [OnceLock<Counter>; code::COUNT],
    otel: [OnceLock<Histogram>; code::COUNT],
    families: Arc<Families>,
}

impl MethodMetrics {
    pub(crate) fn new(families: &Arc<Families>, labels: MethodLabels) -> Self {
        Self {
            started: families.started.get_or_create_owned(&labels),
            received: families.received.get_or_create_owned(&labels),
            sent: families.sent.get_or_create_owned(&labels),
            handling: families.handling.get_or_create_owned(&labels),
            handled: std::array::from_fn(|_| OnceLock::new()),
            otel: std::array::from_fn(|_| OnceLock::new()),
            families: Arc::clone(families),
            labels,
        }
    }

    /// Records a call that ended with `code` after `seconds`.
    pub(crate) fn finish(&self, code: Code, seconds: f64) {
        let families = &self.families;
        self.handled[code.index()]
            .get_or_init(|| {
                families.handled.get_or_create_owned(&HandledLabels {
                    method: self.labels.clone(),
                    grpc_code: code.name(),
                })
            })
            .inc();
        self.handling.observe(seconds);
        if let Some(otel) = &families.otel {
            self.otel[code.index()]
                .get_or_init(|| {
                    otel.get_or_create_owned(&OtelLabels {
                        rpc_system: "grpc",
                        rpc_service: Arc::clone(&self.labels.grpc_service),
                        rpc_method: Arc::clone(&self.labels.grpc_method),
                        rpc_grpc_status_code: code.number(),
                    })
                })
                .observe(seconds);
        }
    }
}
