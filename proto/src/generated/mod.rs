//! Checked-in output of tonic-prost-build, cut into the messages and the
//! feature-gated client and server stubs; regenerate with
//! `REGENERATE=1 cargo test -p tests --test integration codegen`.

#[rustfmt::skip]
#[allow(missing_docs, unreachable_pub, clippy::all, clippy::pedantic, rust_2018_idioms, missing_debug_implementations, rustdoc::bare_urls)]
pub mod grpc_health_v1 {
    include!("grpc.health.v1.messages.rs");
    #[cfg(feature = "client")]
    include!("grpc.health.v1.client.rs");
    #[cfg(feature = "server")]
    include!("grpc.health.v1.server.rs");
}
