//! The balanced channel: a cloneable `tower::Service` that any tonic
//! generated client takes, sending each RPC to a healthy backend.

use std::future::Future;
use std::hash::{BuildHasher, RandomState};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};

use tokio::sync::watch;
use tokio::time::Instant;
use tonic::Status;
use tonic::body::Body;
use tower::{Service, ServiceExt};

use crate::deadline::grpc_timeout;
use crate::settings::Policy;
use crate::state::Snapshot;
use crate::table::{Backend, Shared};

/// The error a [`Balanced`] call fails with: the backend connection's
/// transport error (a refusal of service is an UNAVAILABLE response instead).
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The response future of [`Balanced`].
pub type ResponseFuture =
    Pin<Box<dyn Future<Output = Result<http::Response<Body>, BoxError>> + Send>>;

/// Which backend answered an RPC: found in the extensions of every response
/// a [`Balanced`] channel returns (`tonic::Response::extensions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ServedBy(pub SocketAddr);

/// A health-aware balanced channel: a drop-in for tonic's `Channel` in any
/// generated client. Cheap to clone; clones share the backends. Dropping the
/// last clone stops discovery and every Watch.
#[derive(Debug, Clone)]
pub struct Balanced {
    pub(crate) shared: Arc<Shared>,
    picker: Arc<Picker>,
}

impl Balanced {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Self {
            shared,
            picker: Arc::new(Picker::default()),
        }
    }

    /// Every known backend and its state, now.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot::clone(&self.shared.published.borrow().snapshot)
    }

    /// A receiver of every new [`Snapshot`]: `wait_for` on it waits for a
    /// state without polling.
    pub fn watch_snapshot(&self) -> watch::Receiver<Arc<Snapshot>> {
        self.shared.snapshot.subscribe()
    }

    async fn dispatch(
        self,
        request: http::Request<Body>,
    ) -> Result<http::Response<Body>, BoxError> {
        let backend = match self.pick() {
            Some(backend) => backend,
            None => {
                let wait =
                    grpc_timeout(request.headers()).unwrap_or(self.shared.settings.no_backend_wait);
                match self.wait_for_backend(Instant::now() + wait).await {
                    Some(backend) => backend,
                    None => {
                        let snapshot = self.shared.snapshot.borrow().clone();
                        let message = snapshot.no_backend_message(&self.shared.settings.service);
                        return Ok(Status::unavailable(message).into_http());
                    }
                }
            }
        };
        let _in_flight = InFlight::new(&backend);
        match backend.channel.clone().oneshot(request).await {
            Ok(mut response) => {
                response.extensions_mut().insert(ServedBy(backend.addr));
                Ok(response)
            }
            Err(error) => {
                self.shared
                    .connection_failed(backend.addr, &error.to_string());
                Err(error.into())
            }
        }
    }

    /// Waits until a backend is healthy, or `deadline`.
    async fn wait_for_backend(&self, deadline: Instant) -> Option<Arc<Backend>> {
        let mut published = self.shared.published.subscribe();
        loop {
            let healthy = published.wait_for(|published| !published.ready.is_empty());
            if tokio::time::timeout_at(deadline, healthy).await.is_err() {
                return None;
            }
            // Another change may have emptied the set again: then wait on.
            if let Some(backend) = self.pick() {
                return Some(backend);
            }
        }
    }

    fn pick(&self) -> Option<Arc<Backend>> {
        let published = self.shared.published.borrow();
        self.picker
            .pick(self.shared.settings.policy, &published.ready)
            .cloned()
    }
}

impl Service<http::Request<Body>> for Balanced {
    type Response = http::Response<Body>;
    type Error = BoxError;
    type Future = ResponseFuture;

    /// Always ready: a call without a healthy backend waits inside its future.
    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        Box::pin(self.clone().dispatch(request))
    }
}

/// Counts an RPC as in flight on its backend until dropped.
struct InFlight<'a>(&'a Backend);

impl<'a> InFlight<'a> {
    fn new(backend: &'a Backend) -> Self {
        backend.in_flight.fetch_add(1, Ordering::Relaxed);
        Self(backend)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The policy's choice among healthy backends: lock-free, shared by clones.
#[derive(Debug)]
struct Picker {
    next: AtomicUsize,
    random: AtomicU64,
}

impl Default for Picker {
    fn default() -> Self {
        Self {
            next: AtomicUsize::new(0),
            random: AtomicU64::new(RandomState::new().hash_one(0_u8)),
        }
    }
}

impl Picker {
    fn pick<'a>(&self, policy: Policy, ready: &'a [Arc<Backend>]) -> Option<&'a Arc<Backend>> {
        let count = ready.len();
        if count <= 1 {
            return ready.first();
        }
        match policy {
            Policy::RoundRobin => ready.get(self.next.fetch_add(1, Ordering::Relaxed) % count),
            Policy::PowerOfTwoChoices => {
                let random = self.random();
                let first = (random % count as u64) as usize;
                // A second, different backend.
                let offset = 1 + ((random >> 32) % (count as u64 - 1)) as usize;
                let second = (first + offset) % count;
                let (a, b) = (&ready[first], &ready[second]);
                let load = |backend: &Backend| backend.in_flight.load(Ordering::Relaxed);
                Some(if load(b) < load(a) { b } else { a })
            }
        }
    }

    /// SplitMix64 over a shared counter: uniform enough to pick two backends.
    fn random(&self) -> u64 {
        let mut z = self
            .random
            .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
            .wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use tonic::transport::Endpoint;

    use super::*;

    fn backends(loads: &[usize]) -> Vec<Arc<Backend>> {
        loads
            .iter()
            .enumerate()
            .map(|(port, &load)| {
                Arc::new(Backend {
                    addr: SocketAddr::from(([127, 0, 0, 1], port as u16 + 1)),
                    channel: Endpoint::from_static("http://127.0.0.1:1").connect_lazy(),
                    in_flight: AtomicUsize::new(load),
                })
            })
            .collect()
    }

    fn counts(policy: Policy, ready: &[Arc<Backend>], picks: usize) -> BTreeMap<u16, usize> {
        let picker = Picker::default();
        let mut counts = BTreeMap::new();
        for _ in 0..picks {
            let backend = picker.pick(policy, ready).expect("a backend");
            *counts.entry(backend.addr.port()).or_default() += 1;
        }
        counts
    }

    #[tokio::test]
    async fn power_of_two_choices_never_picks_the_busier_of_two() {
        let ready = backends(&[5, 0]);
        let counts = counts(Policy::PowerOfTwoChoices, &ready, 100);
        assert_eq!(counts, BTreeMap::from([(2, 100)]));
    }

    #[tokio::test]
    async fn power_of_two_choices_spreads_equal_loads_and_avoids_the_busiest() {
        let ready = backends(&[0, 0, 0, 9]);
        let counts = counts(Policy::PowerOfTwoChoices, &ready, 3000);
        // The busiest loses every pair it is in, so it is never picked; the
        // others each win about a third (a pair of equals picks either).
        assert_eq!(counts.get(&4), None, "{counts:?}");
        for port in 1..=3 {
            let share = counts.get(&port).copied().unwrap_or(0);
            assert!((700..=1300).contains(&share), "{counts:?}");
        }
    }

    #[tokio::test]
    async fn round_robin_takes_turns_whatever_the_load() {
        let ready = backends(&[9, 0, 0]);
        let counts = counts(Policy::RoundRobin, &ready, 300);
        assert_eq!(counts, BTreeMap::from([(1, 100), (2, 100), (3, 100)]));
    }

    #[tokio::test]
    async fn with_no_backend_nothing_is_picked_and_one_is_always_picked() {
        let picker = Picker::default();
        assert!(picker.pick(Policy::PowerOfTwoChoices, &[]).is_none());
        let one = backends(&[3]);
        assert_eq!(
            picker.pick(Policy::PowerOfTwoChoices, &one).map(|b| b.addr),
            Some(one[0].addr)
        );
    }
}
