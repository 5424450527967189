//! Values that are Kubernetes objects or lists as written in a manifest
//! (resources, securityContext, env, tolerations, ...): each is read into its
//! Kubernetes 1.33 type (the oldest supported version's, so a field passes
//! only if every supported version has it), refusing fields that type does
//! not know; then what the API server checks beyond the types (quantities,
//! names, keys) is checked, and the value passed to the templates as written.

use k8s_openapi::api::apps::v1::DeploymentStrategy;
use k8s_openapi::api::core::v1::{
    Affinity, EnvVar, LocalObjectReference, PodSecurityContext, ResourceRequirements,
    SecurityContext, Toleration, TopologySpreadConstraint, Volume, VolumeMount,
};
use serde::de::DeserializeOwned;
use serde_json::Value as Json;

use crate::config::PodValues;
use crate::error::ValueError;
use crate::kube::KubeVersion;

use super::read::Values;
use super::{names, quantity};

/// Reads every Kubernetes-typed pod value.
pub(crate) fn pod_values(
    values: Values<'_>,
    version: KubeVersion,
) -> Result<PodValues, ValueError> {
    let env = typed::<Vec<EnvVar>>(values, "env", "EnvVar list")?;
    for (index, var) in items(&env) {
        names::env_name(
            &format!("env[{index}].name"),
            var["name"].as_str().unwrap_or_default(),
            version,
        )?;
    }
    let resources = typed::<ResourceRequirements>(values, "resources", "ResourceRequirements")?;
    quantity::resources(values)?;
    let node_selector = typed::<std::collections::BTreeMap<String, String>>(
        values,
        "nodeSelector",
        "a mapping of label keys to strings",
    )?;
    for (key, value) in node_selector.as_object().into_iter().flatten() {
        let path = format!("nodeSelector.{key}");
        names::label_key(&path, key)?;
        names::label_value(&path, value.as_str().unwrap_or_default())?;
    }
    Ok(PodValues {
        args: typed::<Vec<String>>(values, "args", "a list of strings")?,
        env,
        resources,
        security_context: typed::<SecurityContext>(values, "securityContext", "SecurityContext")?,
        pod_security_context: typed::<PodSecurityContext>(
            values,
            "podSecurityContext",
            "PodSecurityContext",
        )?,
        image_pull_secrets: typed::<Vec<LocalObjectReference>>(
            values,
            "imagePullSecrets",
            "LocalObjectReference list",
        )?,
        node_selector,
        tolerations: typed::<Vec<Toleration>>(values, "tolerations", "Toleration list")?,
        affinity: typed::<Affinity>(values, "affinity", "Affinity")?,
        topology_spread_constraints: typed::<Vec<TopologySpreadConstraint>>(
            values,
            "topologySpreadConstraints",
            "TopologySpreadConstraint list",
        )?,
        strategy: typed::<DeploymentStrategy>(values, "strategy", "DeploymentStrategy")?,
    })
}

/// The user's volumes, checked: DNS-1123 label names, quantity size limits.
pub(crate) fn volumes(values: Values<'_>) -> Result<Vec<Json>, ValueError> {
    let volumes = list::<Volume>(values, "volumes", "Volume list")?;
    for (index, volume) in volumes.iter().enumerate() {
        names::dns_label(
            &format!("volumes[{index}].name"),
            volume["name"].as_str().unwrap_or_default(),
        )?;
        if let Some(limit) = volume.pointer("/emptyDir/sizeLimit") {
            quantity::quantity(&format!("volumes[{index}].emptyDir.sizeLimit"), limit)?;
        }
    }
    Ok(volumes)
}

/// The user's volumeMounts, checked: each names one of the user's `volumes`.
pub(crate) fn volume_mounts(values: Values<'_>, volumes: &[Json]) -> Result<Vec<Json>, ValueError> {
    let mounts = list::<VolumeMount>(values, "volumeMounts", "VolumeMount list")?;
    for (index, mount) in mounts.iter().enumerate() {
        let name = &mount["name"];
        if !volumes.iter().any(|volume| volume["name"] == *name) {
            return Err(ValueError::new(
                format!("volumeMounts[{index}].name"),
                format!(
                    "is {name}, which names none of the volumes; add it to volumes or fix the name"
                ),
            ));
        }
    }
    Ok(mounts)
}

/// The items of a list value with their positions; none for `null`.
fn items(list: &Json) -> impl Iterator<Item = (usize, &Json)> {
    list.as_array().into_iter().flatten().enumerate()
}

fn list<T: DeserializeOwned>(
    values: Values<'_>,
    path: &str,
    kind: &str,
) -> Result<Vec<Json>, ValueError> {
    match typed::<Vec<T>>(values, path, kind)? {
        Json::Array(items) => Ok(items),
        _ => Ok(Vec::new()),
    }
}

/// The value at `path` (`null` when missing), once it reads as a `T`
/// (`kind` names it in messages) with no field `T` does not know.
pub(crate) fn typed<T: DeserializeOwned>(
    values: Values<'_>,
    path: &str,
    kind: &str,
) -> Result<Json, ValueError> {
    let Some(value) = values.optional(path) else {
        return Ok(Json::Null);
    };
    if let Some(gap) = value
        .as_array()
        .and_then(|items| items.iter().position(Json::is_null))
    {
        return Err(ValueError::new(
            format!("{path}[{gap}]"),
            "is null; a list item cannot be empty (a --set position past the end of a list \
             fills the positions before it with null: set those too, counting from 0)",
        ));
    }
    check::<T>(value, path, kind)?;
    Ok(value.clone())
}

/// Checks that `value` reads as a `T` with no unknown field.
pub(crate) fn check<T: DeserializeOwned>(
    value: &Json,
    path: &str,
    kind: &str,
) -> Result<(), ValueError> {
    let mut unknown = Vec::new();
    // serde_ignored writes `?` for an Option it passed through; paths name fields only.
    let read: Result<T, _> = serde_ignored::deserialize(value, |field| {
        let field = field.to_string();
        let parts: Vec<&str> = field.split('.').filter(|part| *part != "?").collect();
        unknown.push(parts.join("."));
    });
    if let Err(error) = read {
        return Err(ValueError::new(
            path,
            format!("does not read as Kubernetes' {kind}: {error}"),
        ));
    }
    match unknown.first() {
        None => Ok(()),
        Some(field) => Err(ValueError::new(
            format!("{path}.{field}"),
            format!(
                "is not a field of Kubernetes' {kind}; check its spelling and case \
                 against the Kubernetes API reference"
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn checked<T: DeserializeOwned>(value: &Json) -> Result<(), String> {
        check::<T>(value, "v", "T").map_err(|error| error.to_string())
    }

    #[test]
    fn known_fields_pass() {
        checked::<SecurityContext>(
            &json!({"runAsNonRoot": true, "capabilities": {"drop": ["ALL"]}}),
        )
        .unwrap();
        checked::<Vec<EnvVar>>(&json!([{"name": "A", "value": "1"}])).unwrap();
    }

    #[test]
    fn unknown_fields_are_named_with_their_path() {
        let error =
            checked::<SecurityContext>(&json!({"capabilities": {"drp": ["ALL"]}})).unwrap_err();
        assert!(error.contains("`v.capabilities.drp`"), "{error}");
        let error = checked::<Vec<EnvVar>>(&json!([{"name": "A", "vaule": "1"}])).unwrap_err();
        assert!(error.contains("vaule"), "{error}");
    }

    #[test]
    fn wrong_types_are_refused() {
        let error = checked::<ResourceRequirements>(&json!({"limits": ["cpu"]})).unwrap_err();
        assert!(
            error.contains("ResourceRequirements") || error.contains("T"),
            "{error}"
        );
        checked::<Vec<String>>(&json!("--flag")).unwrap_err();
    }
}
