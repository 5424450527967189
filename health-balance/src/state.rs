//! What the balancer knows about each backend: its state, the snapshot the
//! application can read, and the summary an UNAVAILABLE error carries.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;

/// A backend's state, as its health Watch reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BackendState {
    /// Known, but no Watch answer yet (connecting, or retrying the Watch).
    /// Takes no traffic: A17 sends nothing before the first SERVING.
    Connecting,
    /// The last Watch message said SERVING: takes traffic.
    Serving,
    /// The server has no health service (Watch answered UNIMPLEMENTED): it
    /// counts as healthy and takes traffic, as A17 prescribes.
    NoHealthService,
    /// The last Watch message said NOT_SERVING (or UNKNOWN): no traffic.
    NotServing,
    /// The last Watch message said SERVICE_UNKNOWN: the server does not know
    /// the configured service name. No traffic.
    ServiceUnknown,
    /// The connection failed or was lost: no traffic until a new Watch says
    /// SERVING.
    Unreachable,
    /// The Watch failed with another error (a server-side status): no
    /// traffic; retried with exponential backoff.
    WatchFailed,
}

impl BackendState {
    /// Every state.
    pub const ALL: [Self; 7] = [
        Self::Connecting,
        Self::Serving,
        Self::NoHealthService,
        Self::NotServing,
        Self::ServiceUnknown,
        Self::Unreachable,
        Self::WatchFailed,
    ];

    /// Whether RPCs may be sent to a backend in this state.
    pub const fn takes_traffic(self) -> bool {
        matches!(self, Self::Serving | Self::NoHealthService)
    }

    /// How the state reads in logs and error messages.
    pub const fn label(self) -> &'static str {
        match self {
            Self::Connecting => "connecting",
            Self::Serving => "SERVING",
            Self::NoHealthService => "no health service",
            Self::NotServing => "NOT_SERVING",
            Self::ServiceUnknown => "SERVICE_UNKNOWN",
            Self::Unreachable => "unreachable",
            Self::WatchFailed => "Watch failing",
        }
    }
}

impl fmt::Display for BackendState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One backend in a [`Snapshot`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendSnapshot {
    /// The address RPCs go to.
    pub addr: SocketAddr,
    /// The DNS name it was found under, if any.
    pub name: Option<String>,
    /// Its state.
    pub state: BackendState,
    /// Why it is in that state, when that is not obvious (an error message).
    pub detail: Option<String>,
}

/// Every known backend and its state, at one instant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// The backends, ordered by address.
    pub backends: Vec<BackendSnapshot>,
    /// The last discovery error (a DNS name that did not resolve), if the
    /// last attempt failed. The previous backends are kept meanwhile.
    pub discovery_error: Option<String>,
}

impl Snapshot {
    /// The state of the backend at `addr`, if it is known.
    pub fn state_of(&self, addr: SocketAddr) -> Option<BackendState> {
        self.backends
            .iter()
            .find(|backend| backend.addr == addr)
            .map(|backend| backend.state)
    }

    /// How many backends take traffic.
    pub fn healthy(&self) -> usize {
        self.backends
            .iter()
            .filter(|backend| backend.state.takes_traffic())
            .count()
    }

    /// Why no RPC can be sent: `no backend SERVING for "svc" (3 known: 2
    /// NOT_SERVING, 1 unreachable)`.
    pub(crate) fn no_backend_message(&self, service: &str) -> String {
        let mut counts = BTreeMap::<BackendState, usize>::new();
        for backend in &self.backends {
            *counts.entry(backend.state).or_default() += 1;
        }
        let known = self.backends.len();
        let mut why = counts
            .iter()
            .map(|(state, count)| format!("{count} {state}"))
            .collect::<Vec<_>>()
            .join(", ");
        if known == 0 {
            why = match &self.discovery_error {
                Some(error) => error.clone(),
                None => "the target has no address yet".to_owned(),
            };
        }
        format!("no backend SERVING for {service:?} ({known} known: {why})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backend(port: u16, state: BackendState) -> BackendSnapshot {
        BackendSnapshot {
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            name: None,
            state,
            detail: None,
        }
    }

    #[test]
    fn the_message_counts_backends_by_state() {
        let snapshot = Snapshot {
            backends: vec![
                backend(1, BackendState::NotServing),
                backend(2, BackendState::Unreachable),
                backend(3, BackendState::NotServing),
            ],
            discovery_error: None,
        };
        assert_eq!(
            snapshot.no_backend_message("svc"),
            r#"no backend SERVING for "svc" (3 known: 2 NOT_SERVING, 1 unreachable)"#
        );
    }

    #[test]
    fn with_no_backend_the_message_says_why() {
        let snapshot = Snapshot {
            backends: vec![],
            discovery_error: Some("cannot resolve nowhere.invalid: failed".to_owned()),
        };
        assert_eq!(
            snapshot.no_backend_message(""),
            r#"no backend SERVING for "" (0 known: cannot resolve nowhere.invalid: failed)"#
        );
    }
}
