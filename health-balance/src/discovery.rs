//! Where the backends come from: a target resolved once (IP literals) or
//! again and again (names: periodically, and soon after a connection
//! failure), or the application's own stream of [`Change`]s.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::sync::Notify;
use tokio_stream::{Stream, StreamExt};

use crate::resolve::Resolve;
use crate::table::Shared;
use crate::target::Target;

/// One change to the set of backends, from the application's own discovery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A backend to add (no-op if known). It takes traffic after its first SERVING.
    Insert(SocketAddr),
    /// A backend to remove: it takes no new RPC at once; RPCs in flight on
    /// it finish.
    Remove(SocketAddr),
}

/// A boxed stream of changes.
pub(crate) type Changes = Pin<Box<dyn Stream<Item = Change> + Send>>;

/// How often names are resolved, and how soon after a connection failure.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Resolution {
    pub(crate) interval: Duration,
    pub(crate) after_failure: Duration,
}

/// Resolves `target` into the table until the table is gone; once only for
/// a list of IP literals.
pub(crate) async fn resolve_loop(
    shared: Weak<Shared>,
    notify: Arc<Notify>,
    target: Target,
    resolution: Resolution,
    resolver: Arc<dyn Resolve>,
) {
    loop {
        let result = resolve(&target, resolver.as_ref()).await;
        {
            let Some(shared) = shared.upgrade() else {
                return;
            };
            match result {
                Ok(addrs) => shared.set_addresses(&addrs),
                Err(error) => shared.set_discovery_error(error),
            }
        }
        if target.is_static() {
            return;
        }
        tokio::select! {
            () = tokio::time::sleep(resolution.interval) => {}
            () = notify.notified() => tokio::time::sleep(resolution.after_failure).await,
        }
    }
}

/// Every address of every `host:port`, with the name it was found under.
async fn resolve(
    target: &Target,
    resolver: &dyn Resolve,
) -> Result<BTreeMap<SocketAddr, Option<String>>, String> {
    let mut addrs = BTreeMap::new();
    for host in &target.hosts {
        if let Some(addr) = host.literal() {
            addrs.entry(addr).or_insert(None);
            continue;
        }
        let found = resolver
            .resolve(&host.host, host.port)
            .await
            .map_err(|error| format!("cannot resolve {host}: {error}"))?;
        for addr in found {
            addrs.entry(addr).or_insert_with(|| Some(host.host.clone()));
        }
    }
    Ok(addrs)
}

/// Applies the application's changes until its stream or the table ends.
pub(crate) async fn follow_changes(shared: Weak<Shared>, mut changes: Changes) {
    while let Some(change) = changes.next().await {
        let Some(shared) = shared.upgrade() else {
            return;
        };
        match change {
            Change::Insert(addr) => shared.insert(addr, None),
            Change::Remove(addr) => shared.remove(addr),
        }
    }
}
