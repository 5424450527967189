//! Run with `bare-tls-client 127.0.0.1:50051` (plaintext) or
//! `bare-tls-client --tls example.com:443` (TLS, verified against the
//! system's roots).
//!
//! `bare-client` with the probe's TLS stack: rustls with the ring provider,
//! through tokio-rustls (tonic's `tls-ring`), and the system roots through
//! rustls-native-certs, compiled in whether or not a run uses them, as in
//! grpc-probe. The bench times both on plaintext, so `probe_vs_bare_tls`
//! (and the size and RSS ratios beside it) is grpc-probe's own HTTP/2 client
//! against tonic's, with the same TLS code in both binaries.

use std::process::ExitCode;

use tonic::transport::ClientTlsConfig;

#[path = "../bare/mod.rs"]
mod bare;

fn main() -> ExitCode {
    bare::main("bare-tls-client", |args| match args {
        [addr] => bare::plaintext(addr),
        [flag, addr] if flag == "--tls" => {
            tonic::transport::Endpoint::from_shared(format!("https://{addr}"))
                .and_then(|endpoint| {
                    endpoint.tls_config(ClientTlsConfig::new().with_native_roots())
                })
                .map_err(|error| format!("[--tls] HOST:PORT ({error})"))
        }
        _ => Err(String::from("[--tls] HOST:PORT")),
    })
}
