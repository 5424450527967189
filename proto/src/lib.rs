#![doc = include_str!("../README.md")]
// docs.rs (`--cfg docsrs`, nightly) marks each feature-gated item with its feature.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod code;
#[cfg(any(feature = "client", feature = "server"))]
mod codec;
#[cfg(feature = "messages")]
mod generated;
#[cfg(feature = "messages")]
pub mod pb;

/// A service's health, as sent on the wire.
#[cfg(feature = "messages")]
pub use pb::health_check_response::ServingStatus;
