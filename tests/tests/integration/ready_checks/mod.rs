//! The ready-made checks (grpc-health-contrib) against real servers:
//! each passes, fails with a reason naming the cause when its dependency goes,
//! and passes again when it comes back.

mod demo;
mod disk;
mod file;
mod grpc;
mod harness;
mod http;
mod postgres;
mod redis;
mod tcp;
