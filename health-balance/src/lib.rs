#![doc = include_str!("../README.md")]

mod backoff;
mod balanced;
mod builder;
mod deadline;
mod discovery;
mod health;
#[cfg(feature = "metrics")]
mod metrics;
mod resolve;
mod settings;
mod state;
mod table;
mod target;

pub use backoff::Backoff;
pub use balanced::{Balanced, BoxError, ResponseFuture, ServedBy};
pub use builder::{
    Builder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_DNS_INTERVAL, DEFAULT_NO_BACKEND_WAIT,
    DEFAULT_RESOLVE_AFTER_FAILURE, Error,
};
pub use discovery::Change;
pub use resolve::{Resolve, ResolveFuture, SystemResolver};
pub use settings::Policy;
pub use state::{BackendSnapshot, BackendState, Snapshot};
