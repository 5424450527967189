//! The metric families, registered into the application's prometheus-client
//! `Registry`, and the per-check and per-service handles taken from them.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

use crate::evaluate::RunKind;
use crate::{Group, ServingStatus};

/// Check durations in seconds: from a local call (1 ms) to well past the
/// default 800 ms timeout.
const DURATION_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CheckLabels {
    check: String,
    group: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RunLabels {
    check: String,
    group: &'static str,
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ServiceLabels {
    service: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TransitionLabels {
    service: String,
    to: &'static str,
}

type DurationFamily = Family<CheckLabels, Histogram, fn() -> Histogram>;

/// The registered families; `None` when the application asked for no metrics.
#[derive(Clone, Debug, Default)]
pub(crate) struct Metrics(Option<Families>);

#[derive(Clone, Debug)]
struct Families {
    check_status: Family<CheckLabels, Gauge>,
    check_runs: Family<RunLabels, Counter>,
    check_duration: DurationFamily,
    service_serving: Family<ServiceLabels, Gauge>,
    service_transitions: Family<TransitionLabels, Counter>,
}

impl Metrics {
    /// Creates the families and registers them into `registry`.
    pub(crate) fn register(registry: &mut Registry) -> Self {
        let families = Families {
            check_status: Family::default(),
            check_runs: Family::default(),
            check_duration: Family::new_with_constructor(|| Histogram::new(DURATION_BUCKETS)),
            service_serving: Family::default(),
            service_transitions: Family::default(),
        };
        registry.register(
            "grpc_health_check_status",
            "Whether a health check passes after its thresholds (1) or fails or has not passed yet (0)",
            families.check_status.clone(),
        );
        registry.register(
            "grpc_health_check_runs",
            "Health check runs by how they ended: success, error, timeout or panic",
            families.check_runs.clone(),
        );
        registry.register_with_unit(
            "grpc_health_check_duration",
            "How long each health check run took, up to its timeout",
            Unit::Seconds,
            families.check_duration.clone(),
        );
        registry.register(
            "grpc_health_service_serving",
            "Whether the grpc.health.v1 service answers SERVING (1) or not (0) for a registered service",
            families.service_serving.clone(),
        );
        registry.register(
            "grpc_health_service_transitions",
            "Changes of a registered health service's status, by the status it changed to",
            families.service_transitions.clone(),
        );
        Self(Some(families))
    }

    /// The handles of one check, created now so that recording allocates nothing.
    pub(crate) fn check(&self, name: &str, group: Group) -> CheckMetrics {
        CheckMetrics(self.0.as_ref().map(|families| {
            let group = group.service_name();
            let labels = CheckLabels {
                check: name.to_owned(),
                group,
            };
            let runs = RunKind::ALL.map(|kind| {
                families.check_runs.get_or_create_owned(&RunLabels {
                    check: name.to_owned(),
                    group,
                    result: kind.as_str(),
                })
            });
            CheckHandles {
                status: families.check_status.get_or_create_owned(&labels),
                duration: families.check_duration.get_or_create_owned(&labels),
                runs,
            }
        }))
    }

    /// The handles of a service as it is registered.
    pub(crate) fn service(&self, name: &str) -> ServiceMetrics {
        ServiceMetrics(self.0.as_ref().map(|families| {
            let transition = |to: ServingStatus| {
                families
                    .service_transitions
                    .get_or_create_owned(&TransitionLabels {
                        service: name.to_owned(),
                        to: to.as_str_name(),
                    })
            };
            ServiceHandles {
                serving: families.service_serving.get_or_create_owned(&ServiceLabels {
                    service: name.to_owned(),
                }),
                to_serving: transition(ServingStatus::Serving),
                to_not_serving: transition(ServingStatus::NotServing),
            }
        }))
    }

    /// Removes the series of a service that is no longer registered.
    pub(crate) fn forget_service(&self, name: &str) {
        if let Some(families) = &self.0 {
            families.service_serving.remove(&ServiceLabels {
                service: name.to_owned(),
            });
            for to in [ServingStatus::Serving, ServingStatus::NotServing] {
                families.service_transitions.remove(&TransitionLabels {
                    service: name.to_owned(),
                    to: to.as_str_name(),
                });
            }
        }
    }
}

/// One check's handles.
#[derive(Debug, Default)]
pub(crate) struct CheckMetrics(Option<CheckHandles>);

#[derive(Debug)]
struct CheckHandles {
    status: Gauge,
    duration: Histogram,
    /// Indexed by [`RunKind`], in the order of [`RunKind::ALL`].
    runs: [Counter; 4],
}

impl CheckMetrics {
    /// Records one run: how it ended, how long it took, and the check's
    /// status after its thresholds.
    pub(crate) fn record(&self, kind: RunKind, duration: Duration, passing: bool) {
        if let Some(handles) = &self.0 {
            handles.runs[kind as usize].inc();
            handles.duration.observe(duration.as_secs_f64());
            handles.status.set(i64::from(passing));
        }
    }
}

/// One registered service's handles.
#[derive(Debug, Default)]
pub(crate) struct ServiceMetrics(Option<ServiceHandles>);

#[derive(Debug)]
struct ServiceHandles {
    serving: Gauge,
    to_serving: Counter,
    to_not_serving: Counter,
}

impl ServiceMetrics {
    /// Handles for a name that is not registered: no series.
    pub(crate) const fn none() -> Self {
        Self(None)
    }

    /// Records the service's status; a change from an earlier registered
    /// status counts as a transition.
    pub(crate) fn record(&self, from: Option<ServingStatus>, to: ServingStatus) {
        if let Some(handles) = &self.0 {
            handles
                .serving
                .set(i64::from(to == ServingStatus::Serving));
            if from.is_some_and(|from| from != to) {
                match to {
                    ServingStatus::Serving => handles.to_serving.inc(),
                    _ => handles.to_not_serving.inc(),
                };
            }
        }
    }
}
