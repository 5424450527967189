//! The health Watch of one backend, following gRFC A17 and grpc-go's
//! `clientHealthCheck` where A17 is silent.
//!
//! - Each attempt first reports [`BackendState::Connecting`] (grpc-go does
//!   the same), so a backend takes no traffic until a Watch says SERVING.
//! - Every message is reported: SERVING takes traffic, anything else does not.
//! - UNIMPLEMENTED means the server has no health service: the backend is
//!   reported healthy and the Watch stops.
//! - Any other end of the stream (an error status, a lost connection, or the
//!   server closing it) takes the backend out at once and retries; the retry
//!   waits an exponential [`Backoff`], except right after a stream that
//!   delivered at least one message (grpc-go resets its retry count there).

use std::error::Error as _;
use std::future::Future;

use grpc_health_proto::ServingStatus;
use grpc_health_proto::pb::HealthCheckResponse;
use tokio_stream::{Stream, StreamExt};
use tonic::{Code, Status};

use crate::backoff::Backoff;
use crate::state::BackendState;

/// Runs the Watch loop: `open` starts one Watch stream, `report` receives
/// every state change and its detail. Returns only when the server answered
/// UNIMPLEMENTED (the backend then stays healthy until something restarts it).
pub(crate) async fn watch_loop<O, F, S>(
    backoff: Backoff,
    mut open: O,
    mut report: impl FnMut(BackendState, Option<String>),
) where
    O: FnMut() -> F,
    F: Future<Output = Result<S, Status>>,
    S: Stream<Item = Result<HealthCheckResponse, Status>> + Unpin,
{
    let mut failed_attempts: u32 = 0;
    loop {
        if failed_attempts > 0 {
            tokio::time::sleep(backoff.delay(failed_attempts - 1)).await;
        }
        failed_attempts += 1;
        report(BackendState::Connecting, None);
        let mut stream = match open().await {
            Ok(stream) => stream,
            Err(status) if status.code() == Code::Unimplemented => {
                report(
                    BackendState::NoHealthService,
                    Some(status.message().to_owned()),
                );
                return;
            }
            Err(status) => {
                let (state, detail) = classify(&status);
                report(state, Some(detail));
                continue;
            }
        };
        loop {
            match stream.next().await {
                Some(Ok(message)) => {
                    // A message arrived: the next retry needs no backoff.
                    failed_attempts = 0;
                    let (state, detail) = from_message(&message);
                    report(state, detail);
                }
                Some(Err(status)) if status.code() == Code::Unimplemented => {
                    report(
                        BackendState::NoHealthService,
                        Some(status.message().to_owned()),
                    );
                    return;
                }
                Some(Err(status)) => {
                    let (state, detail) = classify(&status);
                    report(state, Some(detail));
                    break;
                }
                None => {
                    report(
                        BackendState::WatchFailed,
                        Some("the server ended the Watch stream".to_owned()),
                    );
                    break;
                }
            }
        }
    }
}

fn from_message(message: &HealthCheckResponse) -> (BackendState, Option<String>) {
    match ServingStatus::try_from(message.status) {
        Ok(ServingStatus::Serving) => (BackendState::Serving, None),
        Ok(ServingStatus::ServiceUnknown) => (BackendState::ServiceUnknown, None),
        Ok(ServingStatus::NotServing) => (BackendState::NotServing, None),
        Ok(ServingStatus::Unknown) => (BackendState::NotServing, Some("UNKNOWN".to_owned())),
        Err(_) => (
            BackendState::NotServing,
            Some(format!("unknown status value {}", message.status)),
        ),
    }
}

/// A failed Watch: a status that tonic made from a transport error carries
/// its source (a server-sent status never does), and UNAVAILABLE is what
/// gRPC uses for a peer it cannot reach: both count as unreachable.
fn classify(status: &Status) -> (BackendState, String) {
    let detail = match status.source() {
        Some(source) => format!("{}: {source}", status.message()),
        None => format!("{:?}: {}", status.code(), status.message()),
    };
    if status.code() == Code::Unavailable || status.source().is_some() {
        (BackendState::Unreachable, detail)
    } else {
        (BackendState::WatchFailed, detail)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use tokio::time::Instant;

    use super::*;

    type Script = VecDeque<Result<Vec<Result<HealthCheckResponse, Status>>, Status>>;

    fn message(status: ServingStatus) -> Result<HealthCheckResponse, Status> {
        Ok(HealthCheckResponse {
            status: status.into(),
        })
    }

    /// Runs the loop over a scripted sequence of Watch attempts; returns the
    /// instant of each attempt and every reported state. The loop ends when
    /// the script answers UNIMPLEMENTED.
    async fn run(script: Script) -> (Vec<Instant>, Vec<BackendState>) {
        let backoff = Backoff {
            jitter: 0.0,
            ..Backoff::default()
        };
        let script = Arc::new(Mutex::new(script));
        let attempts = Arc::new(Mutex::new(Vec::new()));
        let mut states = Vec::new();
        let open = || {
            let (script, attempts) = (script.clone(), attempts.clone());
            async move {
                attempts.lock().expect("not poisoned").push(Instant::now());
                let next = script.lock().expect("not poisoned").pop_front();
                next.expect("the script covers every attempt")
                    .map(tokio_stream::iter)
            }
        };
        watch_loop(backoff, open, |state, _| states.push(state)).await;
        let attempts = attempts.lock().expect("not poisoned").clone();
        (attempts, states)
    }

    fn gaps(attempts: &[Instant]) -> Vec<Duration> {
        attempts.windows(2).map(|pair| pair[1] - pair[0]).collect()
    }

    #[tokio::test(start_paused = true)]
    async fn failures_back_off_exponentially_and_a_message_resets_the_backoff() {
        fn failure<T>() -> Result<T, Status> {
            Err(Status::internal("watch broke"))
        }
        let script = Script::from([
            failure(),
            failure(),
            failure(),
            // A stream that delivers a message, then fails.
            Ok(vec![message(ServingStatus::Serving), failure()]),
            failure(),
            Err(Status::unimplemented("no health service")),
        ]);
        let (attempts, _) = run(script).await;
        let secs = |s: f64| Duration::from_secs_f64(s);
        assert_eq!(
            gaps(&attempts),
            [
                secs(1.0),  // after the 1st failure
                secs(1.6),  // after the 2nd
                secs(2.56), // after the 3rd
                secs(0.0),  // the stream had a message: retry at once
                secs(1.0),  // backoff starts over
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn states_follow_a17() {
        let script = Script::from([
            Ok(vec![
                message(ServingStatus::Serving),
                message(ServingStatus::NotServing),
                message(ServingStatus::ServiceUnknown),
                Err(Status::unavailable("connection lost")),
            ]),
            Ok(vec![Err(Status::unimplemented("no health service"))]),
        ]);
        let (_, states) = run(script).await;
        use BackendState::*;
        assert_eq!(
            states,
            [
                Connecting,
                Serving,
                NotServing,
                ServiceUnknown,
                Unreachable,
                Connecting,
                NoHealthService
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_stream_the_server_ends_is_retried_after_backoff_only_without_a_message() {
        let script = Script::from([
            Ok(vec![]),
            Ok(vec![]),
            Err(Status::unimplemented("no health service")),
        ]);
        let (attempts, states) = run(script).await;
        assert_eq!(
            gaps(&attempts),
            [Duration::from_secs(1), Duration::from_secs_f64(1.6)]
        );
        assert!(states.contains(&BackendState::WatchFailed));
    }
}
