//! Prometheus series of the backends (feature `metrics`), registered into a
//! prometheus-client `Registry` the application passes to
//! [`Builder::metrics`](crate::Builder::metrics):
//!
//! - `grpc_health_balance_backend_state{backend, state}`: 1 for the state each
//!   known backend is in, 0 for the states it has left (a removed backend's
//!   series are dropped);
//! - `grpc_health_balance_backend_transitions_total{state}`: state changes, by
//!   the state entered.

use std::net::SocketAddr;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::state::BackendState;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    backend: String,
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TransitionLabels {
    state: &'static str,
}

/// The families, shared with the registry.
#[derive(Clone, Debug, Default)]
pub(crate) struct Metrics {
    state: Family<StateLabels, Gauge>,
    transitions: Family<TransitionLabels, Counter>,
}

impl Metrics {
    /// Creates the families and registers them into `registry`.
    pub(crate) fn register(registry: &mut Registry) -> Self {
        let metrics = Self::default();
        registry.register(
            "grpc_health_balance_backend_state",
            "1 for the state a backend of a balanced channel is in: connecting, SERVING, \
             NOT_SERVING, SERVICE_UNKNOWN, unreachable, Watch failing, no health service",
            metrics.state.clone(),
        );
        registry.register(
            "grpc_health_balance_backend_transitions",
            "Backend state changes, by the state entered",
            metrics.transitions.clone(),
        );
        metrics
    }

    /// `addr` left `from` (none for a new backend) for `to`.
    pub(crate) fn transition(
        &self,
        addr: SocketAddr,
        from: Option<BackendState>,
        to: BackendState,
    ) {
        if let Some(from) = from {
            self.state.get_or_create(&labels(addr, from)).set(0);
        }
        self.state.get_or_create(&labels(addr, to)).set(1);
        self.transitions
            .get_or_create(&TransitionLabels { state: to.label() })
            .inc();
    }

    /// `addr` is gone: its series with it.
    pub(crate) fn remove(&self, addr: SocketAddr) {
        for state in BackendState::ALL {
            self.state.remove(&labels(addr, state));
        }
    }
}

fn labels(addr: SocketAddr, state: BackendState) -> StateLabels {
    StateLabels {
        backend: addr.to_string(),
        state: state.label(),
    }
}

#[cfg(test)]
mod tests {
    use prometheus_client::encoding::text::encode;

    use super::*;

    #[test]
    fn series_follow_the_backend_states() {
        let mut registry = Registry::default();
        let metrics = Metrics::register(&mut registry);
        let addr: SocketAddr = "127.0.0.1:50051".parse().expect("an address");
        metrics.transition(addr, None, BackendState::Connecting);
        metrics.transition(addr, Some(BackendState::Connecting), BackendState::Serving);
        let mut text = String::new();
        encode(&mut text, &registry).expect("encodes");
        for line in [
            r#"grpc_health_balance_backend_state{backend="127.0.0.1:50051",state="SERVING"} 1"#,
            r#"grpc_health_balance_backend_state{backend="127.0.0.1:50051",state="connecting"} 0"#,
            r#"grpc_health_balance_backend_transitions_total{state="SERVING"} 1"#,
        ] {
            assert!(text.contains(line), "{line} missing from:\n{text}");
        }
        metrics.remove(addr);
        let mut text = String::new();
        encode(&mut text, &registry).expect("encodes");
        assert!(!text.contains("127.0.0.1:50051"), "{text}");
    }
}
