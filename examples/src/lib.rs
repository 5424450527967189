//! Shared pieces of the example servers: the greeter, the command-line
//! options every example takes, serving with drain and optional TLS, and the
//! demo's ready-made dependency checks.

pub mod admin;
pub mod dependencies;
pub mod greeter;
pub mod serve;

mod generated;
