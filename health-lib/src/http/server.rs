//! Serving [`AdminService`] on a TCP listener with hyper's HTTP/1.1 server.

use std::convert::Infallible;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;

use super::AdminService;

/// The most a request head (request line and headers) may take; hyper's minimum.
const MAX_HEAD_BYTES: usize = 16 * 1024;
/// The pause after a failed accept (e.g. out of file descriptors), so the loop
/// does not spin while the condition lasts.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Serves `service` on every connection `listener` accepts, until the future
/// is dropped; spawn it next to the gRPC server.
///
/// Each connection is HTTP/1.1 with keep-alive, closed when its client takes
/// longer than the header read timeout to send a request's headers.
pub async fn serve(listener: TcpListener, service: AdminService) {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                tracing::warn!(%error, "admin listener cannot accept a connection");
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
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
