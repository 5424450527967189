#![doc = include_str!("../README.md")]
// docs.rs (`--cfg docsrs`, nightly) marks each feature-gated item with its feature.
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(any(feature = "client", feature = "server"))]
mod codec;
mod generated;
pub mod pb;

/// A service's health, as sent on the wire.
pub use pb::health_check_response::ServingStatus;
