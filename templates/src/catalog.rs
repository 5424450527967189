//! The templates, embedded in the binary so it renders from any directory.

/// One template.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Template {
    /// The name `--template` takes.
    pub(crate) name: &'static str,
    /// Its file under `templates/templates/`; the `.yaml.j2` suffix turns on
    /// the YAML auto-escaping of every `{{ value }}`.
    pub(crate) file: &'static str,
    /// The template text.
    pub(crate) source: &'static str,
}

/// Every template, in the order they are rendered.
pub(crate) const TEMPLATES: [Template; 5] = [
    Template {
        name: "deployment",
        file: "deployment.yaml.j2",
        source: include_str!("../templates/deployment.yaml.j2"),
    },
    Template {
        name: "service",
        file: "service.yaml.j2",
        source: include_str!("../templates/service.yaml.j2"),
    },
    Template {
        name: "pdb",
        file: "pdb.yaml.j2",
        source: include_str!("../templates/pdb.yaml.j2"),
    },
    Template {
        name: "alerts",
        file: "alerts.yaml.j2",
        source: include_str!("../templates/alerts.yaml.j2"),
    },
    Template {
        name: "alert-rules",
        file: "alert-rules.yaml.j2",
        source: include_str!("../templates/alert-rules.yaml.j2"),
    },
];

/// Templates rendered only when `--template` names them: not Kubernetes
/// objects, so they stay out of the stream `kubectl apply` reads.
pub(crate) const ONLY_BY_NAME: [&str; 1] = ["alert-rules"];
