//! The Pod Security "restricted" profile (Kubernetes 1.33), checked on a
//! rendered pod template the way the PodSecurity admission plugin checks it.

use k8s_openapi::api::core::v1::{Container, PodSpec};

/// Volume types "restricted" allows.
const ALLOWED_VOLUMES: [&str; 8] = [
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

/// Why `pod` would be refused in a namespace enforcing "restricted", if it would.
pub(crate) fn check(pod: &PodSpec) -> Result<(), String> {
    if pod.host_network == Some(true) || pod.host_pid == Some(true) || pod.host_ipc == Some(true) {
        return Err("host namespaces are not allowed".into());
    }
    let pod_context = pod.security_context.as_ref();
    let pod_non_root = pod_context.and_then(|c| c.run_as_non_root);
    let pod_seccomp = pod_context
        .and_then(|c| c.seccomp_profile.as_ref())
        .map(|p| p.type_.as_str());
    if pod_context.and_then(|c| c.run_as_user) == Some(0) {
        return Err("the pod runs as user 0".into());
    }
    allowed_seccomp("pod", pod_seccomp)?;
    for volume in pod.volumes.iter().flatten() {
        let json = serde_json::to_value(volume).map_err(|e| e.to_string())?;
        let kinds: Vec<&String> = json
            .as_object()
            .into_iter()
            .flat_map(|o| o.keys())
            .filter(|k| *k != "name")
            .collect();
        if kinds.iter().any(|k| !ALLOWED_VOLUMES.contains(&k.as_str())) {
            return Err(format!(
                "volume {:?} has a type outside {ALLOWED_VOLUMES:?}",
                volume.name
            ));
        }
    }
    let init = pod.init_containers.iter().flatten();
    for container in pod.containers.iter().chain(init) {
        self::container(container, pod_non_root, pod_seccomp)
            .map_err(|error| format!("container {:?}: {error}", container.name))?;
    }
    Ok(())
}

fn container(
    container: &Container,
    pod_non_root: Option<bool>,
    pod_seccomp: Option<&str>,
) -> Result<(), String> {
    let context = container
        .security_context
        .as_ref()
        .ok_or("has no securityContext")?;
    if context.privileged == Some(true) {
        return Err("is privileged".into());
    }
    if context.allow_privilege_escalation != Some(false) {
        return Err("allowPrivilegeEscalation must be false".into());
    }
    let capabilities = context.capabilities.as_ref();
    let drops_all = capabilities
        .and_then(|c| c.drop.as_ref())
        .is_some_and(|drop| drop.iter().any(|d| d == "ALL"));
    if !drops_all {
        return Err("capabilities.drop must contain ALL".into());
    }
    let adds = capabilities
        .and_then(|c| c.add.as_ref())
        .into_iter()
        .flatten();
    for add in adds {
        if add != "NET_BIND_SERVICE" {
            return Err(format!("adds capability {add}"));
        }
    }
    match context.run_as_non_root.or(pod_non_root) {
        Some(true) => {}
        _ => return Err("runAsNonRoot must be true (pod or container)".into()),
    }
    if context.run_as_user == Some(0) {
        return Err("runs as user 0".into());
    }
    let seccomp = context
        .seccomp_profile
        .as_ref()
        .map(|p| p.type_.as_str())
        .or(pod_seccomp);
    allowed_seccomp("container", seccomp)?;
    if seccomp.is_none() {
        return Err("no seccompProfile (pod or container)".into());
    }
    for port in container.ports.iter().flatten() {
        if port.host_port.unwrap_or(0) != 0 {
            return Err("uses a hostPort".into());
        }
    }
    Ok(())
}

fn allowed_seccomp(what: &str, profile: Option<&str>) -> Result<(), String> {
    match profile {
        None | Some("RuntimeDefault" | "Localhost") => Ok(()),
        Some(other) => Err(format!("{what} seccompProfile {other} is not allowed")),
    }
}
