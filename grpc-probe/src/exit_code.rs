//! The process exit codes, identical to grpc-health-probe's. The enum is
//! [`ProbeExit`] so that it is not confused with gRPC status codes
//! ([`crate::grpc::Code`]) or `std::process::ExitCode`.

/// How a run ended; the discriminant is the process exit status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ProbeExit {
    /// The service (every service) answered SERVING.
    Serving = 0,
    /// Bad arguments, TLS files that cannot be read or parsed, or a failed `-install`.
    InvalidArguments = 1,
    /// No HTTP/2 connection: refused, unreachable, TLS failure, timeout, not HTTP/2.
    ConnectionFailure = 2,
    /// The RPC failed: NOT_FOUND, UNIMPLEMENTED, deadline, transport error.
    RpcFailure = 3,
    /// The server answered, but not SERVING.
    Unhealthy = 4,
}

impl ProbeExit {
    /// Folds the results of several services: any RPC failure wins, then any
    /// unhealthy answer, whatever the order.
    pub(crate) fn combine(codes: impl IntoIterator<Item = ProbeExit>) -> ProbeExit {
        codes.into_iter().fold(ProbeExit::Serving, |acc, c| {
            if Self::severity(c) > Self::severity(acc) {
                c
            } else {
                acc
            }
        })
    }

    const fn severity(self) -> u8 {
        match self {
            ProbeExit::Serving => 0,
            ProbeExit::Unhealthy => 1,
            ProbeExit::RpcFailure => 2,
            ProbeExit::ConnectionFailure => 3,
            ProbeExit::InvalidArguments => 4,
        }
    }
}

impl From<ProbeExit> for std::process::ExitCode {
    fn from(code: ProbeExit) -> Self {
        std::process::ExitCode::from(code as u8)
    }
}

#[cfg(test)]
mod tests {
    use super::ProbeExit;

    #[test]
    fn values_match_grpc_health_probe() {
        assert_eq!(ProbeExit::Serving as u8, 0);
        assert_eq!(ProbeExit::InvalidArguments as u8, 1);
        assert_eq!(ProbeExit::ConnectionFailure as u8, 2);
        assert_eq!(ProbeExit::RpcFailure as u8, 3);
        assert_eq!(ProbeExit::Unhealthy as u8, 4);
    }

    #[test]
    fn combine_prefers_rpc_failure_then_unhealthy() {
        use ProbeExit::*;
        assert_eq!(ProbeExit::combine([]), Serving);
        assert_eq!(ProbeExit::combine([Serving, Serving]), Serving);
        assert_eq!(ProbeExit::combine([Serving, Unhealthy]), Unhealthy);
        assert_eq!(ProbeExit::combine([Unhealthy, RpcFailure]), RpcFailure);
        assert_eq!(ProbeExit::combine([RpcFailure, Unhealthy]), RpcFailure);
        assert_eq!(
            ProbeExit::combine([Unhealthy, Serving, Unhealthy]),
            Unhealthy
        );
    }

    #[test]
    fn converts_to_process_exit_code() {
        assert_eq!(
            std::process::ExitCode::from(ProbeExit::Unhealthy),
            std::process::ExitCode::from(4)
        );
    }
}
