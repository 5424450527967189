//! The metric families, registered into the application's prometheus-client
//! `Registry`, and the listener that records the health service's events
//! into them.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

use crate::{
    CheckRan, CheckStatus, Group, HealthListener, RunOutcome, ServingStatus, StatusChanged,
};

/// Check durations in seconds: from a local call (1 ms) to well past the
/// default 800 ms timeout.
const DURATION_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CheckLabels {
    check: String,
    /// The check's groups, joined with `,` (`readiness`, `readiness,startup`).
    group: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RunLabels {
    check: String,
    group: String,
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

/// The families, registered into the application's registry.
#[derive(Clone, Debug)]
pub(crate) struct Metrics {
    check_status: Family<CheckLabels, Gauge>,
    check_runs: Family<RunLabels, Counter>,
    check_duration: DurationFamily,
    service_serving: Family<ServiceLabels, Gauge>,
    service_transitions: Family<TransitionLabels, Counter>,
}

impl Metrics {
    /// Creates the families and registers them into `registry`.
    pub(crate) fn register(registry: &mut Registry) -> Self {
        let families = Self {
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
        families
    }

    /// The listener that records into these families, with every series of
    /// `checks` (name and groups) created now, so that recording a run
    /// allocates nothing.
    pub(crate) fn listener<'a>(
        &self,
        checks: impl IntoIterator<Item = (&'a str, &'a [Group])>,
    ) -> PrometheusListener {
        let mut by_name: HashMap<String, Vec<(Vec<Group>, CheckHandles)>> = HashMap::new();
        for (name, groups) in checks {
            let same_name = by_name.entry(name.to_owned()).or_default();
            if !same_name.iter().any(|(known, _)| known == groups) {
                same_name.push((groups.to_vec(), self.check(name, groups)));
            }
        }
        PrometheusListener {
            metrics: self.clone(),
            checks: by_name,
            services: Mutex::new(HashMap::new()),
        }
    }

    fn check(&self, name: &str, groups: &[Group]) -> CheckHandles {
        let group = group_label(groups);
        let labels = CheckLabels {
            check: name.to_owned(),
            group: group.clone(),
        };
        let runs = RunOutcome::ALL.map(|outcome| {
            self.check_runs.get_or_create_owned(&RunLabels {
                check: name.to_owned(),
                group: group.clone(),
                result: outcome.as_str(),
            })
        });
        CheckHandles {
            status: self.check_status.get_or_create_owned(&labels),
            duration: self.check_duration.get_or_create_owned(&labels),
            runs,
        }
    }

    fn service(&self, name: &str) -> ServiceHandles {
        let transition = |to: ServingStatus| {
            self.service_transitions
                .get_or_create_owned(&TransitionLabels {
                    service: name.to_owned(),
                    to: to.as_str_name(),
                })
        };
        ServiceHandles {
            serving: self.service_serving.get_or_create_owned(&ServiceLabels {
                service: name.to_owned(),
            }),
            to_serving: transition(ServingStatus::Serving),
            to_not_serving: transition(ServingStatus::NotServing),
        }
    }

    /// Removes the series of a service that is no longer registered.
    fn forget_service(&self, name: &str) {
        self.service_serving.remove(&ServiceLabels {
            service: name.to_owned(),
        });
        for to in [ServingStatus::Serving, ServingStatus::NotServing] {
            self.service_transitions.remove(&TransitionLabels {
                service: name.to_owned(),
                to: to.as_str_name(),
            });
        }
    }
}

/// The `group` label of a check: its groups' names joined with `,`.
fn group_label(groups: &[Group]) -> String {
    groups
        .iter()
        .map(Group::service_name)
        .collect::<Vec<_>>()
        .join(",")
}

/// Records the health service's events into the [`Metrics`] families.
pub(crate) struct PrometheusListener {
    metrics: Metrics,
    /// Each check's handles, by name, then groups (names need only be
    /// unique within a group).
    checks: HashMap<String, Vec<(Vec<Group>, CheckHandles)>>,
    /// Each registered service's handles; merely watched names have none.
    services: Mutex<HashMap<String, ServiceHandles>>,
}

struct CheckHandles {
    status: Gauge,
    duration: Histogram,
    /// Indexed by [`RunOutcome`], in the order of [`RunOutcome::ALL`].
    runs: [Counter; 4],
}

struct ServiceHandles {
    serving: Gauge,
    to_serving: Counter,
    to_not_serving: Counter,
}

impl HealthListener for PrometheusListener {
    fn check_ran(&self, event: &CheckRan<'_>) {
        let handles = self.checks.get(event.check).and_then(|same_name| {
            same_name
                .iter()
                .find(|(groups, _)| groups.as_slice() == event.groups)
        });
        if let Some((_, handles)) = handles {
            handles.runs[event.outcome as usize].inc();
            handles.duration.observe(event.duration.as_secs_f64());
            handles
                .status
                .set(i64::from(event.status == CheckStatus::Passing));
        }
    }

    fn status_changed(&self, event: &StatusChanged<'_>) {
        let mut services = self.services.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(to) = event.to else {
            services.remove(event.service);
            self.metrics.forget_service(event.service);
            return;
        };
        let handles = match services.get(event.service) {
            Some(handles) => handles,
            None => services
                .entry(event.service.to_owned())
                .or_insert_with(|| self.metrics.service(event.service)),
        };
        handles.serving.set(i64::from(to == ServingStatus::Serving));
        if event.from.is_some_and(|from| from != to) {
            match to {
                ServingStatus::Serving => handles.to_serving.inc(),
                _ => handles.to_not_serving.inc(),
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use std::time::Duration;

    use crate::{Check, HealthChecks};

    use super::*;
    use crate::test_support::{EVENT_TIMEOUT, build_evaluated};

    fn scrape(registry: &Registry) -> String {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, registry).expect("encodes");
        text
    }

    /// The value of `series` (name and labels exactly as written), if present.
    fn value(scrape: &str, series: &str) -> Option<f64> {
        scrape.lines().find_map(|line| {
            let value = line.strip_prefix(series)?.strip_prefix(' ')?;
            value.parse().ok()
        })
    }

    fn runs(check: &str, result: &str) -> String {
        format!(
            "grpc_health_check_runs_total{{check=\"{check}\",group=\"readiness\",result=\"{result}\"}}"
        )
    }

    #[tokio::test]
    async fn every_series_of_a_check_exists_before_it_runs() {
        let mut registry = Registry::default();
        let (_, _handle) = HealthChecks::new()
            .interval(Duration::from_secs(3600))
            .check(Check::new_async("db", std::future::pending::<bool>))
            .service("helloworld.Greeter", Group::Readiness)
            .metrics(&mut registry)
            .build()
            .expect("valid health configuration");
        let text = scrape(&registry);
        for result in ["success", "error", "timeout", "panic"] {
            assert_eq!(
                value(&text, &runs("db", result)),
                Some(0.0),
                "{result}\n{text}"
            );
        }
        let labels = "{check=\"db\",group=\"readiness\"}";
        assert_eq!(
            value(&text, &format!("grpc_health_check_status{labels}")),
            Some(0.0)
        );
        assert_eq!(
            value(
                &text,
                &format!("grpc_health_check_duration_seconds_count{labels}")
            ),
            Some(0.0)
        );
        for (service, serving) in [
            ("", 0.0),
            ("liveness", 1.0),
            ("readiness", 0.0),
            ("helloworld.Greeter", 0.0),
        ] {
            let series = format!("grpc_health_service_serving{{service=\"{service}\"}}");
            assert_eq!(value(&text, &series), Some(serving), "{series}");
        }
    }

    #[tokio::test]
    async fn several_groups_share_one_label_and_optional_checks_and_named_groups_are_recorded() {
        let mut registry = Registry::default();
        let _handle = build_evaluated(
            HealthChecks::new()
                .interval(Duration::from_millis(10))
                .check(Check::new_async("migrations", || async { true }).in_group("startup"))
                .check(Check::new_async("cache", || async { false }).optional())
                .metrics(&mut registry),
        )
        .await;
        let text = scrape(&registry);
        let series = |check: &str, group: &str| {
            format!("grpc_health_check_status{{check=\"{check}\",group=\"{group}\"}}")
        };
        assert_eq!(
            value(&text, &series("migrations", "readiness,startup")),
            Some(1.0),
            "{text}"
        );
        assert_eq!(
            value(&text, &series("cache", "readiness")),
            Some(0.0),
            "degraded: {text}"
        );
        assert_eq!(
            value(&text, &runs("cache", "error")).map(|runs| runs > 0.0),
            Some(true)
        );
        for service in ["readiness", "startup"] {
            let series = format!("grpc_health_service_serving{{service=\"{service}\"}}");
            assert_eq!(value(&text, &series), Some(1.0), "{series}\n{text}");
        }
    }

    #[tokio::test]
    async fn runs_are_counted_by_how_they_ended() {
        let mut registry = Registry::default();
        let _handle = build_evaluated(
            HealthChecks::new()
                .interval(Duration::from_millis(10))
                .check(Check::new_async("ok", || async { true }))
                .check(Check::new_async("err", || async {
                    Err::<(), _>("refused")
                }))
                .check(
                    Check::new_async("slow", std::future::pending::<bool>)
                        .timeout(Duration::from_millis(20)),
                )
                .check(Check::new("boom", || -> bool { panic!("disk on fire") }))
                .metrics(&mut registry),
        )
        .await;
        let text = scrape(&registry);
        for (check, result) in [
            ("ok", "success"),
            ("err", "error"),
            ("slow", "timeout"),
            ("boom", "panic"),
        ] {
            for other in ["success", "error", "timeout", "panic"] {
                let count = value(&text, &runs(check, other)).expect("series exists");
                assert_eq!(
                    count >= 1.0,
                    other == result,
                    "{check} {other}: {count}\n{text}"
                );
            }
        }
        let ok = "{check=\"ok\",group=\"readiness\"}";
        assert_eq!(
            value(&text, &format!("grpc_health_check_status{ok}")),
            Some(1.0)
        );
        let observed = value(
            &text,
            &format!("grpc_health_check_duration_seconds_count{ok}"),
        );
        assert!(observed.is_some_and(|count| count >= 1.0), "{text}");
    }

    fn serving(registry: &Registry, service: &str) -> Option<f64> {
        value(
            &scrape(registry),
            &format!("grpc_health_service_serving{{service=\"{service}\"}}"),
        )
    }

    #[tokio::test]
    async fn check_and_service_gauges_follow_flips_and_count_transitions() {
        let mut registry = Registry::default();
        let up = Arc::new(AtomicBool::new(false));
        let flag = up.clone();
        let (_, handle) = HealthChecks::new()
            .interval(Duration::from_millis(10))
            .check(Check::new("db", move || flag.load(Ordering::SeqCst)))
            .metrics(&mut registry)
            .build()
            .expect("valid health configuration");
        let (_, mut readiness) = handle.shared.table().subscribe("readiness");
        up.store(true, Ordering::SeqCst);
        tokio::time::timeout(
            EVENT_TIMEOUT,
            readiness.wait_for(|status| *status == Some(ServingStatus::Serving)),
        )
        .await
        .expect("readiness SERVING in time")
        .expect("service alive");
        let text = scrape(&registry);
        assert_eq!(
            value(
                &text,
                "grpc_health_check_status{check=\"db\",group=\"readiness\"}"
            ),
            Some(1.0)
        );
        assert_eq!(serving(&registry, "readiness"), Some(1.0));
        let to_serving =
            "grpc_health_service_transitions_total{service=\"readiness\",to=\"SERVING\"}";
        assert_eq!(value(&text, to_serving), Some(1.0));
        handle.shutdown();
        let text = scrape(&registry);
        assert_eq!(
            value(&text, "grpc_health_service_serving{service=\"readiness\"}"),
            Some(0.0)
        );
        let to_not_serving =
            "grpc_health_service_transitions_total{service=\"readiness\",to=\"NOT_SERVING\"}";
        assert_eq!(value(&text, to_not_serving), Some(1.0));
    }

    #[tokio::test]
    async fn hand_driven_services_have_series_only_while_registered() {
        let mut registry = Registry::default();
        let (_, handle) = HealthChecks::new()
            .metrics(&mut registry)
            .build()
            .expect("valid health configuration");
        let watcher = handle.shared.table().subscribe("watched");
        assert!(
            !scrape(&registry).contains("watched"),
            "watching registers nothing"
        );
        handle.set_serving("watched").expect("register");
        assert_eq!(serving(&registry, "watched"), Some(1.0));
        handle.set_not_serving("watched").expect("flip");
        let text = scrape(&registry);
        assert_eq!(
            value(&text, "grpc_health_service_serving{service=\"watched\"}"),
            Some(0.0)
        );
        let flips = "grpc_health_service_transitions_total{service=\"watched\",to=\"NOT_SERVING\"}";
        assert_eq!(value(&text, flips), Some(1.0));
        handle.clear_status("watched").expect("unregister");
        assert!(
            !scrape(&registry).contains("watched"),
            "series removed with the service"
        );
        handle.shared.table().unsubscribe("watched", watcher);
    }
}
