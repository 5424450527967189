//! The templates, embedded in the binary so it renders from any directory.

/// One template.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Template {
    /// The name `--template` takes.
    pub(crate) name: &'static str,
    /// Its file under `templates/templates/`; the `.yaml.j2` suffix turns on
    /// minijinja's JSON auto-escaping as a second guard behind `|tojson`.
    pub(crate) file: &'static str,
    /// What it renders, for `--help`.
    pub(crate) about: &'static str,
    /// The template text.
    pub(crate) source: &'static str,
}

/// Every template, in the order they are rendered.
pub(crate) const TEMPLATES: [Template; 2] = [
    Template {
        name: "deployment",
        file: "deployment.yaml.j2",
        about: "Deployment running the server with readiness, liveness and startup probes",
        source: include_str!("../templates/deployment.yaml.j2"),
    },
    Template {
        name: "service",
        file: "service.yaml.j2",
        about: "ClusterIP Service with the port named grpc (appProtocol: grpc)",
        source: include_str!("../templates/service.yaml.j2"),
    },
];
