//! Feature `http`: passes when a GET answers an expected status (and, if asked,
//! a body containing a substring), over plain HTTP or HTTPS with rustls.
//!
//! The client (hyper-util's pooling client with hyper-rustls, ring, HTTP/1.1)
//! is built once per check and reused, so a healthy dependency sees one kept-alive
//! connection rather than a new handshake every interval. HTTPS trusts the
//! system's root certificates unless [`HttpCheck::tls_config`] says otherwise.
//!
//! Failure reasons: `GET http://127.0.0.1:8080/healthz failed: client error (Connect): tcp connect error: Connection refused (os error 111)`,
//! `GET http://127.0.0.1:8080/healthz answered 503 Service Unavailable, expected 200-299`,
//! `GET http://127.0.0.1:8080/healthz answered 200 OK but the body lacks "ok"`.

use std::fmt;
use std::ops::RangeInclusive;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Uri};
use http_body_util::{BodyExt, Empty, Limited};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use rustls::ClientConfig;

use super::{Common, common_builder};
use grpc_health_checks::Check;
use grpc_health_checks::error_reason;

/// The most of a body read to look for [`HttpCheck::body_contains`].
pub const BODY_LIMIT: usize = 64 * 1024;

type HttpClient = Client<HttpsConnector<HttpConnector>, Empty<Bytes>>;

/// A readiness check that GETs a URL.
///
/// ```
/// # fn main() -> Result<(), grpc_health_contrib::http::InvalidUrl> {
/// use grpc_health_contrib::http::HttpCheck;
///
/// let check = HttpCheck::new("https://auth.internal/healthz")?.body_contains("ok").into_check();
/// # let _ = check; Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct HttpCheck {
    url: Uri,
    status: RangeInclusive<u16>,
    body_contains: Option<String>,
    tls: Option<ClientConfig>,
    common: Common,
}

/// A URL [`HttpCheck::new`] cannot GET: unparsable, or not `http`/`https`.
#[derive(Debug)]
pub struct InvalidUrl {
    url: String,
    why: String,
}

impl fmt::Display for InvalidUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid URL {:?}: {}", self.url, self.why)
    }
}

impl std::error::Error for InvalidUrl {}

impl HttpCheck {
    /// GETs `url` (`http://` or `https://`), expecting a 2xx status by default.
    ///
    /// # Errors
    ///
    /// [`InvalidUrl`] if `url` does not parse or has another scheme.
    pub fn new(url: &str) -> Result<Self, InvalidUrl> {
        let invalid = |why: String| InvalidUrl {
            url: url.to_owned(),
            why,
        };
        let parsed: Uri = url.parse().map_err(|error| invalid(format!("{error}")))?;
        match parsed.scheme_str() {
            Some("http" | "https") if parsed.host().is_some() => {}
            _ => {
                return Err(invalid(
                    "expected http://HOST/… or https://HOST/…".to_owned(),
                ));
            }
        }
        Ok(Self {
            url: parsed,
            status: 200..=299,
            body_contains: None,
            tls: None,
            common: Common::default(),
        })
    }

    /// The statuses that pass (default `200..=299`).
    #[must_use]
    pub fn expect_status(mut self, status: RangeInclusive<u16>) -> Self {
        self.status = status;
        self
    }

    /// Passes only if the body's first [`BODY_LIMIT`] bytes contain `text`.
    #[must_use]
    pub fn body_contains(mut self, text: impl Into<String>) -> Self {
        self.body_contains = Some(text.into());
        self
    }

    /// The rustls configuration for HTTPS (default: the system's root
    /// certificates, ring, TLS 1.2 and 1.3), e.g. to trust a private CA.
    #[must_use]
    pub fn tls_config(mut self, config: ClientConfig) -> Self {
        self.tls = Some(config);
        self
    }

    /// The [`Check`], in [`Group::Readiness`](grpc_health_checks::Group::Readiness).
    pub fn into_check(self) -> Check {
        let tls = self.tls.unwrap_or_else(system_roots);
        let connector = HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .build();
        let client = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .build(connector);
        let probe = Arc::new(Probe {
            client,
            url: self.url,
            status: self.status,
            body_contains: self.body_contains,
            wait: self.common.wait(),
        });
        let default_name = format!("GET {}", probe.url);
        self.common.finish(default_name, |name| {
            Check::new_async(name, move || probe.clone().get())
        })
    }
}

common_builder!(HttpCheck, "GET <url>");

/// What one run needs, shared by every run.
struct Probe {
    client: HttpClient,
    url: Uri,
    status: RangeInclusive<u16>,
    body_contains: Option<String>,
    wait: Duration,
}

impl Probe {
    async fn get(self: Arc<Self>) -> Result<(), String> {
        let url = &self.url;
        let wait = self.wait;
        tokio::time::timeout(wait, self.exchange())
            .await
            .unwrap_or_else(|_| Err(format!("GET {url} failed: no answer within {wait:?}")))
    }

    async fn exchange(&self) -> Result<(), String> {
        let url = &self.url;
        let request = Request::get(url.clone())
            .body(Empty::new())
            .map_err(|error| format!("GET {url} failed: {error}"))?;
        let response = self
            .client
            .request(request)
            .await
            .map_err(|error| format!("GET {url} failed: {}", error_reason(&error)))?;
        let status = response.status();
        // Read the body even when it is not looked at, so that the connection
        // goes back to the pool.
        let body = Limited::new(response.into_body(), BODY_LIMIT)
            .collect()
            .await;
        if !self.status.contains(&status.as_u16()) {
            let (low, high) = (self.status.start(), self.status.end());
            return Err(format!(
                "GET {url} answered {status}, expected {low}-{high}"
            ));
        }
        let Some(wanted) = &self.body_contains else {
            return Ok(());
        };
        let body = body
            .map_err(|error| format!("GET {url} answered {status} but its body failed: {error}"))?
            .to_bytes();
        if contains(&body, wanted.as_bytes()) {
            Ok(())
        } else {
            Err(format!(
                "GET {url} answered {status} but the body lacks {wanted:?}"
            ))
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty()
        || haystack
            .windows(needle.len())
            .any(|window| window == needle)
}

/// rustls with ring, trusting the system's root certificates.
fn system_roots() -> ClientConfig {
    let loaded = rustls_native_certs::load_native_certs();
    let mut roots = rustls::RootCertStore::empty();
    let (added, _unparsable) = roots.add_parsable_certificates(loaded.certs);
    if added == 0 {
        tracing::warn!(
            errors = ?loaded.errors,
            "no system root certificates found: HTTPS checks will fail; set HttpCheck::tls_config"
        );
    }
    ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("ring supports rustls' default protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_without_http_scheme_and_host_are_refused() {
        for url in ["ftp://host/x", "/healthz", "http://", "not a url"] {
            let error = HttpCheck::new(url).expect_err(url);
            assert!(error.to_string().starts_with("invalid URL"), "{error}");
        }
        assert!(HttpCheck::new("https://host:8443/healthz").is_ok());
    }

    #[test]
    fn substring_search() {
        assert!(contains(b"status: ok\n", b"ok"));
        assert!(!contains(b"status: down", b"ok"));
        assert!(contains(b"", b""));
    }
}
