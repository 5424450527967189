//! The process exit codes, identical to grpc-health-probe's.

/// How a run ended; the discriminant is the process exit status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Code {
    /// The service (every service) answered SERVING.
    Serving = 0,
    /// Bad arguments, or TLS files that cannot be read or parsed.
    InvalidArguments = 1,
    /// No HTTP/2 connection: refused, unreachable, TLS failure, timeout, not HTTP/2.
    ConnectionFailure = 2,
    /// The RPC failed: NOT_FOUND, UNIMPLEMENTED, deadline, transport error.
    RpcFailure = 3,
    /// The server answered, but not SERVING.
    Unhealthy = 4,
}

impl Code {
    /// Folds the results of several services: any RPC failure wins, then any
    /// unhealthy answer, whatever the order.
    pub(crate) fn combine(codes: impl IntoIterator<Item = Code>) -> Code {
        codes.into_iter().fold(Code::Serving, |acc, c| {
            if Self::severity(c) > Self::severity(acc) {
                c
            } else {
                acc
            }
        })
    }

    const fn severity(self) -> u8 {
        match self {
            Code::Serving => 0,
            Code::Unhealthy => 1,
            Code::RpcFailure => 2,
            Code::ConnectionFailure => 3,
            Code::InvalidArguments => 4,
        }
    }
}

impl From<Code> for std::process::ExitCode {
    fn from(code: Code) -> Self {
        std::process::ExitCode::from(code as u8)
    }
}

#[cfg(test)]
mod tests {
    use super::Code;

    #[test]
    fn values_match_grpc_health_probe() {
        assert_eq!(Code::Serving as u8, 0);
        assert_eq!(Code::InvalidArguments as u8, 1);
        assert_eq!(Code::ConnectionFailure as u8, 2);
        assert_eq!(Code::RpcFailure as u8, 3);
        assert_eq!(Code::Unhealthy as u8, 4);
    }

    #[test]
    fn combine_prefers_rpc_failure_then_unhealthy() {
        use Code::*;
        assert_eq!(Code::combine([]), Serving);
        assert_eq!(Code::combine([Serving, Serving]), Serving);
        assert_eq!(Code::combine([Serving, Unhealthy]), Unhealthy);
        assert_eq!(Code::combine([Unhealthy, RpcFailure]), RpcFailure);
        assert_eq!(Code::combine([RpcFailure, Unhealthy]), RpcFailure);
        assert_eq!(Code::combine([Unhealthy, Serving, Unhealthy]), Unhealthy);
    }

    #[test]
    fn converts_to_process_exit_code() {
        assert_eq!(
            std::process::ExitCode::from(Code::Unhealthy),
            std::process::ExitCode::from(4)
        );
    }
}
