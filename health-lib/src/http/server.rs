//! Serving [`AdminService`] on a TCP listener with hyper's HTTP/1.1 server.

use std::convert::Infallible;

use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;

use super::AdminService;
use crate::incoming::Incoming;

/// The most a request head (request line and headers) may take; hyper's
/// minimum. A longer head is answered 431 by hyper before it is read whole,
/// so no connection makes the server buffer more.
const MAX_HEAD_BYTES: usize = 16 * 1024;

/// Serves `service` on every connection `listener` accepts, until the future
/// is dropped; spawn it next to the gRPC server.
///
/// Each connection is HTTP/1.1 with keep-alive, closed when its client takes
/// longer than the header read timeout to send a request's headers. Accepting
/// pauses while it fails (out of file descriptors, say), as
/// [`Incoming`] does for the gRPC listener.
pub async fn serve(listener: TcpListener, service: AdminService) {
    let mut incoming = Incoming::new(listener);
    loop {
        let (stream, peer) = incoming.accept().await;
        let service = service.clone();
        tokio::spawn(async move {
            let timeout = service.header_read_timeout;
            let handler = hyper::service::service_fn(move |request| {
                std::future::ready(Ok::<_, Infallible>(service.respond(&request)))
            });
            let result = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(timeout)
                .max_buf_size(MAX_HEAD_BYTES)
                .serve_connection(TokioIo::new(stream), handler)
                .await;
            if let Err(error) = result {
                tracing::debug!(%error, %peer, "admin connection ended with an error");
            }
        });
    }
}
