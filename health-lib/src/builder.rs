//! [`HealthChecks`]: configures the checks and services, and starts evaluation.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::check::{Check, IntoChecks};
use crate::error::BuildError;
use crate::evaluate::{DerivedService, Evaluator};
use crate::group::Source;
use crate::observe::{HealthListener, Observers};
use crate::pb::health_server::HealthServer;
use crate::shared::Shared;
use crate::status_table::StatusTable;
use crate::{Group, HealthHandle, HealthService};

/// How often checks run unless set with [`HealthChecks::interval`].
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(1);
/// A check's timeout unless set: inside kubelet's default 1 s `timeoutSeconds`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(800);
/// The most services `List` returns before answering RESOURCE_EXHAUSTED (gRFC A90).
pub const DEFAULT_LIST_LIMIT: usize = 100;
/// The largest request the health service decodes, after decompression.
///
/// A request is a service name (a few hundred bytes at most) or nothing; tonic's
/// default of 4 MiB let each Watch hold megabytes for as long as it stays open.
/// A larger request is refused before it is read, with tonic's OUT_OF_RANGE
/// (RESOURCE_EXHAUSTED when it only grows too large while being decompressed).
/// To allow more, call `max_decoding_message_size` on the server
/// [`HealthChecks::build`] returns.
pub const MAX_REQUEST_BYTES: usize = 4 * 1024;

/// Builds a health service from a list of checks.
///
/// ```no_run
/// use std::time::Duration;
/// use grpc_health_checks::{Check, Group, HealthChecks};
///
/// # #[tokio::main] async fn main() {
/// let (health, handle) = HealthChecks::new()
///     .interval(Duration::from_secs(2))
///     .check(Check::new("disk", || std::path::Path::new("/data").exists()))
///     .check(Check::new("event-loop", || true).group(Group::Liveness))
///     .service("helloworld.Greeter", Group::Readiness)
///     .build()
///     .expect("a valid health configuration");
/// # let _ = (health, handle); }
/// ```
pub struct HealthChecks {
    checks: Vec<Check>,
    services: Vec<DerivedService>,
    interval: Duration,
    timeout: Duration,
    list_limit: usize,
    /// The crate's own listeners, made at build from the final check list.
    inline: Vec<InlineListener>,
    /// The application's listeners.
    listeners: Vec<Box<dyn HealthListener>>,
    /// The first mistake made while configuring, returned by `build`.
    refused: Option<BuildError>,
}

/// Makes one of the crate's own listeners once the checks are known.
type InlineListener = Box<dyn FnOnce(&[Check]) -> Box<dyn HealthListener> + Send + Sync>;

impl fmt::Debug for HealthChecks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HealthChecks")
            .field("checks", &self.checks)
            .field("services", &self.services)
            .field("interval", &self.interval)
            .field("timeout", &self.timeout)
            .field("list_limit", &self.list_limit)
            .field("listeners", &(self.inline.len() + self.listeners.len()))
            .finish()
    }
}

impl Default for HealthChecks {
    fn default() -> Self {
        Self::new()
    }
}

impl HealthChecks {
    /// No checks yet; `""`, `liveness` and `readiness` are always served.
    pub fn new() -> Self {
        Self {
            checks: Vec::new(),
            services: DerivedService::reserved(),
            interval: DEFAULT_INTERVAL,
            timeout: DEFAULT_TIMEOUT,
            list_limit: DEFAULT_LIST_LIMIT,
            inline: Vec::new(),
            listeners: Vec::new(),
            refused: None,
        }
    }

    /// A builder with `checks`: a tuple of closures (which may capture), or
    /// anything iterable of closures or [`Check`]s; see [`IntoChecks`].
    /// Closures become readiness checks named `check-1`, `check-2`, … by position.
    ///
    /// ```
    /// use grpc_health_checks::{Check, HealthChecks};
    ///
    /// let db = String::from("db:5432");
    /// let _ = HealthChecks::from_checks((|| true, move || !db.is_empty()));
    /// let _ = HealthChecks::from_checks([Check::new("disk", || true), Check::new("cache", || true)]);
    /// ```
    pub fn from_checks<M>(checks: impl IntoChecks<M>) -> Self {
        checks
            .into_checks()
            .into_iter()
            .fold(Self::new(), Self::check)
    }

    /// Adds a check.
    #[must_use]
    pub fn check(mut self, check: Check) -> Self {
        self.checks.push(check);
        self
    }

    /// Serves `service` (e.g. `helloworld.Greeter`) with the status of `group`.
    /// The names `""`, `liveness` and `readiness` are fixed: mapping one makes
    /// [`build`](Self::build) fail with [`BuildError::ReservedService`], as
    /// [`HealthHandle::set_status`] refuses them.
    #[must_use]
    pub fn service(mut self, service: impl Into<String>, group: Group) -> Self {
        let name = service.into();
        if Group::is_reserved_service(&name) {
            self.refused
                .get_or_insert(BuildError::ReservedService { service: name });
            return self;
        }
        match self.services.iter_mut().find(|known| known.name == name) {
            Some(known) => known.source = Source::Group(group),
            None => self.services.push(DerivedService {
                name,
                source: Source::Group(group),
            }),
        }
        self
    }

    /// How often the checks run (default 1 s). A dependency is called at most
    /// once per interval, however many Check and Watch calls arrive.
    #[must_use]
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval.max(Duration::from_millis(1));
        self
    }

    /// The default per-check timeout (default 800 ms).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The most services `List` returns before RESOURCE_EXHAUSTED (default 100).
    #[must_use]
    pub fn list_limit(mut self, limit: usize) -> Self {
        self.list_limit = limit;
        self
    }

    /// Registers the health metrics into `registry` (feature `metrics`):
    /// per-check status, runs by result and run duration; per-service status
    /// and transitions (names and labels: the metrics table of the crate
    /// documentation, under "Metrics and HTTP endpoints"). Recorded by a
    /// listener called on the spot, not through a queue, so a scrape that
    /// follows a status change sees it. Serve the registry with
    /// [`AdminService::metrics`](crate::admin::AdminService::metrics) or your own
    /// `/metrics` endpoint.
    #[cfg(feature = "metrics")]
    #[must_use]
    pub fn metrics(mut self, registry: &mut prometheus_client::registry::Registry) -> Self {
        let metrics = crate::metrics::Metrics::register(registry);
        self.inline.push(Box::new(move |checks: &[Check]| {
            let checks = checks
                .iter()
                .map(|check| (check.name(), check.groups.as_slice()));
            Box::new(metrics.listener(checks)) as Box<dyn HealthListener>
        }));
        self
    }

    /// Tells `listener` about every check run and every status change, on
    /// its own thread: see [`HealthListener`] for how events are delivered.
    #[must_use]
    pub fn listener(mut self, listener: impl HealthListener) -> Self {
        self.listeners.push(Box::new(listener));
        self
    }

    /// Returns the service to add to a tonic server, and a handle to control
    /// it, and starts evaluating in the background. The service decodes
    /// requests of at most [`MAX_REQUEST_BYTES`].
    ///
    /// Evaluation starts at once inside a Tokio runtime; built outside one,
    /// it starts at the first use (an RPC, a handle call, an admin request)
    /// from inside one. It stops when the service and every handle are
    /// dropped, or on shutdown.
    ///
    /// # Errors
    ///
    /// A [`BuildError`] for a reserved name given to [`service`](Self::service),
    /// a threshold of 0, or a listener thread that cannot start.
    pub fn build(self) -> Result<(HealthServer<HealthService>, HealthHandle), BuildError> {
        if let Some(refused) = self.refused {
            return Err(refused);
        }
        let zero = self.checks.iter().find_map(|check| {
            check
                .zero_threshold
                .map(|threshold| (check.name.clone(), threshold))
        });
        if let Some((check, threshold)) = zero {
            return Err(BuildError::ZeroThreshold { check, threshold });
        }
        let services = named_groups(&self.checks, self.services)?;
        let inline = self
            .inline
            .into_iter()
            .map(|make| make(&self.checks))
            .collect();
        let observers =
            Arc::new(Observers::new(inline, self.listeners).map_err(BuildError::ListenerThread)?);
        let evaluator = Evaluator::new(
            self.checks,
            services,
            self.interval,
            self.timeout,
            observers.clone(),
        );
        let table = StatusTable::new(
            evaluator
                .derived_statuses()
                .map(|(name, status)| (name.to_owned(), status)),
            self.list_limit,
            observers,
        );
        let shared = Shared::start(table, evaluator.snapshots(), move |shared| {
            Box::pin(evaluator.run(shared))
        });
        let service = HealthService {
            shared: shared.clone(),
        };
        let server = HealthServer::new(service)
            .accept_compressed(tonic::codec::CompressionEncoding::Gzip)
            .max_decoding_message_size(MAX_REQUEST_BYTES);
        Ok((server, HealthHandle { shared }))
    }
}

/// The services with every named group a check or a mapped service uses
/// added under its own name; refuses a reserved name or one that a mapped
/// service already takes.
fn named_groups(
    checks: &[Check],
    mut services: Vec<DerivedService>,
) -> Result<Vec<DerivedService>, BuildError> {
    let used: Vec<Group> = checks
        .iter()
        .flat_map(|check| check.groups.iter())
        .chain(services.iter().filter_map(|service| match &service.source {
            Source::Group(group) => Some(group),
            Source::All => None,
        }))
        .filter(|group| matches!(group, Group::Named(_)))
        .cloned()
        .collect();
    for group in used {
        if group.is_reserved_name() {
            return Err(BuildError::ReservedGroup {
                group: group.service_name().to_owned(),
            });
        }
        match services
            .iter()
            .find(|known| known.name == group.service_name())
        {
            Some(known) if known.source == Source::Group(group.clone()) => {}
            Some(_) => {
                return Err(BuildError::GroupNameTaken {
                    group: group.service_name().to_owned(),
                });
            }
            None => services.push(DerivedService::group(group)),
        }
    }
    Ok(services)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ServingStatus;
    use crate::test_support::wait_until;

    fn refusal(checks: HealthChecks) -> BuildError {
        match checks.build() {
            Ok(_) => panic!("the configuration should be refused"),
            Err(error) => error,
        }
    }

    #[test]
    fn reserved_names_are_refused_at_build_as_set_status_refuses_them() {
        for reserved in Group::RESERVED_SERVICES {
            let error = refusal(
                HealthChecks::new()
                    .service("helloworld.Greeter", Group::Readiness)
                    .service(reserved, Group::Liveness),
            );
            assert!(
                matches!(&error, BuildError::ReservedService { service } if service == reserved),
                "{error:?}"
            );
            assert!(error.to_string().contains("choose another name"), "{error}");
        }
    }

    #[test]
    fn reserved_group_names_are_refused_at_build() {
        for reserved in Group::RESERVED_SERVICES {
            let error =
                refusal(HealthChecks::new().check(Check::new("db", || true).in_group(reserved)));
            assert!(
                matches!(&error, BuildError::ReservedGroup { group } if group == reserved),
                "{error:?}"
            );
            assert!(error.to_string().contains("use Group::Liveness"), "{error}");
        }
        let error = refusal(
            HealthChecks::new()
                .service("deep", Group::Readiness)
                .check(Check::new("db", || true).groups(["deep"])),
        );
        assert!(
            matches!(&error, BuildError::GroupNameTaken { group } if group == "deep"),
            "{error:?}"
        );
        assert!(
            HealthChecks::new()
                .service("app.Deep", Group::named("deep"))
                .check(Check::new("db", || true).groups(["deep"]))
                .build()
                .is_ok(),
            "a service may follow a named group"
        );
    }

    #[test]
    fn a_threshold_of_zero_is_refused_at_build() {
        for (check, threshold) in [
            (
                Check::new("db", || true).failure_threshold(0),
                "failure_threshold",
            ),
            (
                Check::new("db", || true).success_threshold(0),
                "success_threshold",
            ),
        ] {
            let error = refusal(HealthChecks::new().check(check));
            assert!(
                matches!(&error, BuildError::ZeroThreshold { check, threshold: which } if check == "db" && *which == threshold),
                "{error:?}"
            );
            assert_eq!(
                error.to_string(),
                format!(
                    "check \"db\" has {threshold}(0): a threshold counts consecutive runs and must be at least 1"
                )
            );
        }
        let one_line = crate::from_checks([Check::new("db", || true).failure_threshold(0)]);
        assert!(one_line.is_err(), "from_checks refuses it too");
    }

    #[test]
    fn the_builder_can_be_shared_and_sent() {
        fn shareable<T: Send + Sync>(_: &T) {}
        shareable(&HealthChecks::new().listener(Quiet));
    }

    struct Quiet;

    impl HealthListener for Quiet {}

    #[test]
    fn built_outside_a_runtime_it_evaluates_from_the_first_use_inside_one() {
        let (_health, handle) = HealthChecks::new()
            .interval(Duration::from_millis(1))
            .check(Check::new("db", || true))
            .build()
            .expect("no runtime needed to build");
        assert_eq!(handle.snapshot()[0].evaluations, 0, "nothing ran yet");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async {
            wait_until("the first use starts evaluation", || {
                handle.status("readiness") == Some(ServingStatus::Serving)
            })
            .await;
        });
    }
}
