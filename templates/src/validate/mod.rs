//! Validates the merged values before anything is rendered and turns them into the
//! [`Config`] the templates see. The first problem found is returned, naming the
//! value; a render never starts from values that could make an invalid manifest.

mod alerts;
mod install;
mod names;
mod objects;
mod probes;
mod quantity;
mod read;
mod required;
mod service;
mod shutdown;
mod tls;

use serde_json::{Map, Value as Json};

use crate::config::{Config, Labels, PROBE_VOLUME};
use crate::error::ValueError;
use crate::kube::KubeVersion;
use crate::values::kind;

use self::read::{INT32_MAX, Values};

/// Checks `values` for Kubernetes `version` and builds the template context.
pub(crate) fn config(
    values: &Map<String, Json>,
    version: KubeVersion,
) -> Result<Config, ValueError> {
    let values = Values::new(values);
    required::present(values)?;
    let name = values.string("name")?;
    names::app_name("name", name)?;
    let image = values.string("image")?.to_owned();
    let port = values.int("port", 1, 65535)?;
    let admin_port = service::admin_port(values, port)?;
    let shutdown = shutdown::shutdown(values, version)?;
    let pod = objects::pod_values(values, version)?;
    let install = install::install(values, &pod, admin_port)?;
    let tls = tls::probe_tls(values, &install.setup.mode, version)?;
    let handler = install::handler(values, &install, port, &tls)?;
    let probes = probes::probes(values, handler)?;
    let (labels, selector) = labels(values, name)?;
    let annotations = annotations(values, "annotations")?;
    let mut pod_annotations = self::annotations(values, "podAnnotations")?;
    service::scrape_annotations(values, admin_port, &mut pod_annotations)?;
    names::annotations_size("podAnnotations", &pod_annotations)?;
    let user_volumes = objects::volumes(values)?;
    let user_mounts = objects::volume_mounts(values, &user_volumes)?;
    let volumes = with_probes("volumes", user_volumes, install.setup.volume.as_ref())?;
    let volume_mounts = with_probes(
        "volumeMounts",
        user_mounts,
        install.setup.volume_mount.as_ref(),
    )?;
    Ok(Config {
        name: name.to_owned(),
        namespace: optional_name(values, "namespace", names::app_name)?,
        image,
        port,
        admin_port,
        replicas: values.optional_int("replicas", 0, INT32_MAX)?,
        image_pull_policy: match values.text("imagePullPolicy")?.as_str() {
            "" => None,
            _ => Some(
                values
                    .one_of("imagePullPolicy", &["Always", "IfNotPresent", "Never"])?
                    .to_owned(),
            ),
        },
        labels,
        selector,
        annotations,
        pod_annotations,
        service_account_name: optional_name(values, "serviceAccountName", names::subdomain)?,
        pod,
        volumes,
        volume_mounts,
        ports: service::container_ports(port, admin_port),
        termination_grace_period_seconds: shutdown.grace_period_seconds,
        lifecycle: shutdown.lifecycle,
        kube_version: version.to_string(),
        probe: install.setup,
        probes,
        service: service::service(values, port, admin_port)?,
        pdb: service::pdb(values)?,
        alerts: alerts::alerts(values, name, &values.text("readiness.service")?)?,
        extra: values.optional("extra").cloned().unwrap_or(Json::Null),
    })
}

/// The user's `list` (volumes or volumeMounts) followed by grpc-probe's item,
/// if any, whose name the user's items must not take.
fn with_probes(
    path: &str,
    mut list: Vec<Json>,
    probe: Option<&Json>,
) -> Result<Vec<Json>, ValueError> {
    let Some(probe) = probe else {
        return Ok(list);
    };
    if list.iter().any(|item| item["name"] == PROBE_VOLUME) {
        return Err(ValueError::new(
            path,
            format!(
                "has an item named {PROBE_VOLUME:?}, the name probe.install=initContainer \
                 uses; rename it"
            ),
        ));
    }
    list.push(probe.clone());
    Ok(list)
}

/// A name value where empty means "not set".
fn optional_name(
    values: Values<'_>,
    path: &str,
    rule: fn(&str, &str) -> Result<(), ValueError>,
) -> Result<Option<String>, ValueError> {
    let name = values.text(path)?;
    if name.is_empty() {
        return Ok(None);
    }
    rule(path, &name)?;
    Ok(Some(name))
}

/// All labels, and the subset that selects the pods.
fn labels(values: Values<'_>, name: &str) -> Result<(Labels, Labels), ValueError> {
    let selector = Labels::from([
        ("app.kubernetes.io/name".to_owned(), name.to_owned()),
        ("app.kubernetes.io/instance".to_owned(), name.to_owned()),
    ]);
    let mut labels = selector.clone();
    labels.insert(
        "app.kubernetes.io/managed-by".to_owned(),
        "health-manifests".to_owned(),
    );
    for (path, key) in [
        ("component", "app.kubernetes.io/component"),
        ("partOf", "app.kubernetes.io/part-of"),
        ("version", "app.kubernetes.io/version"),
    ] {
        let value = values.text(path)?;
        names::label_value(path, &value)?;
        if !value.is_empty() {
            labels.insert(key.to_owned(), value);
        }
    }
    for (path, key, text) in string_map(values, "labels")? {
        names::label_value(&path, &text)?;
        if labels.contains_key(&key) {
            return Err(ValueError::new(
                path,
                "is a label the renderer sets itself (from name, component, partOf or version); \
                 remove it from labels and set that value instead",
            ));
        }
        labels.insert(key, text);
    }
    Ok((labels, selector))
}

/// An annotations mapping: label-style keys, any string values, 256 KiB at most.
fn annotations(values: Values<'_>, path: &str) -> Result<Labels, ValueError> {
    let annotations: Labels = string_map(values, path)?
        .into_iter()
        .map(|(_, key, text)| (key, text))
        .collect();
    names::annotations_size(path, &annotations)?;
    Ok(annotations)
}

/// The `(path, key, text)` of each entry of a mapping of label-style keys to
/// scalars, which are rendered as strings.
fn string_map(values: Values<'_>, path: &str) -> Result<Vec<(String, String, String)>, ValueError> {
    let mut entries = Vec::new();
    for (key, value) in values.entries(path)? {
        let path = format!("{path}.{key}");
        names::label_key(&path, key)?;
        let text = match value {
            Json::String(s) => s.clone(),
            Json::Number(_) | Json::Bool(_) => value.to_string(),
            other => {
                return Err(ValueError::new(
                    path,
                    format!("must be a string, not {}", kind(other)),
                ));
            }
        };
        entries.push((path, key.to_owned(), text));
    }
    Ok(entries)
}
