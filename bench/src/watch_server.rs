//! The Watch fan-out target, run as a child process (`bench watch-server`) so
//! that its RSS is its own: health-lib with a hand-driven service `bench.Flip`,
//! SERVING at first. Each line on stdin flips it; EOF ends the process.

use std::io::BufRead;
use std::process::ExitCode;

use health_lib::{HealthChecks, ServingStatus};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tonic::transport::Server;

use crate::Result;
use crate::servers::incoming;

/// The service the watchers watch.
pub(crate) const FLIP_SERVICE: &str = "bench.Flip";

/// Serves until stdin closes.
pub(crate) fn main() -> Result<ExitCode> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(serve())
}

async fn serve() -> Result<ExitCode> {
    let (health, handle) = HealthChecks::new().build();
    handle.set_serving(FLIP_SERVICE)?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    println!("listening on {}", listener.local_addr()?);
    let server = tokio::spawn(
        Server::builder()
            .add_service(health)
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
        let status = if serving {
            ServingStatus::Serving
        } else {
            ServingStatus::NotServing
        };
        handle.set_status(FLIP_SERVICE, status)?;
    }
    server.abort();
    Ok(ExitCode::SUCCESS)
}
