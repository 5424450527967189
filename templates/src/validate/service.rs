//! The admin port, Prometheus scraping, the Service and the PodDisruptionBudget.

use serde_json::Value as Json;

use crate::config::{ContainerPort, Labels, Pdb, ServicePort, ServiceSetup};
use crate::error::ValueError;

use super::read::{INT32_MAX, Values};

/// `adminPort`, which must differ from the gRPC port.
pub(crate) fn admin_port(values: Values<'_>, port: i64) -> Result<Option<i64>, ValueError> {
    let admin = values.optional_int("adminPort", 1, 65535)?;
    if admin == Some(port) {
        return Err(ValueError::new(
            "adminPort",
            format!("is {port}, the gRPC port too; the admin endpoints need a port of their own"),
        ));
    }
    if admin.is_none() && values.bool("metrics.scrape")? {
        return Err(ValueError::new(
            "adminPort",
            "is missing, and metrics.scrape=true scrapes /metrics on it; set adminPort or \
             metrics.scrape=false",
        ));
    }
    Ok(admin)
}

/// Adds the Prometheus scrape annotations when `metrics.scrape` is on.
pub(crate) fn scrape_annotations(
    values: Values<'_>,
    admin_port: Option<i64>,
    annotations: &mut Labels,
) -> Result<(), ValueError> {
    let path = values.string("metrics.path")?;
    if !path.starts_with('/') {
        return Err(ValueError::new(
            "metrics.path",
            format!("is {path:?}; use an absolute URL path such as /metrics"),
        ));
    }
    if let (true, Some(port)) = (values.bool("metrics.scrape")?, admin_port) {
        for (key, value) in [
            ("prometheus.io/scrape", "true".to_owned()),
            ("prometheus.io/port", port.to_string()),
            ("prometheus.io/path", path.to_owned()),
        ] {
            annotations.insert(key.to_owned(), value);
        }
    }
    Ok(())
}

/// The container ports.
pub(crate) fn container_ports(port: i64, admin_port: Option<i64>) -> Vec<ContainerPort> {
    let mut ports = vec![ContainerPort {
        name: "grpc",
        container_port: port,
    }];
    ports.extend(admin_port.map(|port| ContainerPort {
        name: "admin",
        container_port: port,
    }));
    ports
}

/// The Service: headless or not, and its ports.
pub(crate) fn service(
    values: Values<'_>,
    port: i64,
    admin_port: Option<i64>,
) -> Result<ServiceSetup, ValueError> {
    let mut ports = vec![ServicePort {
        name: "grpc",
        port,
        target_port: "grpc",
        app_protocol: "grpc",
    }];
    ports.extend(admin_port.map(|port| ServicePort {
        name: "admin",
        port,
        target_port: "admin",
        app_protocol: "http",
    }));
    Ok(ServiceSetup {
        headless: values.bool("service.headless")?,
        ports,
    })
}

/// The PodDisruptionBudget, when `pdb.enabled`: exactly one of its bounds.
pub(crate) fn pdb(values: Values<'_>) -> Result<Option<Pdb>, ValueError> {
    if !values.bool("pdb.enabled")? {
        return Ok(None);
    }
    let min = bound(values, "pdb.minAvailable")?;
    let max = bound(values, "pdb.maxUnavailable")?;
    match (&min, &max) {
        (Some(_), Some(_)) => Err(ValueError::new(
            "pdb.minAvailable",
            "and pdb.maxUnavailable are both set; a PodDisruptionBudget takes one of them, so \
             set the other to null",
        )),
        (None, None) => Err(ValueError::new(
            "pdb.maxUnavailable",
            "and pdb.minAvailable are both missing; set one of them",
        )),
        _ => Ok(Some(Pdb {
            min_available: min,
            max_unavailable: max,
        })),
    }
}

/// A number of pods or a percentage such as `"50%"`.
fn bound(values: Values<'_>, path: &str) -> Result<Option<Json>, ValueError> {
    let Some(value) = values.optional(path) else {
        return Ok(None);
    };
    let percent = value
        .as_str()
        .and_then(|text| text.strip_suffix('%'))
        .and_then(|digits| digits.parse::<u8>().ok())
        .is_some_and(|percent| percent <= 100);
    let count = value.as_i64().is_some_and(|n| (0..=INT32_MAX).contains(&n));
    if percent || count {
        Ok(Some(value.clone()))
    } else {
        Err(ValueError::new(
            path,
            format!("is {value}; use a number of pods (0 or more) or a percentage such as \"50%\""),
        ))
    }
}
