//! Integration tests of health-lib: a real tonic server on `127.0.0.1:0` and a real client.

mod alerts;
mod bad_input;
mod checks;
mod codegen;
mod docs;
mod drain;
mod faults;
mod hostile;
mod http;
mod model;
mod prometheus;
mod protocol;
mod ready_checks;
mod relay;
mod security;
mod watchers;
