//! Configuring a [`Balanced`] channel: the target or change stream, the
//! health service name, the policy, waits, backoff, TLS and endpoint options.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tokio_stream::Stream;
#[cfg(feature = "tls")]
use tonic::transport::ClientTlsConfig;
use tonic::transport::Endpoint;

use crate::backoff::Backoff;
use crate::balanced::Balanced;
use crate::discovery::{self, Change, Changes, Resolution};
use crate::resolve::{Resolve, SystemResolver};
use crate::settings::{Policy, Settings};
use crate::table::Shared;
use crate::target;

/// How long an RPC without a deadline waits for a healthy backend.
pub const DEFAULT_NO_BACKEND_WAIT: Duration = Duration::from_secs(10);
/// How often DNS names are resolved again.
pub const DEFAULT_DNS_INTERVAL: Duration = Duration::from_secs(30);
/// How soon after a connection failure DNS names are resolved again.
pub const DEFAULT_RESOLVE_AFTER_FAILURE: Duration = Duration::from_secs(1);
/// How long connecting to one backend may take.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a [`Balanced`] channel could not be made: the message says what to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

enum Source {
    Target(String),
    Changes(Changes),
}

/// Builds a [`Balanced`] channel; see [`Balanced::builder`].
pub struct Builder {
    source: Source,
    settings: Settings,
    resolution: Resolution,
    resolver: Arc<dyn Resolve>,
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = match &self.source {
            Source::Target(target) => target.as_str(),
            Source::Changes(_) => "<change stream>",
        };
        f.debug_struct("Builder")
            .field("source", &source)
            .field("settings", &self.settings)
            .field("resolution", &self.resolution)
            .finish_non_exhaustive()
    }
}

impl Balanced {
    /// A builder for `target`: `dns:///host:port` (every A/AAAA record is a
    /// backend; resolved again periodically and after connection failures)
    /// or a comma-separated list of `host:port` (names in it are resolved
    /// the same way; a list of IP literals is fixed).
    pub fn builder(target: impl Into<String>) -> Builder {
        Builder::new(Source::Target(target.into()))
    }

    /// A builder whose backends come from the application's own discovery:
    /// each [`Change`] inserts or removes one backend.
    pub fn builder_with_changes(changes: impl Stream<Item = Change> + Send + 'static) -> Builder {
        Builder::new(Source::Changes(Box::pin(changes)))
    }
}

impl Builder {
    fn new(source: Source) -> Self {
        Self {
            source,
            settings: Settings {
                service: String::new(),
                policy: Policy::default(),
                no_backend_wait: DEFAULT_NO_BACKEND_WAIT,
                backoff: Backoff::default(),
                connect_timeout: DEFAULT_CONNECT_TIMEOUT,
                server_name: None,
                #[cfg(feature = "tls")]
                tls: None,
                endpoint_hook: None,
                #[cfg(feature = "metrics")]
                metrics: None,
            },
            resolution: Resolution {
                interval: DEFAULT_DNS_INTERVAL,
                after_failure: DEFAULT_RESOLVE_AFTER_FAILURE,
            },
            resolver: Arc::new(SystemResolver),
        }
    }

    /// The service name each backend's Watch asks about (A17's
    /// `healthCheckConfig.serviceName`); default `""`, the whole server.
    pub fn health_service(mut self, name: impl Into<String>) -> Self {
        self.settings.service = name.into();
        self
    }

    /// How RPCs pick among healthy backends (default: power of two choices).
    pub fn policy(mut self, policy: Policy) -> Self {
        self.settings.policy = policy;
        self
    }

    /// How long an RPC that carries no deadline (`grpc-timeout`) waits for a
    /// healthy backend before it fails UNAVAILABLE; default
    /// [`DEFAULT_NO_BACKEND_WAIT`].
    pub fn no_backend_wait(mut self, wait: Duration) -> Self {
        self.settings.no_backend_wait = wait;
        self
    }

    /// The backoff between Watch retries (default: grpc-go's).
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.settings.backoff = backoff;
        self
    }

    /// How long connecting to one backend may take; default [`DEFAULT_CONNECT_TIMEOUT`].
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.settings.connect_timeout = timeout;
        self
    }

    /// How often DNS names are resolved again, and how soon after a
    /// connection failure; defaults [`DEFAULT_DNS_INTERVAL`] and
    /// [`DEFAULT_RESOLVE_AFTER_FAILURE`].
    pub fn dns_refresh(mut self, interval: Duration, after_failure: Duration) -> Self {
        self.resolution = Resolution {
            interval,
            after_failure,
        };
        self
    }

    /// Who resolves the names of the target; default [`SystemResolver`].
    /// Each answer replaces the backends found under that name: a new
    /// address is added, a missing one drained.
    pub fn resolver(mut self, resolver: impl Resolve) -> Self {
        self.resolver = Arc::new(resolver);
        self
    }

    /// TLS to every backend, with tonic's own options. Each backend found
    /// under a DNS name gets that name as SNI and as the name its
    /// certificate must carry; see [`Builder::server_name`] for IP targets.
    #[cfg(feature = "tls")]
    pub fn tls(mut self, tls: ClientTlsConfig) -> Self {
        self.settings.tls = Some(tls);
        self
    }

    /// The name every backend is addressed as (TLS SNI, certificate name,
    /// `:authority`), instead of the DNS name it was found under: for IP
    /// lists and change streams, whose backends have no name.
    pub fn server_name(mut self, name: impl Into<String>) -> Self {
        self.settings.server_name = Some(name.into());
        self
    }

    /// Applied last to each backend's tonic [`Endpoint`]: keepalive, user
    /// agent, window sizes, timeouts, anything tonic offers.
    pub fn endpoint(
        mut self,
        configure: impl Fn(Endpoint) -> Endpoint + Send + Sync + 'static,
    ) -> Self {
        self.settings.endpoint_hook = Some(Arc::new(configure));
        self
    }

    /// Registers the backends' Prometheus series into `registry`: see the
    /// crate README's Observability section for their names.
    #[cfg(feature = "metrics")]
    pub fn metrics(mut self, registry: &mut prometheus_client::registry::Registry) -> Self {
        self.settings.metrics = Some(crate::metrics::Metrics::register(registry));
        self
    }

    /// The channel. Nothing is connected yet: discovery and the Watches start
    /// in the background, and RPCs wait for the first SERVING backend.
    ///
    /// # Errors
    ///
    /// A malformed target or TLS configuration, or no Tokio runtime.
    pub fn connect_lazy(self) -> Result<Balanced, Error> {
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|_| Error("connect_lazy must be called inside a Tokio runtime".to_owned()))?;
        // A bad TLS configuration fails here, not silently per backend.
        self.settings
            .endpoint(([127, 0, 0, 1], 1).into(), Some("localhost"))
            .map_err(|error| Error(format!("invalid endpoint configuration: {error}")))?;
        let shared = Arc::new(Shared::new(self.settings));
        let weak = Arc::downgrade(&shared);
        let task = match self.source {
            Source::Target(target) => {
                let target = target::parse(&target).map_err(Error)?;
                let notify = shared.resolve_now.clone();
                runtime.spawn(discovery::resolve_loop(
                    weak,
                    notify,
                    target,
                    self.resolution,
                    self.resolver,
                ))
            }
            Source::Changes(changes) => runtime.spawn(discovery::follow_changes(weak, changes)),
        };
        shared.add_discovery_task(task.abort_handle());
        Ok(Balanced::new(shared))
    }
}
