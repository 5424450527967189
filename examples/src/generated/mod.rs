//! Checked-in output of tonic-prost-build for `proto/helloworld/helloworld.proto`.

#[rustfmt::skip]
#[allow(missing_docs, unreachable_pub, clippy::all, clippy::pedantic, rust_2018_idioms, missing_debug_implementations, rustdoc::bare_urls)]
pub mod helloworld {
    include!("helloworld.rs");
}
