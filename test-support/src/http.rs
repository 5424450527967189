//! A one-request-per-connection HTTP/1.1 client (hyper) for the admin
//! endpoints, with a hang guard on every exchange.

use std::net::SocketAddr;
use std::time::Duration;

use http_body_util::{BodyExt as _, Empty};
use hyper::body::Bytes;

use crate::HANG_GUARD;

/// One response: status, selected headers and body.
#[derive(Debug)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// The response headers.
    pub headers: http::HeaderMap,
    /// The body, as UTF-8.
    pub body: String,
}

/// Sends one request on a fresh HTTP/1.1 connection with a hyper client.
pub async fn send(addr: SocketAddr, method: &str, target: &str, accept: Option<&str>) -> Answer {
    send_with(addr, method, target, accept, &[]).await
}

/// [`send`] with more request headers (`authorization`, say).
pub async fn send_with(
    addr: SocketAddr,
    method: &str,
    target: &str,
    accept: Option<&str>,
    headers: &[(&str, &str)],
) -> Answer {
    let exchange = async {
        let stream = tokio::net::TcpStream::connect(addr)
            .await
            .expect("admin address accepts connections");
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                .await
                .expect("HTTP/1.1 handshake");
        tokio::spawn(connection);
        let mut request = http::Request::builder()
            .method(method)
            .uri(target)
            .header(http::header::HOST, addr.to_string());
        if let Some(accept) = accept {
            request = request.header(http::header::ACCEPT, accept);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request.body(Empty::<Bytes>::new()).expect("valid request");
        let response = sender.send_request(request).await.expect("a response");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("whole body")
            .to_bytes();
        Answer {
            status,
            headers,
            body: String::from_utf8(body.to_vec()).expect("UTF-8 body"),
        }
    };
    tokio::time::timeout(HANG_GUARD, exchange)
        .await
        .unwrap_or_else(|_| panic!("{method} {target} answered in time"))
}

/// `GET target`.
pub async fn get(addr: SocketAddr, target: &str) -> Answer {
    send(addr, "GET", target, None).await
}

/// Polls `GET target` until it answers `status`, failing after [`HANG_GUARD`].
pub async fn wait_for_status(addr: SocketAddr, target: &str, status: u16) -> Answer {
    wait_for_answer(addr, target, &format!("status {status}"), |answer| {
        answer.status == status
    })
    .await
}

/// Polls `GET target` until its answer meets `condition` (described by
/// `what`), failing after [`HANG_GUARD`].
pub async fn wait_for_answer(
    addr: SocketAddr,
    target: &str,
    what: &str,
    condition: impl Fn(&Answer) -> bool,
) -> Answer {
    let deadline = tokio::time::Instant::now() + HANG_GUARD;
    loop {
        let answer = get(addr, target).await;
        if condition(&answer) {
            return answer;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{target} still answers {} {:?}, not {what}",
            answer.status,
            answer.body
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
