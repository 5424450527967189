//! Command-line arguments. The doc comments are the `--help` text.

use std::path::PathBuf;

use clap::Parser;

use crate::kube::KubeVersion;

/// Renders Kubernetes manifests (Deployment, Service and optionally a
/// PodDisruptionBudget) for a gRPC server, with grpc-probe, kubelet's native gRPC
/// probe or HTTP on the admin port as readiness, liveness and startup probes.
/// Prints multi-document YAML on stdout.
///
/// Required values: name, image, port. Every other value has a default, documented
/// in the built-in values.yaml. Invalid values are refused (exit 1) before rendering.
#[derive(Debug, Parser)]
#[command(name = "health-manifests", version)]
pub(crate) struct Cli {
    /// A YAML values file, merged over the defaults; may be repeated, later files win.
    #[arg(long = "values", short = 'f', value_name = "FILE")]
    pub(crate) values: Vec<PathBuf>,

    /// Sets one value, e.g. `--set port=8080`, `--set readiness.periodSeconds=5` or a
    /// list item by position, `--set env[0].value=x` (0 to 999); typed like Helm
    /// (true/false, integers, else string); applied after the files, later wins.
    #[arg(long = "set", value_name = "KEY.PATH=VALUE")]
    pub(crate) set: Vec<String>,

    /// Renders only this template (default: all of them). Built in: `deployment`,
    /// `service`, `pdb` (when pdb.enabled); with --templates, a file name without `.yaml.j2`.
    /// Alerts: `alerts` (a PrometheusRule, in the full render when alerts.enabled) and
    /// `alert-rules` (a plain Prometheus rules file, only when named here).
    #[arg(long = "template", value_name = "NAME")]
    pub(crate) template: Option<String>,

    /// Renders your own minijinja templates instead of the built-in ones: every
    /// `*.yaml.j2` file at the top of DIR not starting with `_`, with the same values,
    /// filters (`yaml`, `toyaml(N)`) and helpers (`probes(indent=N)`, ...).
    #[arg(long = "templates", value_name = "DIR")]
    pub(crate) templates: Option<PathBuf>,

    /// The Kubernetes version the manifests are for, 1.33 to 1.37 (default 1.33, the
    /// oldest): fields a version lacks are refused (a preStop sleep before 1.34,
    /// gRPC probes over TLS before 1.37).
    #[arg(
        long = "kube-version",
        value_name = "1.N",
        default_value = "1.33",
        value_parser = KubeVersion::parse
    )]
    pub(crate) kube_version: KubeVersion,

    /// Prints the built-in values.yaml (every value, its default and what it does) and exits.
    #[arg(long = "show-values", conflicts_with_all = ["values", "set", "template", "templates"])]
    pub(crate) show_values: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::TEMPLATES;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn help_lists_every_template() {
        let help = Cli::command().render_long_help().to_string();
        for template in TEMPLATES {
            assert!(help.contains(template.name), "{help}");
        }
    }

    #[test]
    fn values_and_sets_repeat_in_order() {
        let cli = Cli::try_parse_from([
            "health-manifests",
            "--values",
            "a.yaml",
            "-f",
            "b.yaml",
            "--set",
            "port=1",
            "--set",
            "port=2",
        ])
        .unwrap();
        assert_eq!(
            cli.values,
            [PathBuf::from("a.yaml"), PathBuf::from("b.yaml")]
        );
        assert_eq!(cli.set, ["port=1", "port=2"]);
    }
}
