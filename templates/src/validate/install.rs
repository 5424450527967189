//! `probe.mode` and `probe.install`: which handler the probes use, and for
//! `install: initContainer` the init container, volume and mount that bring
//! grpc-probe into the pod.

use serde_json::{Value as Json, json};

use crate::config::{PROBE_MOUNT_PATH, PROBE_VOLUME, PodValues, ProbeSetup};
use crate::error::ValueError;

use super::probes::{Exec, Handler};
use super::read::Values;
use super::tls::ProbeTls;

/// The probe setup and the exec path, if any.
#[derive(Debug)]
pub(crate) struct Install {
    /// What the templates see under `probe`.
    pub(crate) setup: ProbeSetup,
    /// grpc-probe's path in the server container (exec mode).
    pub(crate) exec_path: Option<String>,
}

/// Reads `probe.mode` and `probe.install`, refusing contradictions.
pub(crate) fn install(
    values: Values<'_>,
    pod: &PodValues,
    admin_port: Option<i64>,
) -> Result<Install, ValueError> {
    let mode = values.one_of("probe.mode", &["exec", "grpc", "http"])?;
    let install = values.one_of("probe.install", &["image", "initContainer"])?;
    if mode != "exec" && install == "initContainer" {
        return Err(ValueError::new(
            "probe.install",
            format!(
                "is initContainer while probe.mode is {mode}: the init container installs \
                 grpc-probe for probe.mode=exec, and kubelet runs {mode} probes itself. Set \
                 probe.install=image (the default) or probe.mode=exec"
            ),
        ));
    }
    if mode == "http" && admin_port.is_none() {
        return Err(ValueError::new(
            "adminPort",
            "is missing, and probe.mode=http probes /readyz and /livez on it; set adminPort \
             to the port of the server's HTTP admin endpoints",
        ));
    }
    let mut setup = ProbeSetup {
        mode: mode.to_owned(),
        install: install.to_owned(),
        init_container: None,
        volume: None,
        volume_mount: None,
    };
    let exec_path = match (mode, install) {
        ("exec", "image") => Some(absolute(values, "probe.path")?.to_owned()),
        ("exec", _) => {
            let installed = format!("{PROBE_MOUNT_PATH}/grpc-probe");
            let mut init = json!({
                "name": "install-grpc-probe",
                "image": values.string("probe.image")?,
                "command": [absolute(values, "probe.imagePath")?, format!("-install={installed}")],
            });
            // Init containers count as the max of their requests and the app's, so
            // sharing the server's resources raises nothing and satisfies quotas.
            for (field, value) in [
                ("resources", &pod.resources),
                ("securityContext", &pod.security_context),
            ] {
                if is_set(value) {
                    init[field] = value.clone();
                }
            }
            init["volumeMounts"] = json!([{"name": PROBE_VOLUME, "mountPath": PROBE_MOUNT_PATH}]);
            setup.init_container = Some(init);
            setup.volume = Some(json!({"name": PROBE_VOLUME, "emptyDir": {}}));
            setup.volume_mount = Some(json!({
                "name": PROBE_VOLUME,
                "mountPath": PROBE_MOUNT_PATH,
                "readOnly": true,
            }));
            Some(installed)
        }
        _ => None,
    };
    Ok(Install { setup, exec_path })
}

/// The probes' handler.
pub(crate) fn handler<'a>(
    values: Values<'_>,
    install: &'a Install,
    port: i64,
    tls: &'a ProbeTls,
) -> Result<Handler<'a>, ValueError> {
    Ok(match (install.setup.mode.as_str(), &install.exec_path) {
        ("exec", Some(path)) => Handler::Exec(Exec::read(values, path, port, &tls.exec_flags)?),
        ("grpc", _) => Handler::Grpc {
            port,
            tls: tls.grpc,
        },
        _ => Handler::Http,
    })
}

/// Whether a Kubernetes value is set: not null, `{}` or `[]`.
pub(crate) fn is_set(value: &Json) -> bool {
    match value {
        Json::Null => false,
        Json::Object(map) => !map.is_empty(),
        Json::Array(items) => !items.is_empty(),
        _ => true,
    }
}

fn absolute<'a>(values: Values<'a>, path: &str) -> Result<&'a str, ValueError> {
    let value = values.string(path)?;
    if value.starts_with('/') {
        Ok(value)
    } else {
        Err(ValueError::new(
            path,
            format!("is {value:?}; use an absolute path such as /usr/local/bin/grpc-probe"),
        ))
    }
}
