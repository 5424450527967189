//! Health over plain HTTP on an admin address (feature `admin`), for kubelet's
//! `httpGet` probes, load balancers and people with curl.
//!
//! | endpoint | answer |
//! |---|---|
//! | `GET /livez` | 200 `ok` while the `liveness` health service is SERVING, else 503 `livez check failed` |
//! | `GET /readyz` | the same for `readiness` (`readyz check failed`): 503 from the instant a drain starts, as gRPC goes NOT_SERVING |
//! | `GET /healthz` | the same for `""`, the server's overall health (every check; `healthz check failed`) |
//! | `?verbose` | one `[+]name ok (2.1ms, changed 3m ago)` / `[-]name failed (2.1ms, changed 3m ago): reason withheld` line per check the endpoint covers, with its last run's duration and the age of its last change (format: the crate documentation, "Metrics and HTTP endpoints") (`[-]name degraded: reason withheld` for a failing [optional](crate::Check::optional) check, which leaves the verdict alone), a `shutdown` line that fails while draining, then the verdict, named after the endpoint: `livez check passed`, `readyz check failed`, … (kube-apiserver's format) |
//! | `?exclude=NAME` | leaves a check out of the verdict (repeatable); verbose lists it as `[+]NAME excluded: ok`, and names that match no check get a `warn:` line |
//! | `GET /groupz/GROUP` | the same for a [named group](crate::Group::named) (`liveness` and `readiness` too), its health service `GROUP`: verdict `GROUP check passed` / `GROUP check failed`; the name percent-encoded (`/` as `%2F`); 404 for a group no check belongs to |
//! | `GET /livez/NAME`, `/readyz/NAME`, `/healthz/NAME`, `/groupz/GROUP/NAME` | one check of that endpoint (or `shutdown`): 200 `ok`, or 503 with its `[-]` line (200 with its `degraded` line for an optional check); 404 for a name the endpoint does not have |
//! | `GET /metrics` | with [`AdminService::metrics`] (feature `metrics`): the registry as OpenMetrics text when the client accepts it (Prometheus does), else Prometheus text format 0.0.4 |
//! | `HEAD` on any of these | the same status and headers, no body |
//! | other methods | 405 with `Allow: GET, HEAD` |
//! | any other path | 404 |
//! | a bad query (invalid percent-encoding, unknown parameter) | 400 with a one-line reason |
//! | a path or query above 4 KiB | 414 |
//! | a request head (request line and headers) above 16 KiB | 431 from hyper, before the rest is read: a 64 KiB query gets 431, not 414 |
//!
//! Failure reasons stay off the wire (`reason withheld`) unless
//! [`AdminService::show_details`] turns them on, as Spring Boot's
//! `show-details`: they can name hosts, users or internal errors.
//!
//! [`serve`] serves HTTP/1.1 with a header read timeout (default 10 s, set on
//! the [`Serve`] it returns), so a client that connects and stays silent, or
//! trickles its headers, cannot hold a connection forever. Request bodies are
//! never read. Accepting pauses while it fails, as
//! [`Incoming`](crate::incoming::Incoming) does.

mod details;
mod json;
mod query;
mod reason;
mod report;
mod server;
mod timing;

#[cfg(feature = "metrics")]
mod exposition;

use std::convert::Infallible;
use std::fmt;
use std::future::Ready;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::header::{ALLOW, CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Bytes;

use crate::HealthHandle;
use crate::shared::Shared;

use query::{Format, Plus, Query, QueryError};
use report::Endpoint;

pub use details::{DetailsHook, PeerAddr, ShowDetails};
pub use server::{DEFAULT_HEADER_READ_TIMEOUT, Serve, serve};

/// Longer paths are refused with 414.
const MAX_PATH_BYTES: usize = 4096;
const TEXT: &str = "text/plain; charset=utf-8";
const JSON: &str = "application/json";

/// The response body: the whole answer, in memory.
pub type Body = Full<Bytes>;

/// The admin endpoints as a `tower::Service<http::Request<B>>`, for any
/// hyper- or axum-style server; [`serve`] runs it on a listener.
///
/// ```no_run
/// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use grpc_health_checks::{HealthChecks, admin::AdminService};
///
/// let (health, handle) = HealthChecks::new().build()?;
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8081").await?;
/// let admin = grpc_health_checks::admin::serve(listener, AdminService::new(&handle))
///     .header_read_timeout(Duration::from_secs(5));
/// tokio::spawn(admin);
/// # drop(health); Ok(()) }
/// ```
#[derive(Clone)]
pub struct AdminService {
    shared: Arc<Shared>,
    details: ShowDetails,
    #[cfg(feature = "metrics")]
    metrics: Option<Arc<prometheus_client::registry::Registry>>,
}

impl fmt::Debug for AdminService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdminService")
            .field("details", &self.details)
            .finish_non_exhaustive()
    }
}

impl AdminService {
    /// The endpoints of the health service `handle` controls; reasons withheld,
    /// no `/metrics`.
    pub fn new(handle: &HealthHandle) -> Self {
        Self {
            shared: handle.shared.clone(),
            details: ShowDetails::Never,
            #[cfg(feature = "metrics")]
            metrics: None,
        }
    }

    /// Who sees failure reasons in `?verbose`, per-check and JSON answers
    /// instead of `reason withheld`: `true` ([`ShowDetails::Always`], only
    /// for an admin address that untrusted clients cannot reach), `false`
    /// ([`ShowDetails::Never`], the default), or [`ShowDetails::when`] a
    /// hook allows the request (a bearer token, a source address).
    #[must_use]
    pub fn show_details(mut self, details: impl Into<ShowDetails>) -> Self {
        self.details = details.into();
        self
    }

    /// Serves `registry` on `/metrics`; pass the one given to
    /// [`HealthChecks::metrics`](crate::HealthChecks::metrics).
    #[cfg(feature = "metrics")]
    #[must_use]
    pub fn metrics(mut self, registry: Arc<prometheus_client::registry::Registry>) -> Self {
        self.metrics = Some(registry);
        self
    }

    /// Answers one request. Never reads its body.
    pub fn respond<B>(&self, request: &Request<B>) -> Response<Body> {
        let response = self.route(request);
        if request.method() == Method::HEAD {
            without_body(response)
        } else {
            response
        }
    }

    fn route<B>(&self, request: &Request<B>) -> Response<Body> {
        let uri = request.uri();
        if uri.path().len() > MAX_PATH_BYTES {
            return text(StatusCode::URI_TOO_LONG, "path too long");
        }
        let Some(route) = self.find(uri.path()) else {
            return text(StatusCode::NOT_FOUND, "not found");
        };
        if !matches!(*request.method(), Method::GET | Method::HEAD) {
            let mut response = text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed");
            response
                .headers_mut()
                .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
            return response;
        }
        match route {
            Route::Endpoint(endpoint) => self.endpoint(&endpoint, request),
            Route::Check(endpoint, name) => self.check(&endpoint, name, request),
            Route::NoGroup(name) => text(StatusCode::NOT_FOUND, format!("no group {name:?}")),
            Route::Bad(error) => bad_query(&error),
            #[cfg(feature = "metrics")]
            Route::Metrics(registry) => metrics(registry, request, uri.query()),
        }
    }

    fn find<'a>(&'a self, path: &'a str) -> Option<Route<'a>> {
        #[cfg(feature = "metrics")]
        if path == "/metrics" {
            return self.metrics.as_deref().map(Route::Metrics);
        }
        let path = path.strip_prefix('/')?;
        let (segment, name) = match path.split_once('/') {
            Some((segment, name)) => (segment, Some(name)),
            None => (path, None),
        };
        if segment == Endpoint::GROUPS {
            return name.map(|rest| self.find_group(rest));
        }
        let endpoint = Endpoint::from_segment(segment)?;
        Some(match name {
            None => Route::Endpoint(endpoint),
            Some(name) => Route::Check(endpoint, name),
        })
    }

    /// `/groupz/{rest}`: a group, or one check of it after another `/`.
    fn find_group<'a>(&self, rest: &'a str) -> Route<'a> {
        let (raw_group, check) = match rest.split_once('/') {
            Some((group, check)) => (group, Some(check)),
            None => (rest, None),
        };
        let group = match query::decode(raw_group, Plus::Literal) {
            Ok(group) => group,
            Err(error) => return Route::Bad(error),
        };
        match (Endpoint::group(&self.shared, &group), check) {
            (None, _) => Route::NoGroup(group),
            (Some(endpoint), None) => Route::Endpoint(endpoint),
            (Some(endpoint), Some(check)) => Route::Check(endpoint, check),
        }
    }

    /// Whether `request` sees reasons, and gets JSON (`?format=` first,
    /// then `Accept`).
    fn wants<B>(&self, request: &Request<B>, query: &Query) -> (bool, bool) {
        let details = self.details.allows(request.headers(), request.extensions());
        let json = match query.format {
            Some(format) => format == Format::Json,
            None => accepts_json(request),
        };
        (details, json)
    }

    fn endpoint<B>(&self, endpoint: &Endpoint, request: &Request<B>) -> Response<Body> {
        match Query::parse(request.uri().query()) {
            Ok(query) => {
                let (details, json) = self.wants(request, &query);
                let report = report::endpoint_report(&self.shared, endpoint, &query, details, json);
                verdict(&report)
            }
            Err(error) => bad_query(&error),
        }
    }

    fn check<B>(
        &self,
        endpoint: &Endpoint,
        raw_name: &str,
        request: &Request<B>,
    ) -> Response<Body> {
        let query = match Query::parse(request.uri().query()) {
            Ok(query) if !query.exclude.is_empty() => {
                let error = QueryError::Bad(
                    "exclude applies to a whole endpoint, not to one check".to_owned(),
                );
                return bad_query(&error);
            }
            Ok(query) => query,
            Err(error) => return bad_query(&error),
        };
        let name = match query::decode(raw_name, Plus::Literal) {
            Ok(name) => name,
            Err(error) => return bad_query(&error),
        };
        let (details, json) = self.wants(request, &query);
        match report::check_report(&self.shared, endpoint, &name, query.verbose, details, json) {
            Some(report) => verdict(&report),
            None => text(
                StatusCode::NOT_FOUND,
                format!("no check {name:?} in {}", endpoint.path()),
            ),
        }
    }
}

/// What a path asks for.
enum Route<'a> {
    Endpoint(Endpoint),
    /// One check, by its still percent-encoded name.
    Check(Endpoint, &'a str),
    /// `/groupz/NAME` for a group no check belongs to.
    NoGroup(String),
    /// A path that cannot be decoded.
    Bad(QueryError),
    #[cfg(feature = "metrics")]
    Metrics(&'a prometheus_client::registry::Registry),
}

impl<B> tower::Service<Request<B>> for AdminService {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Ready<Result<Response<Body>, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        std::future::ready(Ok(self.respond(&request)))
    }
}

#[cfg(feature = "metrics")]
fn metrics<B>(
    registry: &prometheus_client::registry::Registry,
    request: &Request<B>,
    raw_query: Option<&str>,
) -> Response<Body> {
    if raw_query.is_some_and(|query| !query.is_empty()) {
        let error = QueryError::Bad("/metrics takes no query parameters".to_owned());
        return bad_query(&error);
    }
    let accept = request
        .headers()
        .get(http::header::ACCEPT)
        .and_then(|value| value.to_str().ok());
    match exposition::encode(registry, accept) {
        Ok((content_type, body)) => {
            let mut response = text(StatusCode::OK, body);
            response
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
            response
        }
        Err(_) => text(
            StatusCode::INTERNAL_SERVER_ERROR,
            "cannot encode the metrics",
        ),
    }
}

fn verdict(report: &report::Report) -> Response<Body> {
    let status = if report.passed {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let mut response = text(status, report.body.clone());
    if report.json {
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static(JSON));
    }
    response
}

/// Whether the client's `Accept` header asks for JSON.
fn accepts_json<B>(request: &Request<B>) -> bool {
    request
        .headers()
        .get_all(http::header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|media| {
            media
                .split(';')
                .next()
                .is_some_and(|media| media.trim().eq_ignore_ascii_case(JSON))
        })
}

fn bad_query(error: &QueryError) -> Response<Body> {
    let status = match error {
        QueryError::TooLong => StatusCode::URI_TOO_LONG,
        QueryError::Bad(_) => StatusCode::BAD_REQUEST,
    };
    text(status, error.to_string())
}

fn text(status: StatusCode, body: impl Into<String>) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::from(body.into())));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(TEXT));
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A HEAD answer: the GET answer's status and headers, its length, no body.
fn without_body(response: Response<Body>) -> Response<Body> {
    let length = hyper::body::Body::size_hint(response.body())
        .exact()
        .unwrap_or_default();
    let (mut parts, _) = response.into_parts();
    parts
        .headers
        .insert(CONTENT_LENGTH, HeaderValue::from(length));
    Response::from_parts(parts, Full::default())
}

#[cfg(test)]
mod tests;
