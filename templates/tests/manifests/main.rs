//! Integration tests for `health-manifests`: rendered manifests validated
//! offline against the Kubernetes 1.33 schema, the API server's rules and the
//! Pod Security "restricted" profile, each `--kube-version` boundary, linted
//! with yamllint, every rejection, the README's examples, a team's own templates, and a kubelet-like
//! end-to-end run of the rendered probes against `health-demo`.

mod alerts;
mod cli;
mod e2e_exec;
mod e2e_grpc;
mod e2e_http;
mod kubelet;
mod lint;
mod manifest;
mod readme;
mod rejections;
mod render_valid;
mod restricted;
mod rules;
mod schema;
mod team;
mod versions;
