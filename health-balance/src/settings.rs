//! What every backend of one balanced channel shares: the health service
//! name, the balancing policy, waits and backoff, and how its connection
//! (TLS, SNI, `:authority`, the user's endpoint options) is made.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

#[cfg(feature = "tls")]
use tonic::transport::ClientTlsConfig;
use tonic::transport::Endpoint;

use crate::backoff::Backoff;

/// How an RPC picks among the healthy backends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Policy {
    /// Power of two choices: two healthy backends at random, the one with
    /// fewer RPCs in flight wins (tower's `p2c` with pending-request load).
    #[default]
    PowerOfTwoChoices,
    /// Each RPC goes to the next healthy backend in turn.
    RoundRobin,
}

/// A user hook applied to every backend's [`Endpoint`] last.
pub(crate) type EndpointHook = Arc<dyn Fn(Endpoint) -> Endpoint + Send + Sync>;

/// Settings shared by every backend.
#[derive(Clone)]
pub(crate) struct Settings {
    pub(crate) service: String,
    pub(crate) policy: Policy,
    pub(crate) no_backend_wait: Duration,
    pub(crate) backoff: Backoff,
    pub(crate) connect_timeout: Duration,
    pub(crate) server_name: Option<String>,
    #[cfg(feature = "tls")]
    pub(crate) tls: Option<ClientTlsConfig>,
    pub(crate) endpoint_hook: Option<EndpointHook>,
    #[cfg(feature = "metrics")]
    pub(crate) metrics: Option<crate::metrics::Metrics>,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Settings");
        debug
            .field("service", &self.service)
            .field("policy", &self.policy)
            .field("no_backend_wait", &self.no_backend_wait)
            .field("backoff", &self.backoff)
            .field("connect_timeout", &self.connect_timeout)
            .field("server_name", &self.server_name);
        #[cfg(feature = "tls")]
        debug.field("tls", &self.tls.is_some());
        #[cfg(feature = "metrics")]
        debug.field("metrics", &self.metrics.is_some());
        debug
            .field("endpoint_hook", &self.endpoint_hook.is_some())
            .finish()
    }
}

impl Settings {
    /// The endpoint of the backend at `addr`, found under the DNS name `name`
    /// (if any): that name (or the builder's server name) becomes the TLS SNI
    /// and the `:authority` of every request.
    pub(crate) fn endpoint(
        &self,
        addr: SocketAddr,
        name: Option<&str>,
    ) -> Result<Endpoint, tonic::transport::Error> {
        let name = self.server_name.as_deref().or(name);
        let scheme = if self.tls_enabled() { "https" } else { "http" };
        let mut endpoint = Endpoint::from_shared(format!("{scheme}://{addr}"))?
            .connect_timeout(self.connect_timeout);
        if let Some(name) = name {
            // Parsed by tonic, so that a bad name fails with tonic's error.
            let origin = Endpoint::from_shared(format!("{scheme}://{name}:{}", addr.port()))?;
            endpoint = endpoint.origin(origin.uri().clone());
        }
        #[cfg(feature = "tls")]
        if let Some(tls) = &self.tls {
            let tls = match name {
                Some(name) => tls.clone().domain_name(name),
                None => tls.clone(),
            };
            endpoint = endpoint.tls_config(tls)?;
        }
        if let Some(hook) = &self.endpoint_hook {
            endpoint = hook(endpoint);
        }
        Ok(endpoint)
    }

    /// Records a state change in the metrics, if the application asked for them.
    pub(crate) fn record_transition(
        &self,
        addr: SocketAddr,
        from: Option<crate::state::BackendState>,
        to: crate::state::BackendState,
    ) {
        #[cfg(feature = "metrics")]
        if let Some(metrics) = &self.metrics {
            metrics.transition(addr, from, to);
        }
        #[cfg(not(feature = "metrics"))]
        let _ = (addr, from, to);
    }

    /// Drops a removed backend's series, if there are metrics.
    pub(crate) fn record_removal(&self, addr: SocketAddr) {
        #[cfg(feature = "metrics")]
        if let Some(metrics) = &self.metrics {
            metrics.remove(addr);
        }
        #[cfg(not(feature = "metrics"))]
        let _ = addr;
    }

    fn tls_enabled(&self) -> bool {
        #[cfg(feature = "tls")]
        return self.tls.is_some();
        #[cfg(not(feature = "tls"))]
        return false;
    }
}
