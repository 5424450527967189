//! The backends of one balanced channel: each with its own connection and
//! Watch task, its state, and the two views published on every change (the
//! healthy set RPCs pick from, and the [`Snapshot`] the application reads).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use grpc_health_proto::pb::HealthCheckRequest;
use grpc_health_proto::pb::health_client::HealthClient;
use tokio::sync::{Notify, watch};
use tokio::task::AbortHandle;
use tonic::transport::Channel;

use crate::health::watch_loop;
use crate::settings::Settings;
use crate::state::{BackendSnapshot, BackendState, Snapshot};

/// One backend's connection and its load.
#[derive(Debug)]
pub(crate) struct Backend {
    pub(crate) addr: SocketAddr,
    pub(crate) channel: Channel,
    /// RPCs sent and not yet answered (the load p2c compares).
    pub(crate) in_flight: AtomicUsize,
}

/// The backends that take traffic.
pub(crate) type Ready = Arc<[Arc<Backend>]>;

/// What every change publishes in one step: the backends that take traffic
/// and the snapshot of all of them, so that whoever sees a backend picked
/// also sees it SERVING in [`Balanced::snapshot`](crate::Balanced::snapshot)
/// (two channels published one after the other left a window between them).
#[derive(Debug, Clone)]
pub(crate) struct Published {
    pub(crate) ready: Ready,
    pub(crate) snapshot: Arc<Snapshot>,
}

#[derive(Debug)]
struct Entry {
    /// Tells a report of this entry's Watch from one of a removed namesake.
    id: u64,
    backend: Arc<Backend>,
    name: Option<String>,
    state: BackendState,
    detail: Option<String>,
    watch: AbortHandle,
    unimplemented_logged: bool,
}

#[derive(Debug, Default)]
struct Table {
    entries: BTreeMap<SocketAddr, Entry>,
    next_id: u64,
    discovery_error: Option<String>,
    discovery: Vec<AbortHandle>,
}

/// The table and its published views; the Watch and discovery tasks hold it
/// weakly, so it (and they) end when the last channel clone is dropped.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) settings: Settings,
    table: Mutex<Table>,
    pub(crate) published: watch::Sender<Published>,
    /// The snapshots again, for [`Balanced::watch_snapshot`](crate::Balanced::watch_snapshot)
    /// subscribers; sent after `published`, so a subscriber woken by a change
    /// finds the traffic already following it.
    pub(crate) snapshot: watch::Sender<Arc<Snapshot>>,
    /// Wakes DNS re-resolution after a connection failure.
    pub(crate) resolve_now: Arc<Notify>,
}

impl Shared {
    pub(crate) fn new(settings: Settings) -> Self {
        Self {
            settings,
            table: Mutex::default(),
            published: watch::Sender::new(Published {
                ready: Arc::from([]),
                snapshot: Arc::default(),
            }),
            snapshot: watch::Sender::new(Arc::default()),
            resolve_now: Arc::default(),
        }
    }

    fn table(&self) -> MutexGuard<'_, Table> {
        // A panic while holding the lock leaves the table consistent (every
        // change is one insert, remove or field write), so keep using it.
        self.table
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Keeps a discovery task's handle, to stop it with the channel.
    pub(crate) fn add_discovery_task(&self, task: AbortHandle) {
        self.table().discovery.push(task);
    }

    /// Adds a backend (no-op if known): it takes traffic after its first SERVING.
    pub(crate) fn insert(self: &Arc<Self>, addr: SocketAddr, name: Option<String>) {
        let mut table = self.table();
        if table.entries.contains_key(&addr) {
            return;
        }
        let endpoint = match self.settings.endpoint(addr, name.as_deref()) {
            Ok(endpoint) => endpoint,
            Err(error) => {
                tracing::error!(backend = %addr, %error, "cannot configure a connection to the backend");
                return;
            }
        };
        let backend = Arc::new(Backend {
            addr,
            channel: endpoint.connect_lazy(),
            in_flight: AtomicUsize::new(0),
        });
        table.next_id += 1;
        let id = table.next_id;
        let watch = self.spawn_watch(&backend, id);
        tracing::info!(backend = %addr, service = %self.settings.service, "backend added");
        self.settings
            .record_transition(addr, None, BackendState::Connecting);
        table.entries.insert(
            addr,
            Entry {
                id,
                backend,
                name,
                state: BackendState::Connecting,
                detail: None,
                watch,
                unimplemented_logged: false,
            },
        );
        self.publish(&table);
    }

    /// Removes a backend at once from the healthy set; RPCs in flight on it
    /// finish, since each holds its own handle on the connection.
    pub(crate) fn remove(&self, addr: SocketAddr) {
        let mut table = self.table();
        if let Some(entry) = table.entries.remove(&addr) {
            entry.watch.abort();
            tracing::info!(backend = %addr, service = %self.settings.service, "backend removed");
            self.settings.record_removal(addr);
            self.publish(&table);
        }
    }

    /// Makes the backends exactly `addrs` (a discovery result).
    pub(crate) fn set_addresses(self: &Arc<Self>, addrs: &BTreeMap<SocketAddr, Option<String>>) {
        let gone: Vec<SocketAddr> = {
            let mut table = self.table();
            if table.discovery_error.take().is_some() {
                self.publish(&table);
            }
            table
                .entries
                .keys()
                .filter(|addr| !addrs.contains_key(addr))
                .copied()
                .collect()
        };
        for addr in gone {
            self.remove(addr);
        }
        for (addr, name) in addrs {
            self.insert(*addr, name.clone());
        }
    }

    /// Records a failed discovery; the known backends stay.
    pub(crate) fn set_discovery_error(&self, error: String) {
        tracing::warn!(%error, "discovery failed; keeping the known backends");
        let mut table = self.table();
        table.discovery_error = Some(error);
        self.publish(&table);
    }

    /// An RPC on `addr` failed in the transport (its connection is lost or
    /// cannot be made): re-resolve DNS soon, take the backend out at once
    /// without waiting for its Watch to fail too, and check it again from
    /// the start, so it takes traffic again after a new SERVING. A backend
    /// already out is left to its Watch.
    pub(crate) fn connection_failed(self: &Arc<Self>, addr: SocketAddr, error: &str) {
        self.resolve_now.notify_one();
        let mut table = self.table();
        let next_id = table.next_id + 1;
        let Some(entry) = table.entries.get_mut(&addr) else {
            return;
        };
        if !entry.state.takes_traffic() {
            return;
        }
        entry.watch.abort();
        entry.id = next_id;
        entry.watch = self.spawn_watch(&entry.backend, next_id);
        table.next_id = next_id;
        self.report_locked(
            &mut table,
            addr,
            next_id,
            BackendState::Unreachable,
            Some(format!("an RPC failed in the transport: {error}")),
        );
    }

    fn spawn_watch(self: &Arc<Self>, backend: &Backend, id: u64) -> AbortHandle {
        let shared = Arc::downgrade(self);
        let client = HealthClient::new(backend.channel.clone());
        let request = HealthCheckRequest {
            service: self.settings.service.clone(),
        };
        let backoff = self.settings.backoff;
        let addr = backend.addr;
        let open = move || {
            let (mut client, request) = (client.clone(), request.clone());
            async move { client.watch(request).await.map(tonic::Response::into_inner) }
        };
        let report = move |state, detail| report(&shared, addr, id, state, detail);
        tokio::spawn(watch_loop(backoff, open, report)).abort_handle()
    }

    fn report_locked(
        &self,
        table: &mut Table,
        addr: SocketAddr,
        id: u64,
        state: BackendState,
        detail: Option<String>,
    ) {
        let service = &self.settings.service;
        let Some(entry) = table.entries.get_mut(&addr).filter(|entry| entry.id == id) else {
            return;
        };
        if entry.state == state && entry.detail == detail {
            return;
        }
        if state == BackendState::NoHealthService && !entry.unimplemented_logged {
            entry.unimplemented_logged = true;
            tracing::error!(
                backend = %addr, %service,
                "the backend has no health service (Watch is UNIMPLEMENTED): health checking \
                 is disabled for it and it counts as healthy"
            );
        }
        if entry.state != state {
            self.settings
                .record_transition(addr, Some(entry.state), state);
            tracing::info!(
                backend = %addr, %service, from = %entry.state, to = %state,
                detail = detail.as_deref().unwrap_or(""),
                "backend state changed"
            );
        }
        entry.state = state;
        entry.detail = detail;
        self.publish(table);
    }

    fn publish(&self, table: &Table) {
        let ready: Ready = table
            .entries
            .values()
            .filter(|entry| entry.state.takes_traffic())
            .map(|entry| entry.backend.clone())
            .collect();
        let backends = table
            .entries
            .values()
            .map(|entry| BackendSnapshot {
                addr: entry.backend.addr,
                name: entry.name.clone(),
                state: entry.state,
                detail: entry.detail.clone(),
            })
            .collect();
        let snapshot = Arc::new(Snapshot {
            backends,
            discovery_error: table.discovery_error.clone(),
        });
        self.published.send_replace(Published {
            ready,
            snapshot: snapshot.clone(),
        });
        self.snapshot.send_replace(snapshot);
    }
}

/// A Watch task's report: ignored once the channel or the backend is gone.
fn report(
    shared: &Weak<Shared>,
    addr: SocketAddr,
    id: u64,
    state: BackendState,
    detail: Option<String>,
) {
    if let Some(shared) = shared.upgrade() {
        let mut table = shared.table();
        shared.report_locked(&mut table, addr, id, state, detail);
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        let table = self.table();
        for entry in table.entries.values() {
            entry.watch.abort();
        }
        for task in &table.discovery {
            task.abort();
        }
    }
}
