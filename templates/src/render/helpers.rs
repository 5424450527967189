//! The helper functions every template can call, built-in or a team's own:
//! each writes one piece of the pod spec as YAML, so a team's Deployment takes
//! the probes with one line (`{{ probes(indent=10) }}`).
//!
//! Every helper takes `indent=N` and is written at column N: its first line
//! stays where the call is, the others are indented by N.

use std::sync::Arc;

use minijinja::value::{Kwargs, Value};
use minijinja::{Environment, Error};

use crate::config::{Config, Probe};

use super::emit;

/// Registers the helpers for `config`.
pub(crate) fn install(env: &mut Environment<'_>, config: &Arc<Config>) {
    let add = |env: &mut Environment<'_>, name: &'static str, write: fn(&Config) -> Vec<Piece>| {
        let config = Arc::clone(config);
        env.add_function(name, move |kwargs: Kwargs| {
            let indent = kwargs.get::<Option<usize>>("indent")?.unwrap_or(0);
            kwargs.assert_all_used()?;
            lay_out(&write(&config), indent).map(Value::from_safe_string)
        });
    };
    add(env, "probes", |c| {
        let mut pieces = grpc_note(c);
        for (field, probe) in fields(c) {
            pieces.extend(probe_pieces(field, probe));
        }
        pieces
    });
    add(env, "readiness_probe", |c| {
        let mut pieces = grpc_note(c);
        pieces.extend(probe_pieces("readinessProbe", &c.probes.readiness_probe));
        pieces
    });
    add(env, "liveness_probe", |c| {
        probe_pieces("livenessProbe", &c.probes.liveness_probe)
    });
    add(env, "startup_probe", |c| {
        probe_pieces("startupProbe", &c.probes.startup_probe)
    });
    add(env, "probe_init_container", |c| {
        item(c.probe.init_container.as_ref())
    });
    add(env, "probe_volume", |c| item(c.probe.volume.as_ref()));
    add(env, "probe_volume_mount", |c| {
        item(c.probe.volume_mount.as_ref())
    });
}

/// One part of a helper's output.
#[derive(Debug)]
enum Piece {
    /// A `# ...` line.
    Comment(String),
    /// A mapping entry.
    Entry(&'static str, Value),
    /// A list item.
    Item(Value),
}

/// The three probe fields, in the order a Container lists them.
fn fields(config: &Config) -> [(&'static str, &Probe); 3] {
    [
        ("readinessProbe", &config.probes.readiness_probe),
        ("livenessProbe", &config.probes.liveness_probe),
        ("startupProbe", &config.probes.startup_probe),
    ]
}

fn grpc_note(config: &Config) -> Vec<Piece> {
    let tls = config
        .probes
        .readiness_probe
        .grpc
        .as_ref()
        .is_some_and(|grpc| grpc.mode.is_some());
    match (config.probe.mode.as_str(), tls) {
        ("grpc", false) => vec![Piece::Comment(
            "kubelet's gRPC probe: plain text to the pod IP on the numeric port.".into(),
        )],
        ("grpc", true) => vec![
            Piece::Comment("kubelet's gRPC probe: TLS to the pod IP on the numeric port;".into()),
            Piece::Comment(
                "grpc.mode TLS (Kubernetes 1.37, alpha) does NOT verify the cert.".into(),
            ),
        ],
        _ => Vec::new(),
    }
}

fn probe_pieces(field: &'static str, probe: &Probe) -> Vec<Piece> {
    let mut pieces = Vec::new();
    if field == "startupProbe" {
        let budget = probe.failure_threshold * probe.period_seconds;
        pieces.push(Piece::Comment(format!(
            "Checks {}, never dependencies: failing restarts the container.",
            probe.checks
        )));
        pieces.push(Piece::Comment(format!(
            "Budget: failureThreshold × periodSeconds = {budget} s."
        )));
    }
    pieces.push(Piece::Entry(field, Value::from_serialize(probe)));
    pieces
}

fn item(value: Option<&serde_json::Value>) -> Vec<Piece> {
    value
        .map(|value| Piece::Item(Value::from_serialize(value)))
        .into_iter()
        .collect()
}

/// The pieces as YAML lines, every line after the first indented by `indent`.
fn lay_out(pieces: &[Piece], indent: usize) -> Result<String, Error> {
    let mut text = String::new();
    for piece in pieces {
        if !text.is_empty() {
            text.push('\n');
        }
        match piece {
            Piece::Comment(comment) => {
                text.push_str("# ");
                text.push_str(comment);
            }
            Piece::Entry(key, value) => text.push_str(&emit::entry(key, value, 0)?),
            Piece::Item(value) => {
                text.push_str(&emit::block(&Value::from(vec![value.clone()]), 0)?);
            }
        }
    }
    Ok(text.replace('\n', &format!("\n{}", " ".repeat(indent))))
}
