//! Strict schema validation, offline: each YAML document of a rendered stream
//! is parsed with serde_norway into k8s-openapi 1.33 types, failing on unknown
//! fields (reported by serde_ignored) and on duplicate keys (serde_norway's
//! `Value` refuses them).

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use serde::Deserialize;
use serde_norway::Value;

/// One typed manifest.
#[derive(Debug)]
pub(crate) enum Manifest {
    /// An apps/v1 Deployment.
    Deployment(Box<Deployment>),
    /// A v1 Service.
    Service(Box<Service>),
    /// A policy/v1 PodDisruptionBudget.
    Pdb(Box<PodDisruptionBudget>),
}

/// A document, both as parsed YAML (for required-field checks, since
/// k8s-openapi fills in missing required fields) and typed.
#[derive(Debug)]
pub(crate) struct Doc {
    /// The document as YAML.
    pub(crate) raw: Value,
    /// The document as a Kubernetes object.
    pub(crate) manifest: Manifest,
}

/// Parses every document of `stream`, or says what is wrong with the first bad one.
pub(crate) fn parse(stream: &str) -> Result<Vec<Doc>, String> {
    let raws = serde_norway::Deserializer::from_str(stream)
        .map(Value::deserialize)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| format!("not valid YAML (or a duplicate key): {error}"))?;
    let typed = serde_norway::Deserializer::from_str(stream);
    raws.into_iter()
        .zip(typed)
        .enumerate()
        .map(|(index, (raw, document))| {
            let kind = raw.get("kind").and_then(Value::as_str).unwrap_or_default();
            let manifest = match kind {
                "Deployment" => Manifest::Deployment(Box::new(strict(document)?)),
                "Service" => Manifest::Service(Box::new(strict(document)?)),
                "PodDisruptionBudget" => Manifest::Pdb(Box::new(strict(document)?)),
                other => return Err(format!("document {index}: unexpected kind {other:?}")),
            };
            Ok(Doc { raw, manifest })
        })
        .collect()
}

/// Deserializes one document, failing on any field the type does not know.
fn strict<'de, T: Deserialize<'de>>(
    document: serde_norway::Deserializer<'de>,
) -> Result<T, String> {
    let mut unknown = Vec::new();
    let value = serde_ignored::deserialize(document, |path| unknown.push(path.to_string()))
        .map_err(|error| format!("does not fit the schema: {error}"))?;
    if unknown.is_empty() {
        Ok(value)
    } else {
        Err(format!("unknown fields: {}", unknown.join(", ")))
    }
}

/// The Deployments and Services of `docs`.
pub(crate) fn split(docs: &[Doc]) -> (Vec<&Deployment>, Vec<&Service>) {
    let mut deployments = Vec::new();
    let mut services = Vec::new();
    for doc in docs {
        match &doc.manifest {
            Manifest::Deployment(d) => deployments.push(d.as_ref()),
            Manifest::Service(s) => services.push(s.as_ref()),
            Manifest::Pdb(_) => {}
        }
    }
    (deployments, services)
}

/// The PodDisruptionBudgets of `docs`.
pub(crate) fn pdbs(docs: &[Doc]) -> Vec<&PodDisruptionBudget> {
    docs.iter()
        .filter_map(|doc| match &doc.manifest {
            Manifest::Pdb(pdb) => Some(pdb.as_ref()),
            _ => None,
        })
        .collect()
}

#[test]
fn the_validator_refuses_unknown_fields() {
    let error = parse("apiVersion: v1\nkind: Service\nmetadata:\n  name: a\nspec:\n  prots: []\n")
        .unwrap_err();
    assert!(
        error.contains("unknown fields") && error.contains("prots"),
        "{error}"
    );
}

#[test]
fn the_validator_refuses_duplicate_keys() {
    let error =
        parse("apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n  name: b\n").unwrap_err();
    assert!(error.contains("duplicate"), "{error}");
}

#[test]
fn the_validator_refuses_wrong_types() {
    let error =
        parse("apiVersion: v1\nkind: Service\nmetadata:\n  name: a\nspec:\n  ports: [{port: x}]\n")
            .unwrap_err();
    assert!(error.contains("schema"), "{error}");
}
