//! The Watch fan-out target, run as a child process (`bench watch-server`) so
//! that its RSS is its own: a hand-driven service `bench.Flip`, SERVING at
//! first, on health-lib (or, with `--tonic-health`, on tonic-health, the
//! floor of the stack). Each line on stdin flips it; EOF ends the process.

use std::io::BufRead;
use std::process::ExitCode;

use grpc_health_checks::{HealthChecks, ServingStatus};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tonic::service::Routes;
use tonic::transport::Server;

use crate::Result;
use crate::servers::incoming;

/// The service the watchers watch.
pub(crate) const FLIP_SERVICE: &str = "bench.Flip";

/// Serves until stdin closes.
pub(crate) fn main(tonic_health: bool) -> Result<ExitCode> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(serve(tonic_health))
}

/// Sets the flipped service's status.
enum Flipper {
    HealthLib(grpc_health_checks::HealthHandle),
    TonicHealth(tonic_health::server::HealthReporter),
}

impl Flipper {
    async fn set(&self, serving: bool) -> Result<()> {
        match self {
            Self::HealthLib(handle) => {
                let status = if serving {
                    ServingStatus::Serving
                } else {
                    ServingStatus::NotServing
                };
                handle.set_status(FLIP_SERVICE, status)?;
            }
            Self::TonicHealth(reporter) => {
                let status = if serving {
                    tonic_health::ServingStatus::Serving
                } else {
                    tonic_health::ServingStatus::NotServing
                };
                reporter.set_service_status(FLIP_SERVICE, status).await;
            }
        }
        Ok(())
    }
}

async fn serve(tonic_health: bool) -> Result<ExitCode> {
    let (routes, flipper) = if tonic_health {
        let (reporter, service) = tonic_health::server::health_reporter();
        // `""` answers SERVING, as health-lib's does: Check p99 is taken on it.
        reporter
            .set_service_status("", tonic_health::ServingStatus::Serving)
            .await;
        (Routes::new(service), Flipper::TonicHealth(reporter))
    } else {
        let (service, handle) = HealthChecks::new().build()?;
        (Routes::new(service), Flipper::HealthLib(handle))
    };
    flipper.set(true).await?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    println!("listening on {}", listener.local_addr()?);
    let server = tokio::spawn(
        Server::builder()
            .add_routes(routes)
            .serve_with_incoming(incoming(listener)),
    );
    let (flips, mut flip_requests) = mpsc::channel(16);
    std::thread::spawn(move || {
        for _line in std::io::stdin()
            .lock()
            .lines()
            .map_while(std::result::Result::ok)
        {
            if flips.blocking_send(()).is_err() {
                break;
            }
        }
    });
    let mut serving = true;
    while flip_requests.recv().await.is_some() {
        serving = !serving;
        flipper.set(serving).await?;
    }
    server.abort();
    Ok(ExitCode::SUCCESS)
}
