//! Run with `bare-client 127.0.0.1:50051`
//!
//! The floor of our stack: a health probe with nothing but tonic's channel and
//! grpc-health-proto's generated `pb` client. No flags, no TLS, no timeouts: it asks
//! `Check("")` of the address in `argv[1]` and exits 0 when the answer is
//! SERVING, 2 when it cannot connect or the call fails, 4 otherwise.
//!
//! The bench builds it exactly like grpc-probe (`--profile probe`) and times
//! both in the same run, so `probe_vs_bare` is what grpc-probe's extra features
//! cost. `bare-tls-client` is the same with the probe's TLS stack compiled in.

use std::process::ExitCode;

#[path = "../bare/mod.rs"]
mod bare;

fn main() -> ExitCode {
    bare::main("bare-client", |args| match args {
        [addr] => bare::plaintext(addr),
        _ => Err(String::from("HOST:PORT")),
    })
}
