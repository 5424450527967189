//! grpc-health-balance against real peers on loopback: health-demo
//! processes flipped by their ready file, drained by SIGTERM and killed by
//! SIGKILL; in-process servers: one without a health service, one that
//! holds RPCs and counts its connections; grpcio peers on both sides.
//!
//! health-demo serves `helloworld.Greeter` whatever its health says, so
//! every RPC a NOT_SERVING backend does not get was held back by the client.
//! Which backend answered is the response's `ServedBy` extension: the
//! address of the connection the RPC went over.

mod support;

mod balancing;
mod discovery;
mod drain;
mod health_rules;
mod holding;
mod python;
mod tls;
