//! Shared pieces of the example servers: the greeter, the command-line
//! options every example takes, serving with drain and optional TLS, the
//! demo's ready-made dependency checks, its check model (optional checks,
//! named groups), and its RPC metrics and Graphite push.

pub mod admin;
pub mod dependencies;
pub mod flaky;
pub mod greeter;
pub mod model;
pub mod monitoring;
pub mod serve;

mod generated;
