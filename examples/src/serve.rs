//! Options every example takes, and serving with drain on SIGTERM, optional
//! (m)TLS and an optional bearer token that health calls are exempt from.

use std::error::Error;
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use grpc_health_checks::admin::ShowDetails;
use grpc_health_checks::auth::RequireAuthExceptHealthLayer;
use grpc_health_checks::incoming::Incoming;
use grpc_health_checks::{HealthChecks, HealthHandle};
use grpc_rpc_metrics::ServerMetricsLayer;
use tokio::net::TcpListener;

use crate::admin::build_with_admin;
use crate::greeter::{GreeterServer, HelloGreeter};
use tonic::service::Routes;
use tonic::transport::{Certificate, Identity, Server, ServerTlsConfig};
use tonic::{Request, Status};

/// What can stop an example: a message naming the flag or file to fix.
pub type ServeError = Box<dyn Error + Send + Sync>;

/// Listening, drain and TLS options shared by the examples.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeOptions {
    /// Address to listen on; port 0 picks a free port (printed as `listening on ADDR`).
    #[arg(long, default_value = "127.0.0.1:50051")]
    pub addr: SocketAddr,
    /// How often the health checks run, e.g. `1s`, `250ms`.
    #[arg(long, default_value = "1s", value_parser = humantime::parse_duration)]
    pub interval: Duration,
    /// How long every service stays NOT_SERVING after SIGTERM/SIGINT before the listener closes.
    #[arg(long, default_value = "1s", value_parser = humantime::parse_duration)]
    pub drain_delay: Duration,
    /// PEM certificate chain: serve TLS (needs --tls-key).
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// PEM CA bundle: require client certificates signed by it (mTLS).
    #[arg(long, requires = "tls_cert")]
    pub client_ca: Option<PathBuf>,
    /// Serve /livez, /readyz, /healthz and /metrics over HTTP on this address;
    /// port 0 picks a free port (printed as `admin listening on ADDR`).
    #[arg(long, value_name = "ADDR")]
    pub admin_addr: Option<SocketAddr>,
    /// Require `authorization: Bearer TOKEN` on every RPC except
    /// `grpc.health.v1.Health/*`, which probes call without credentials.
    #[arg(long, value_name = "TOKEN")]
    pub auth_token: Option<String>,
    /// Show failure reasons on --admin-addr (`?verbose`, JSON) only to
    /// requests with `authorization: Bearer TOKEN`; without it, to nobody.
    #[arg(long, value_name = "TOKEN")]
    pub details_token: Option<String>,
}

impl ServeOptions {
    /// Who sees failure reasons on the admin endpoints: `--details-token`'s bearers.
    pub fn show_details(&self) -> ShowDetails {
        let Some(token) = &self.details_token else {
            return ShowDetails::Never;
        };
        let expected = format!("Bearer {token}").into_bytes();
        ShowDetails::when(move |headers, _| {
            headers
                .get("authorization")
                .is_some_and(|value| constant_time_eq(value.as_bytes(), &expected))
        })
    }
}

/// The process's exit code for an example's result, printing the error as `program: error`.
pub fn exit_code(program: &str, result: Result<(), ServeError>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{program}: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Logs to stderr; `RUST_LOG` overrides the default `info` level. Colour
/// only on a terminal: redirected to a file or collected by `kubectl logs`,
/// escape codes would be noise.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(30);
const KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(10);
/// Streams one client may have open on one connection (RFC 9113 recommends
/// at least 100); tonic sets no limit.
const MAX_STREAMS_PER_CONNECTION: u32 = 100;
/// Streams the server may reset for a client's protocol errors before it ends
/// the connection: hyper's default, which tonic turns off unless set.
const MAX_LOCAL_ERROR_RESETS: usize = 1024;

/// Starts `checks`, serves them next to the greeter, and drains on SIGTERM/SIGINT.
pub async fn serve_with_greeter(
    options: &ServeOptions,
    checks: HealthChecks,
) -> Result<(), ServeError> {
    let (health, handle) = build_with_admin(options, checks).await?;
    let routes = Routes::new(health).add_service(GreeterServer::new(HelloGreeter));
    serve(options, routes, handle, ServerMetricsLayer::disabled()).await
}

/// Binds, prints `listening on ADDR`, and serves `routes` until SIGTERM/SIGINT
/// has drained the health service; `rpc_metrics` records every call.
pub async fn serve(
    options: &ServeOptions,
    routes: Routes,
    health: HealthHandle,
    rpc_metrics: ServerMetricsLayer,
) -> Result<(), ServeError> {
    // Keepalive pings find clients that vanished without closing (their
    // watchers are then released); the stream and reset limits bound what
    // one hostile connection can hold.
    let mut server = Server::builder()
        .http2_keepalive_interval(Some(KEEPALIVE_INTERVAL))
        .http2_keepalive_timeout(Some(KEEPALIVE_TIMEOUT))
        .max_concurrent_streams(MAX_STREAMS_PER_CONNECTION)
        .http2_max_local_error_reset_streams(Some(MAX_LOCAL_ERROR_RESETS));
    if let Some(tls) = tls_config(options)? {
        server = server.tls_config(tls)?;
    }
    // Outermost, so that calls the token check refuses are counted too.
    let server = server.layer(rpc_metrics);
    let mut server = server.layer(RequireAuthExceptHealthLayer::new(require_token(
        options.auth_token.as_deref(),
    )));
    let listener = TcpListener::bind(options.addr)
        .await
        .map_err(|error| format!("cannot listen on --addr {}: {error}", options.addr))?;
    // SIGTERM is drained from here on: the handlers are in place before the
    // address is announced, so a signal sent the instant it is read drains.
    let shutdown = health.drain_on_signal(options.drain_delay);
    println!("listening on {}", listener.local_addr()?);
    server
        .add_routes(routes)
        .serve_with_incoming_shutdown(
            // Pauses accepting while out of file descriptors instead of spinning.
            Incoming::new(listener),
            shutdown,
        )
        .await?;
    tracing::info!("server stopped");
    Ok(())
}

/// The `--auth-token` check: lets every call through without a token set.
fn require_token(
    token: Option<&str>,
) -> impl FnMut(Request<()>) -> Result<Request<()>, Status> + Clone + Send + 'static {
    let expected = token.map(|token| format!("Bearer {token}").into_bytes());
    move |request: Request<()>| {
        let Some(expected) = &expected else {
            return Ok(request);
        };
        let presented = request
            .metadata()
            .get("authorization")
            .map_or(&[][..], |value| value.as_bytes());
        if constant_time_eq(presented, expected) {
            Ok(request)
        } else {
            Err(Status::unauthenticated("missing or invalid bearer token"))
        }
    }
}

/// Compares without stopping at the first difference, so timing does not
/// reveal how much of a guessed token was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0, |diff, (x, y)| diff | (x ^ y)) == 0
}

fn tls_config(options: &ServeOptions) -> Result<Option<ServerTlsConfig>, ServeError> {
    let (Some(cert), Some(key)) = (&options.tls_cert, &options.tls_key) else {
        return Ok(None);
    };
    let identity = Identity::from_pem(read_pem("--tls-cert", cert)?, read_pem("--tls-key", key)?);
    let mut tls = ServerTlsConfig::new().identity(identity);
    if let Some(ca) = &options.client_ca {
        tls = tls.client_ca_root(Certificate::from_pem(read_pem("--client-ca", ca)?));
    }
    Ok(Some(tls))
}

fn read_pem(flag: &str, path: &Path) -> Result<Vec<u8>, ServeError> {
    std::fs::read(path)
        .map_err(|error| format!("cannot read {flag} {}: {error}", path.display()).into())
}
