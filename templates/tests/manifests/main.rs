//! Integration tests for `health-manifests`: rendered manifests validated
//! offline against the Kubernetes 1.33 schema and the API server's rules,
//! every rejection, and a kubelet-like end-to-end run of the rendered probes
//! against `health-demo`.

mod bins;
mod cli;
mod demo;
mod e2e_exec;
mod e2e_grpc;
mod kubelet;
mod manifest;
mod rejections;
mod render_valid;
mod rules;
mod schema;
