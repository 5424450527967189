//! The rules the API server enforces beyond the schema, checked on parsed
//! manifests: required fields, one handler per probe, selectors that match the
//! pod labels, DNS-1123 names, ports in range and timings ≥ 1; and this
//! project's own rule that liveness and startup probes never check the
//! readiness service, whose dependency checks must never restart a pod.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Container, Probe, Service};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_norway::Value;

use crate::schema::{self, Doc};

type Labels = BTreeMap<String, String>;

/// Checks every document and the Service against the Deployment.
pub(crate) fn check(docs: &[Doc]) -> Result<(), String> {
    for doc in docs {
        required(&doc.raw)?;
    }
    let (deployments, services) = schema::split(docs);
    for deployment in &deployments {
        self::deployment(deployment)?;
    }
    for pdb in schema::pdbs(docs) {
        let spec = pdb.spec.as_ref().ok_or("PodDisruptionBudget has no spec")?;
        if spec.min_available.is_some() == spec.max_unavailable.is_some() {
            return Err("PodDisruptionBudget needs one of minAvailable and maxUnavailable".into());
        }
        let selector = spec
            .selector
            .as_ref()
            .and_then(|s| s.match_labels.as_ref())
            .ok_or("PodDisruptionBudget has no matchLabels")?;
        for deployment in &deployments {
            let pod_labels = deployment
                .spec
                .as_ref()
                .and_then(|s| s.template.metadata.as_ref())
                .and_then(|m| m.labels.as_ref());
            subset("PodDisruptionBudget selector", selector, pod_labels)?;
        }
    }
    for service in &services {
        self::service(service)?;
        for deployment in &deployments {
            service_matches(service, deployment)?;
        }
    }
    Ok(())
}

/// The fields the API server requires, which k8s-openapi would fill in with defaults.
fn required(raw: &Value) -> Result<(), String> {
    let kind = raw.get("kind").and_then(Value::as_str).unwrap_or_default();
    let mut paths = vec![vec!["apiVersion"], vec!["kind"], vec!["metadata", "name"]];
    match kind {
        "Deployment" => {
            paths.push(vec!["spec", "selector", "matchLabels"]);
            paths.push(vec!["spec", "template", "metadata", "labels"]);
            paths.push(vec!["spec", "template", "spec", "containers"]);
            let containers = lookup(raw, &["spec", "template", "spec", "containers"]);
            for list in ["containers", "initContainers"] {
                let items = lookup(raw, &["spec", "template", "spec", list])
                    .and_then(Value::as_sequence)
                    .cloned()
                    .unwrap_or_default();
                for (i, container) in items.iter().enumerate() {
                    for field in ["name", "image"] {
                        present(container, &[field])
                            .map_err(|path| format!("{list}[{i}].{path} is required"))?;
                    }
                }
            }
            if containers
                .and_then(Value::as_sequence)
                .is_none_or(Vec::is_empty)
            {
                return Err("spec.template.spec.containers must not be empty".into());
            }
        }
        "PodDisruptionBudget" => paths.push(vec!["spec", "selector"]),
        "Service" => {
            paths.push(vec!["spec", "selector"]);
            paths.push(vec!["spec", "ports"]);
            let ports = lookup(raw, &["spec", "ports"]).and_then(Value::as_sequence);
            for (i, port) in ports.into_iter().flatten().enumerate() {
                present(port, &["port"])
                    .map_err(|_| format!("spec.ports[{i}].port is required"))?;
            }
        }
        other => return Err(format!("unexpected kind {other:?}")),
    }
    for path in paths {
        present(raw, &path).map_err(|path| format!("{kind}: {path} is required"))?;
    }
    Ok(())
}

fn lookup<'a>(value: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(value, |value, key| value.get(key))
}

fn present(value: &Value, path: &[&str]) -> Result<(), String> {
    match lookup(value, path) {
        None | Some(Value::Null) => Err(path.join(".")),
        Some(_) => Ok(()),
    }
}

fn deployment(deployment: &Deployment) -> Result<(), String> {
    let name = deployment.metadata.name.as_deref().unwrap_or_default();
    dns_label("Deployment name", name)?;
    labels(deployment.metadata.labels.as_ref())?;
    let spec = deployment.spec.as_ref().ok_or("Deployment has no spec")?;
    let selector = spec
        .selector
        .match_labels
        .as_ref()
        .filter(|labels| !labels.is_empty())
        .ok_or("Deployment selector has no matchLabels")?;
    let pod_labels = spec
        .template
        .metadata
        .as_ref()
        .and_then(|m| m.labels.as_ref());
    labels(pod_labels)?;
    subset("Deployment selector", selector, pod_labels)?;
    let pod = spec
        .template
        .spec
        .as_ref()
        .ok_or("pod template has no spec")?;
    if let Some(grace) = pod.termination_grace_period_seconds {
        at_least("terminationGracePeriodSeconds", grace, 1)?;
    }
    let init = pod.init_containers.iter().flatten();
    for container in pod.containers.iter().chain(init) {
        self::container(container)?;
    }
    let mounts = pod
        .containers
        .iter()
        .chain(pod.init_containers.iter().flatten());
    for mount in mounts.flat_map(|c| c.volume_mounts.iter().flatten()) {
        let declared = pod.volumes.iter().flatten().any(|v| v.name == mount.name);
        if !declared {
            return Err(format!("volumeMount {:?} names no volume", mount.name));
        }
    }
    Ok(())
}

fn container(container: &Container) -> Result<(), String> {
    dns_label("container name", &container.name)?;
    if container.image.as_deref().is_none_or(str::is_empty) {
        return Err(format!("container {:?} has no image", container.name));
    }
    for port in container.ports.iter().flatten() {
        port_number("containerPort", port.container_port)?;
        if let Some(name) = &port.name {
            port_name(name)?;
        }
    }
    for (kind, probe) in [
        ("readiness", &container.readiness_probe),
        ("liveness", &container.liveness_probe),
        ("startup", &container.startup_probe),
    ] {
        if let Some(probe) = probe {
            self::probe(kind, probe).map_err(|error| format!("{kind} probe: {error}"))?;
        }
    }
    Ok(())
}

fn probe(kind: &str, probe: &Probe) -> Result<(), String> {
    let handlers = [
        probe.exec.is_some(),
        probe.grpc.is_some(),
        probe.http_get.is_some(),
        probe.tcp_socket.is_some(),
    ];
    if handlers.iter().filter(|h| **h).count() != 1 {
        return Err(format!("needs exactly one handler, has {handlers:?}"));
    }
    if let Some(exec) = &probe.exec
        && exec.command.as_ref().is_none_or(Vec::is_empty)
    {
        return Err("exec.command is empty".into());
    }
    if let Some(grpc) = &probe.grpc {
        port_number("grpc.port", grpc.port)?;
    }
    if kind != "readiness" {
        never_on_dependencies(probe)?;
    }
    at_least(
        "initialDelaySeconds",
        probe.initial_delay_seconds.unwrap_or(0).into(),
        0,
    )?;
    // A missing timing is Kubernetes' default (10, 1, 1, 3), which is valid.
    for (field, value) in [
        ("periodSeconds", probe.period_seconds),
        ("timeoutSeconds", probe.timeout_seconds),
        ("successThreshold", probe.success_threshold),
        ("failureThreshold", probe.failure_threshold),
    ] {
        at_least(field, value.unwrap_or(1).into(), 1)?;
    }
    if kind != "readiness" && probe.success_threshold.unwrap_or(1) != 1 {
        return Err("successThreshold must be 1".into());
    }
    Ok(())
}

/// Liveness and startup failures restart the container: they must not check
/// `readiness` or `""` (which follow the dependency checks) nor `/readyz`.
fn never_on_dependencies(probe: &Probe) -> Result<(), String> {
    let service = match (&probe.exec, &probe.grpc, &probe.http_get) {
        (Some(exec), _, _) => exec
            .command
            .iter()
            .flatten()
            .find_map(|arg| arg.strip_prefix("-service="))
            .map(str::to_owned)
            .ok_or("the exec probe names no -service")?,
        (_, Some(grpc), _) => grpc.service.clone().unwrap_or_default(),
        (_, _, Some(http)) => match http.path.as_deref() {
            Some("/livez") => "liveness".to_owned(),
            other => return Err(format!("restarts on {other:?}; only /livez is safe")),
        },
        _ => return Ok(()),
    };
    if service.is_empty() || service == "readiness" {
        return Err(format!(
            "checks {service:?}, which follows the dependency checks, and would restart the pod"
        ));
    }
    Ok(())
}

fn service(service: &Service) -> Result<(), String> {
    let name = service.metadata.name.as_deref().unwrap_or_default();
    dns_label("Service name", name)?;
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err(format!(
            "Service name {name:?} must start with a letter (DNS-1035)"
        ));
    }
    labels(service.metadata.labels.as_ref())?;
    let spec = service.spec.as_ref().ok_or("Service has no spec")?;
    let ports = spec
        .ports
        .as_ref()
        .filter(|p| !p.is_empty())
        .ok_or("Service has no ports")?;
    for port in ports {
        port_number("Service port", port.port)?;
        if let Some(name) = &port.name {
            port_name(name)?;
        }
        if let Some(IntOrString::Int(target)) = port.target_port {
            port_number("targetPort", target)?;
        }
    }
    labels(spec.selector.as_ref())
}

fn service_matches(service: &Service, deployment: &Deployment) -> Result<(), String> {
    let spec = service.spec.as_ref().ok_or("Service has no spec")?;
    let template = deployment.spec.as_ref().map(|s| &s.template);
    let pod_labels = template
        .and_then(|t| t.metadata.as_ref())
        .and_then(|m| m.labels.as_ref());
    let selector = spec.selector.as_ref().ok_or("Service has no selector")?;
    subset("Service selector", selector, pod_labels)?;
    let container_ports: Vec<&str> = template
        .and_then(|t| t.spec.as_ref())
        .into_iter()
        .flat_map(|pod| pod.containers.iter())
        .flat_map(|c| c.ports.iter().flatten())
        .filter_map(|p| p.name.as_deref())
        .collect();
    for port in spec.ports.iter().flatten() {
        if let Some(IntOrString::String(target)) = &port.target_port
            && !container_ports.contains(&target.as_str())
        {
            return Err(format!("targetPort {target:?} names no container port"));
        }
    }
    Ok(())
}

fn subset(what: &str, selector: &Labels, labels: Option<&Labels>) -> Result<(), String> {
    let labels = labels.ok_or(format!("{what}: the pods have no labels"))?;
    for (key, value) in selector {
        if labels.get(key) != Some(value) {
            return Err(format!(
                "{what} {key}={value} does not match the pod labels {labels:?}"
            ));
        }
    }
    Ok(())
}

fn dns_label(what: &str, name: &str) -> Result<(), String> {
    let ok = (1..=63).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(format!("{what} {name:?} is not a DNS-1123 label"))
    }
}

/// IANA_SVC_NAME: at most 15 of a-z, 0-9 and '-', with a letter, no '--', no '-' at the ends.
fn port_name(name: &str) -> Result<(), String> {
    let ok = (1..=15).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && name.chars().any(|c| c.is_ascii_lowercase())
        && !name.contains("--")
        && !name.starts_with('-')
        && !name.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(format!("port name {name:?} is not an IANA service name"))
    }
}

fn port_number(what: &str, port: i32) -> Result<(), String> {
    if (1..=65535).contains(&port) {
        Ok(())
    } else {
        Err(format!("{what} {port} is outside 1-65535"))
    }
}

fn at_least(what: &str, value: i64, min: i64) -> Result<(), String> {
    if value >= min {
        Ok(())
    } else {
        Err(format!("{what} is {value}, below {min}"))
    }
}

fn labels(labels: Option<&Labels>) -> Result<(), String> {
    let valid_text = |text: &str| {
        text.len() <= 63
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            && (text.is_empty()
                || text.starts_with(|c: char| c.is_ascii_alphanumeric())
                    && text.ends_with(|c: char| c.is_ascii_alphanumeric()))
    };
    for (key, value) in labels.into_iter().flatten() {
        let name = key.rsplit_once('/').map_or(key.as_str(), |(_, name)| name);
        if name.is_empty() || !valid_text(name) || !valid_text(value) {
            return Err(format!("label {key:?}: {value:?} is not a valid label"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEPLOYMENT: &str = "
apiVersion: apps/v1
kind: Deployment
metadata: {name: a}
spec:
  selector: {matchLabels: {app: a}}
  template:
    metadata: {labels: {app: a}}
    spec:
      containers:
        - name: a
          image: i
          readinessProbe:
            exec: {command: [p]}
            periodSeconds: 1
            timeoutSeconds: 1
            successThreshold: 1
            failureThreshold: 1
";

    fn check_text(text: &str) -> Result<(), String> {
        check(&schema::parse(text)?)
    }

    #[test]
    fn the_rules_accept_a_minimal_deployment() {
        check_text(DEPLOYMENT).unwrap();
    }

    /// Each broken variant of the minimal Deployment is refused with its reason.
    #[test]
    fn the_rules_refuse_what_the_api_server_would() {
        for (from, to, reason) in [
            (
                "exec: {command: [p]}",
                "exec: {command: [p]}\n            grpc: {port: 1}",
                "exactly one handler",
            ),
            (
                "matchLabels: {app: a}",
                "matchLabels: {app: b}",
                "does not match",
            ),
            ("          image: i\n", "", "image is required"),
            ("periodSeconds: 1", "periodSeconds: 0", "periodSeconds"),
            ("name: a}", "name: A_b}", "DNS-1123"),
            (
                "exec: {command: [p]}",
                "grpc: {port: 70000}",
                "outside 1-65535",
            ),
            (
                "readinessProbe:\n            exec: {command: [p]}",
                "startupProbe:\n            exec: {command: [p, -service=readiness]}",
                "dependency checks",
            ),
            (
                "readinessProbe:\n            exec: {command: [p]}",
                "livenessProbe:\n            grpc: {port: 1, service: \"\"}",
                "dependency checks",
            ),
        ] {
            let error = check_text(&DEPLOYMENT.replace(from, to)).unwrap_err();
            assert!(error.contains(reason), "{to:?}: {error}");
        }
    }
}
