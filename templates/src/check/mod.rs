//! Checks the merged values before anything is rendered and turns them into the
//! [`Config`] the templates see. The first problem found is returned, naming the
//! value; a render never starts from values that could make an invalid manifest.

mod names;
mod probes;
mod read;

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json};

use crate::config::{Config, PROBE_MOUNT_PATH, Probe, ProbeSetup};
use crate::error::ValueError;
use crate::values::kind;

use self::probes::{Exec, PROBES};
use self::read::{INT32_MAX, Values};

/// Checks `values` and builds the template context.
pub(crate) fn config(values: &Map<String, Json>) -> Result<Config, ValueError> {
    let values = Values::new(values);
    let name = values.string("name")?;
    names::app_name("name", name)?;
    let image = values.string("image")?.to_owned();
    let port = values.int("port", 1, 65535)?;
    let drain = values.int("drainDelaySeconds", 0, INT32_MAX)?;
    let grace = values.int("shutdownGraceSeconds", 0, INT32_MAX)?;
    if grace < 1 {
        return Err(ValueError::new(
            "shutdownGraceSeconds",
            format!(
                "is {grace}; it must be at least 1 so that terminationGracePeriodSeconds \
                 (drainDelaySeconds + shutdownGraceSeconds) exceeds drainDelaySeconds ({drain})"
            ),
        ));
    }
    let probe = probe_setup(values)?;
    let exec_path = probe.exec_path.clone();
    let exec = match probe.mode.as_str() {
        "exec" => Some(Exec::read(values, &exec_path, port)?),
        _ => None,
    };
    let probes = PROBES
        .into_iter()
        .map(|section| probes::probe(values, section, exec.as_ref()))
        .collect::<Result<Vec<Probe>, _>>()?;
    let (labels, selector) = labels(values, name)?;
    Ok(Config {
        name: name.to_owned(),
        image,
        port,
        replicas: values.int("replicas", 0, INT32_MAX)?,
        image_pull_policy: values
            .one_of("imagePullPolicy", &["Always", "IfNotPresent", "Never"])?
            .to_owned(),
        labels,
        selector,
        termination_grace_period_seconds: drain + grace,
        probe,
        probes,
    })
}

fn probe_setup(values: Values<'_>) -> Result<ProbeSetup, ValueError> {
    let mode = values.one_of("probe.mode", &["exec", "grpc"])?;
    let install = values.one_of("probe.install", &["image", "initContainer"])?;
    let absolute = |path: &str| -> Result<String, ValueError> {
        let value = values.string(path)?;
        if value.starts_with('/') {
            Ok(value.to_owned())
        } else {
            Err(ValueError::new(
                path,
                format!("is {value:?}; use an absolute path such as /usr/local/bin/grpc-probe"),
            ))
        }
    };
    // Only the values the chosen mode and install method use are required.
    let (exec_path, image, image_path) = match (mode, install) {
        ("exec", "image") => (absolute("probe.path")?, String::new(), String::new()),
        ("exec", _) => (
            format!("{PROBE_MOUNT_PATH}/grpc-probe"),
            values.string("probe.image")?.to_owned(),
            absolute("probe.imagePath")?,
        ),
        _ => (String::new(), String::new(), String::new()),
    };
    Ok(ProbeSetup {
        mode: mode.to_owned(),
        install: install.to_owned(),
        image,
        image_path,
        mount_path: PROBE_MOUNT_PATH.to_owned(),
        exec_path,
    })
}

type Labels = BTreeMap<String, String>;

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
    for (key, value) in values.entries("labels")? {
        let path = format!("labels.{key}");
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
        names::label_value(&path, &text)?;
        if labels.contains_key(key) {
            return Err(ValueError::new(
                path,
                "is a label the renderer sets itself (from name, component, partOf or version); \
                 remove it from labels and set that value instead",
            ));
        }
        labels.insert(key.to_owned(), text);
    }
    Ok((labels, selector))
}
