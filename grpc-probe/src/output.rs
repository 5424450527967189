//! What a run reports: an [`Outcome`] (exit code plus stderr text, worded as
//! grpc-health-probe words it), status names and RFC 3339 timestamps.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use grpc_health_proto::pb::health_check_response::ServingStatus;

use crate::duration;
use crate::exit_code::ProbeExit;
use crate::grpc::{Code, Status};
use crate::server_text::ServerText;

/// The end of one step: its exit code, its message, and whether `-wait`
/// should try again.
#[derive(Clone, Debug)]
pub(crate) struct Outcome {
    /// Exit code.
    pub(crate) code: ProbeExit,
    /// Lines for stderr.
    pub(crate) message: String,
    /// Connection failure, UNAVAILABLE or NOT_SERVING: worth retrying.
    pub(crate) retry: bool,
}

impl Outcome {
    /// An outcome that `-wait` does not retry.
    pub(crate) fn new(code: ProbeExit, message: String) -> Self {
        Outcome {
            code,
            message,
            retry: false,
        }
    }

    /// An outcome that `-wait` retries.
    pub(crate) fn retryable(code: ProbeExit, message: String) -> Self {
        Outcome {
            code,
            message,
            retry: true,
        }
    }

    /// Whether the server answered with a status (SERVING or not), rather
    /// than the RPC failing.
    pub(crate) fn answered(&self) -> bool {
        matches!(self.code, ProbeExit::Serving | ProbeExit::Unhealthy)
    }

    /// The answer to a Check: SERVING or unhealthy.
    pub(crate) fn from_status(status: i32) -> Self {
        if status == ServingStatus::Serving as i32 {
            Outcome::new(
                ProbeExit::Serving,
                format!("status: {}", status_name(status)),
            )
        } else {
            let message = format!(
                "service unhealthy (responded with {:?})",
                status_name(status)
            );
            Outcome::retryable(ProbeExit::Unhealthy, message)
        }
    }

    /// A failed RPC, worded as upstream.
    pub(crate) fn rpc_failed(status: &Status, rpc_timeout: Duration) -> Self {
        let message = match status.code {
            Code::UNIMPLEMENTED => format!(
                "error: this server does not implement the grpc health protocol (grpc.health.v1.Health): {}",
                ServerText(if status.message.is_empty() {
                    "UNIMPLEMENTED"
                } else {
                    &status.message
                })
            ),
            Code::DEADLINE_EXCEEDED => {
                format!(
                    "timeout: health rpc did not complete within {}",
                    duration::format(rpc_timeout)
                )
            }
            _ => format!("error: health rpc failed: {status}"),
        };
        Outcome {
            code: ProbeExit::RpcFailure,
            message,
            retry: status.code == Code::UNAVAILABLE,
        }
    }

    /// Adds `service "name": ` before each line, when several services are checked.
    pub(crate) fn for_service(mut self, service: &str) -> Self {
        self.message = format!("service {service:?}: {}", self.message);
        self
    }
}

/// `SERVING`, `NOT_SERVING`, ... as upstream prints them.
pub(crate) fn status_name(status: i32) -> String {
    ServingStatus::try_from(status)
        .map_or_else(|_| status.to_string(), |s| s.as_str_name().to_owned())
}

/// The exit code a watched or listed status maps to.
pub(crate) fn status_code(status: i32) -> ProbeExit {
    match ServingStatus::try_from(status) {
        Ok(ServingStatus::Serving) => ProbeExit::Serving,
        Ok(ServingStatus::ServiceUnknown) => ProbeExit::RpcFailure,
        _ => ProbeExit::Unhealthy,
    }
}

/// RFC 3339 UTC with milliseconds, e.g. `2026-11-26T07:04:24.123Z`.
pub(crate) fn timestamp(at: SystemTime) -> String {
    let since = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        since.subsec_millis()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(timestamp(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let t = UNIX_EPOCH + Duration::from_millis(1_795_678_264_123);
        assert_eq!(timestamp(t), "2026-11-26T07:31:04.123Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(timestamp(leap), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn messages_match_upstream() {
        assert_eq!(Outcome::from_status(1).message, "status: SERVING");
        let o = Outcome::from_status(2);
        assert_eq!(
            (o.code, o.message.as_str()),
            (
                ProbeExit::Unhealthy,
                "service unhealthy (responded with \"NOT_SERVING\")"
            )
        );
        let o = Outcome::rpc_failed(
            &Status::new(Code::NOT_FOUND, "unknown service"),
            Duration::from_secs(1),
        );
        assert_eq!(
            o.message,
            "error: health rpc failed: rpc error: code = NotFound desc = unknown service"
        );
        let o = Outcome::rpc_failed(
            &Status::new(Code::DEADLINE_EXCEEDED, ""),
            Duration::from_millis(1500),
        );
        assert_eq!(
            o.message,
            "timeout: health rpc did not complete within 1.5s"
        );
        assert!(Outcome::rpc_failed(&Status::new(Code::UNAVAILABLE, "x"), Duration::ZERO).retry);
    }

    #[test]
    fn status_mapping() {
        assert_eq!(status_code(1), ProbeExit::Serving);
        assert_eq!(status_code(2), ProbeExit::Unhealthy);
        assert_eq!(status_code(0), ProbeExit::Unhealthy);
        assert_eq!(status_code(3), ProbeExit::RpcFailure);
        assert_eq!(status_name(3), "SERVICE_UNKNOWN");
        assert_eq!(status_name(42), "42");
    }
}
