//! Prometheus metrics of the checks and the served statuses (feature `metrics`).
//!
//! | metric | type | labels | meaning |
//! |---|---|---|---|
//! | `grpc_health_check_status` | gauge | `check`, `group` | 1 while the check passes (after its thresholds), 0 while it fails or has not passed yet |
//! | `grpc_health_check_runs_total` | counter | `check`, `group`, `result` | runs by how they ended: `success`, `error`, `timeout`, `panic` |
//! | `grpc_health_check_duration_seconds` | histogram | `check`, `group` | how long each run took (up to its timeout) |
//! | `grpc_health_service_serving` | gauge | `service` | 1 while the health service answers SERVING for it, 0 otherwise; present while it is registered |
//! | `grpc_health_service_transitions_total` | counter | `service`, `to` | changes of a registered service's status, by new status (`SERVING`, `NOT_SERVING`) |
//!
//! Every label set a check or a derived service uses is created when the
//! service is built, so recording an evaluation allocates nothing. Services
//! that are only watched, never registered, get no series.
//!
//! Without the feature the same types exist and record nothing.

#[cfg(not(feature = "metrics"))]
mod disabled;
#[cfg(feature = "metrics")]
mod prometheus;

#[cfg(not(feature = "metrics"))]
pub(crate) use disabled::{CheckMetrics, Metrics, ServiceMetrics};
#[cfg(feature = "metrics")]
pub(crate) use prometheus::{CheckMetrics, Metrics, ServiceMetrics};
