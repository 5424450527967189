//! Shared pieces of the example servers: the greeter, the command-line
//! options every example takes, and serving with drain and optional TLS.

pub mod admin;
pub mod greeter;
pub mod serve;

mod generated;
