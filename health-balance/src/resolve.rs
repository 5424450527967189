//! The seam between DNS discovery and a resolver: [`Resolve`] turns one
//! `host:port` into addresses; [`SystemResolver`] (the default) asks the
//! operating system, and an application or a test can put its own in.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;

/// What [`Resolve::resolve`] returns.
pub type ResolveFuture = Pin<Box<dyn Future<Output = io::Result<Vec<SocketAddr>>> + Send>>;

/// Resolves the names of a target (`dns:///host:port`, or names in a list)
/// each time discovery runs: periodically and soon after a connection
/// failure. The answer is the whole set of backends under that name: an
/// address missing from it is removed (drained: RPCs in flight on it finish).
pub trait Resolve: Send + Sync + 'static {
    /// Every address of `host` (a name, never an IP literal), with `port`.
    fn resolve(&self, host: &str, port: u16) -> ResolveFuture;
}

/// The operating system's resolver (`getaddrinfo`, through Tokio).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemResolver;

impl Resolve for SystemResolver {
    fn resolve(&self, host: &str, port: u16) -> ResolveFuture {
        let host = host.to_owned();
        Box::pin(async move {
            Ok(tokio::net::lookup_host((host.as_str(), port))
                .await?
                .collect())
        })
    }
}
