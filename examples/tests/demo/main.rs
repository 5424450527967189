//! The `health-demo` contract, run as a real process: the services it
//! registers, the ready file, TLS and mTLS, the auth exemption, the drain on
//! SIGTERM under load, the monitoring flags, greeter-client riding a rolling
//! drain, and a soak.

mod auth;
mod contract;
mod drain;
mod greeter_client;
mod load;
mod model;
mod monitoring;
mod script;
mod soak;
mod tls;

use test_support::demo::Demo;

/// Starts the demo with `args` and a 20 ms evaluation interval, so that ready
/// file changes show quickly.
fn start_demo(args: &[&str]) -> Demo {
    let mut all = vec!["--interval", "20ms"];
    all.extend_from_slice(args);
    Demo::start(&all)
}
