//! grpc-health-balance against real peers on loopback: health-demo
//! processes flipped by their ready file, drained by SIGTERM and killed by
//! SIGKILL, and an in-process server without a health service.
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
mod python;
mod tls;
