//! The metrics layer on real tonic servers and clients over loopback TCP:
//! every RPC kind, codes in headers and trailers, cancellation, the health
//! service left out, unknown methods, and the exposed names pinned.

mod carbon;
mod client;
mod echo;
mod golden;
mod server;
