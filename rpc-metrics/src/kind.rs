//! The four kinds of RPC, named as go-grpc-middleware's `grpc_type` label.

/// Whether each side of a method streams: the `grpc_type` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RpcKind {
    /// One request, one response: `unary`.
    Unary,
    /// A stream of requests, one response: `client_stream`.
    ClientStream,
    /// One request, a stream of responses: `server_stream`.
    ServerStream,
    /// Streams both ways: `bidi_stream`.
    BidiStream,
}

impl RpcKind {
    /// The `grpc_type` label value.
    pub const fn label(self) -> &'static str {
        match self {
            Self::Unary => "unary",
            Self::ClientStream => "client_stream",
            Self::ServerStream => "server_stream",
            Self::BidiStream => "bidi_stream",
        }
    }
}
