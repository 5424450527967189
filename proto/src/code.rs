//! gRPC status codes as grpc-go spells them (`codes.Code.String()`): the
//! names a health client prints (`rpc error: code = NotFound`), that
//! go-grpc-middleware's `grpc_code` label carries, and that alert rules
//! select on.

/// Go's names of the codes 0 to 16, indexed by code.
pub const GO_NAMES: [&str; 17] = [
    "OK",
    "Canceled",
    "Unknown",
    "InvalidArgument",
    "DeadlineExceeded",
    "NotFound",
    "AlreadyExists",
    "PermissionDenied",
    "ResourceExhausted",
    "FailedPrecondition",
    "Aborted",
    "OutOfRange",
    "Unimplemented",
    "Internal",
    "Unavailable",
    "DataLoss",
    "Unauthenticated",
];

/// Go's name of `code`, or `None` for a code past 16 (grpc-go prints those
/// as `Code(17)`).
///
/// ```
/// assert_eq!(grpc_health_proto::code::go_name(5), Some("NotFound"));
/// assert_eq!(grpc_health_proto::code::go_name(17), None);
/// ```
pub fn go_name(code: u32) -> Option<&'static str> {
    usize::try_from(code)
        .ok()
        .and_then(|index| GO_NAMES.get(index))
        .copied()
}
