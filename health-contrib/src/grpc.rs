//! Feature `grpc`: follows another server's `grpc.health.v1` status for one
//! service, so that this server is ready only while its upstream is.
//!
//! A background task keeps a Watch stream open and publishes every status it
//! receives; the check only reads the latest one, so an evaluation costs no
//! network round trip and an upstream change arrives as soon as it is sent.
//! When the stream breaks, the task reconnects with capped exponential backoff
//! (100 ms doubling to 5 s by default). Against a server without Watch
//! (UNIMPLEMENTED) it falls back to calling Check every poll interval. The task
//! ends when the check is dropped.
//!
//! Failure reasons: `upstream 127.0.0.1:50051 service "" is NOT_SERVING`,
//! `upstream 127.0.0.1:50051 unreachable: tcp connect error: Connection refused (os error 111)`,
//! `upstream 127.0.0.1:50051: no status received yet`.

mod follow;

use std::fmt;
use std::time::Duration;

use tonic::transport::Endpoint;

use super::{Common, common_builder};
use grpc_health_checks::Check;

/// The first reconnection delay.
pub const DEFAULT_BACKOFF_MIN: Duration = Duration::from_millis(100);
/// The longest reconnection delay.
pub const DEFAULT_BACKOFF_MAX: Duration = Duration::from_secs(5);
/// How often Check is called where Watch is UNIMPLEMENTED.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(1);

/// HTTP/2 pings that find an upstream gone without a goodbye (a partition, a
/// killed node), so that a silent Watch stream is not trusted for ever.
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(10);
const KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(5);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A readiness check that follows an upstream server's health status.
///
/// ```
/// # #[tokio::main] async fn main() -> Result<(), grpc_health_contrib::grpc::InvalidAddress> {
/// use grpc_health_checks::HealthChecks;
/// use grpc_health_contrib::grpc::UpstreamCheck;
///
/// let upstream = UpstreamCheck::new("127.0.0.1:50051")?.service("payments.Ledger");
/// let (health, handle) = HealthChecks::new().check(upstream.into_check()).build().expect("valid health configuration");
/// # let _ = (health, handle); Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct UpstreamCheck {
    endpoint: Endpoint,
    target: String,
    service: String,
    common: Common,
    backoff: (Duration, Duration),
    poll_interval: Duration,
}

/// An upstream address [`UpstreamCheck::new`] cannot use.
#[derive(Debug)]
pub struct InvalidAddress {
    address: String,
    why: String,
}

impl fmt::Display for InvalidAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid upstream address {:?}: {}",
            self.address, self.why
        )
    }
}

impl std::error::Error for InvalidAddress {}

impl UpstreamCheck {
    /// Follows the upstream at `address` (`host:port`, or an `http://` URI), in
    /// plaintext, for the service `""` (the whole server) unless
    /// [`service`](Self::service) names another.
    ///
    /// # Errors
    ///
    /// [`InvalidAddress`] if `address` is not a valid URI authority.
    pub fn new(address: &str) -> Result<Self, InvalidAddress> {
        let uri = if address.contains("://") {
            address.to_owned()
        } else {
            format!("http://{address}")
        };
        let endpoint = Endpoint::from_shared(uri)
            .map_err(|error| InvalidAddress {
                address: address.to_owned(),
                why: error.to_string(),
            })?
            .connect_timeout(CONNECT_TIMEOUT)
            .http2_keep_alive_interval(KEEPALIVE_INTERVAL)
            .keep_alive_timeout(KEEPALIVE_TIMEOUT)
            .keep_alive_while_idle(true);
        let target = address.split("://").last().unwrap_or(address).to_owned();
        Ok(Self::from_endpoint(endpoint, target))
    }

    /// Follows the upstream at a prepared tonic `endpoint` (e.g. with TLS),
    /// called `target` in reasons.
    pub fn from_endpoint(endpoint: Endpoint, target: impl Into<String>) -> Self {
        Self {
            endpoint,
            target: target.into(),
            service: String::new(),
            common: Common::default(),
            backoff: (DEFAULT_BACKOFF_MIN, DEFAULT_BACKOFF_MAX),
            poll_interval: DEFAULT_POLL_INTERVAL,
        }
    }

    /// The upstream service to follow (default `""`, the whole server).
    #[must_use]
    pub fn service(mut self, service: impl Into<String>) -> Self {
        self.service = service.into();
        self
    }

    /// Reconnection delays: from `min`, doubling up to `max`.
    #[must_use]
    pub fn backoff(mut self, min: Duration, max: Duration) -> Self {
        self.backoff = (min, max.max(min));
        self
    }

    /// How often Check is called where the upstream answers Watch with UNIMPLEMENTED.
    #[must_use]
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// Starts following the upstream and returns the [`Check`], in
    /// [`Group::Readiness`](grpc_health_checks::Group::Readiness). Following stops when the
    /// check (and every clone of it) is dropped.
    ///
    /// # Panics
    ///
    /// Outside a Tokio runtime, as `tokio::spawn` does.
    pub fn into_check(self) -> Check {
        let default_name = format!("upstream {}", self.target);
        let latest = follow::start(follow::Follow {
            channel: self.endpoint.connect_lazy(),
            target: self.target,
            service: self.service,
            backoff: self.backoff,
            poll_interval: self.poll_interval,
        });
        self.common.finish(default_name, |name| {
            Check::new_async(name, move || std::future::ready(latest.borrow().clone()))
        })
    }
}

common_builder!(UpstreamCheck, "upstream <target>");
