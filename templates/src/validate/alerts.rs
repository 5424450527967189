//! `alerts.*`: checks the per-service thresholds and builds the rule groups
//! both alert templates lay out (a PrometheusRule's `spec.groups` and a plain
//! rules file's `groups`), so the two always say the same thing.
//!
//! The expressions read the names grpc-rpc-metrics (go-grpc-middleware's)
//! and grpc-health-checks expose; every alert carries `grpc_service`.

use serde_json::{Value as Json, json};

// The codes `grpc_code` spells, for checking `alerts.errorRatio.codes`.
use grpc_health_proto::code::GO_NAMES as CODES;

use crate::config::Alerts;
use crate::error::ValueError;
use crate::values::kind;

use super::names;
use super::read::Values;

/// The alerts, or `None` without `alerts.grpcService` (then neither template
/// renders; `alerts.enabled` requires it).
pub(crate) fn alerts(
    values: Values<'_>,
    name: &str,
    readiness_service: &str,
) -> Result<Option<Alerts>, ValueError> {
    let enabled = values.bool("alerts.enabled")?;
    let Some(service) = values.optional("alerts.grpcService") else {
        if enabled {
            return Err(ValueError::new(
                "alerts.grpcService",
                "is missing: alerts.enabled needs the full name of the gRPC service the alerts \
                 watch, e.g. helloworld.Greeter",
            ));
        }
        return Ok(None);
    };
    let service = service.as_str().unwrap_or_default();
    let valid_service = !service.is_empty()
        && service.split('.').all(|part| {
            !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
    if !valid_service {
        return Err(ValueError::new(
            "alerts.grpcService",
            "must be a full gRPC service name (dot-separated parts of letters, digits and \
             '_'), e.g. helloworld.Greeter",
        ));
    }
    let selector = matchers(values)?;
    let mut labels = serde_json::Map::new();
    for (key, value) in values.entries("alerts.labels")? {
        let path = format!("alerts.labels.{key}");
        let valid_key = key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid_key || matches!(key, "grpc_service" | "severity") {
            return Err(ValueError::new(
                path,
                "must be a Prometheus label name (letters, digits, '_', not first a digit) other \
                 than grpc_service and severity, which every alert sets itself",
            ));
        }
        let Some(text) = value.as_str() else {
            return Err(ValueError::new(
                path,
                format!("must be a string, not {}", kind(value)),
            ));
        };
        labels.insert(key.to_owned(), Json::from(text));
    }
    let context = Context {
        service,
        selector: &selector,
        labels: &labels,
    };
    let health_service = match values.text("alerts.notServing.healthService")? {
        text if text.is_empty() => service.to_owned(),
        text => text,
    };
    let rules = vec![
        error_ratio(values, &context)?,
        latency(values, &context)?,
        not_serving(values, &context, &health_service)?,
        flapping(values, &context, readiness_service)?,
    ];
    Ok(Some(Alerts {
        enabled,
        groups: json!([{ "name": format!("{name}-grpc"), "rules": rules }]),
    }))
}

/// What every rule of one service shares.
struct Context<'a> {
    service: &'a str,
    /// `,matcher,…` to append inside a selector's braces, or empty.
    selector: &'a str,
    labels: &'a serde_json::Map<String, Json>,
}

impl Context<'_> {
    fn rule(
        &self,
        alert: &str,
        expr: String,
        duration: &str,
        severity: &str,
        annotations: Json,
    ) -> Json {
        let mut labels = self.labels.clone();
        labels.insert("grpc_service".into(), Json::from(self.service));
        labels.insert("severity".into(), Json::from(severity));
        let mut rule = json!({ "alert": alert });
        rule["expr"] = Json::String(expr);
        if duration != "0s" {
            rule["for"] = Json::from(duration);
        }
        rule["labels"] = Json::Object(labels);
        rule["annotations"] = annotations;
        rule
    }
}

fn error_ratio(values: Values<'_>, c: &Context<'_>) -> Result<Json, ValueError> {
    let threshold = fraction(values, "alerts.errorRatio.threshold")?;
    let window = duration(values, "alerts.errorRatio.window")?;
    let lasting = duration(values, "alerts.errorRatio.for")?;
    let severity = severity(values, "alerts.errorRatio.severity")?;
    let codes = codes(values)?;
    let (service, selector) = (c.service, c.selector);
    let calls = format!(r#"grpc_server_handled_total{{grpc_service="{service}"{selector}"#);
    let expr = format!(
        r#"sum by (grpc_service) (rate({calls},grpc_code=~"{codes}"}}[{window}])) / sum by (grpc_service) (rate({calls}}}[{window}])) > {threshold}"#,
        codes = codes.join("|"),
    );
    Ok(c.rule(
        "GrpcErrorRatioHigh",
        expr,
        &lasting,
        &severity,
        json!({
            "summary": format!("{service}: more than {} of calls fail", percent(threshold)),
            "description": format!(
                "{{{{ $value | humanizePercentage }}}} of {service} calls ended with a server error \
                 ({}) over the last {window}, above the {} threshold for {lasting}. Look at \
                 grpc_server_handled_total by grpc_method and grpc_code to find the failing \
                 method, then at the server's logs and its dependencies.",
                codes.join(", "),
                percent(threshold),
            ),
        }),
    ))
}

fn latency(values: Values<'_>, c: &Context<'_>) -> Result<Json, ValueError> {
    let seconds = positive(values, "alerts.latency.p99Seconds")?;
    let window = duration(values, "alerts.latency.window")?;
    let lasting = duration(values, "alerts.latency.for")?;
    let severity = severity(values, "alerts.latency.severity")?;
    let (service, selector) = (c.service, c.selector);
    let expr = format!(
        r#"histogram_quantile(0.99, sum by (grpc_service, le) (rate(grpc_server_handling_seconds_bucket{{grpc_service="{service}",grpc_type="unary"{selector}}}[{window}]))) > {seconds}"#
    );
    Ok(c.rule(
        "GrpcLatencyP99High",
        expr,
        &lasting,
        &severity,
        json!({
            "summary": format!("{service}: 99th-percentile latency above {seconds}s"),
            "description": format!(
                "1% of {service} unary calls took longer than {{{{ $value | humanizeDuration }}}} \
                 over the last {window} (threshold {seconds}s, for {lasting}). Compare \
                 grpc_server_handling_seconds by grpc_method, and check the server's CPU, \
                 its dependencies and the number of replicas."
            ),
        }),
    ))
}

fn not_serving(
    values: Values<'_>,
    c: &Context<'_>,
    health_service: &str,
) -> Result<Json, ValueError> {
    let lasting = duration(values, "alerts.notServing.for")?;
    let severity = severity(values, "alerts.notServing.severity")?;
    let (service, selector) = (c.service, c.selector);
    let expr =
        format!(r#"grpc_health_service_serving{{service="{health_service}"{selector}}} == 0"#);
    Ok(c.rule(
        "GrpcHealthNotServing",
        expr,
        &lasting,
        &severity,
        json!({
            "summary": format!("{service}: {{{{ $labels.instance }}}} answers NOT_SERVING"),
            "description": format!(
                "The health service {health_service:?} of {{{{ $labels.instance }}}} has answered \
                 NOT_SERVING for more than {lasting}, so it gets no traffic. \
                 grpc_health_check_status shows which check fails (0), and /healthz on the admin \
                 port says why."
            ),
        }),
    ))
}

fn flapping(values: Values<'_>, c: &Context<'_>, readiness: &str) -> Result<Json, ValueError> {
    let changes = values.int("alerts.readinessFlapping.changes", 1, i64::from(i32::MAX))?;
    let window = duration(values, "alerts.readinessFlapping.window")?;
    let severity = severity(values, "alerts.readinessFlapping.severity")?;
    let (service, selector) = (c.service, c.selector);
    let expr = format!(
        r#"increase(grpc_health_service_transitions_total{{service="{readiness}"{selector}}}[{window}]) > {changes}"#
    );
    Ok(c.rule(
        "GrpcReadinessFlapping",
        expr,
        "0s",
        &severity,
        json!({
            "summary": format!("{service}: readiness of {{{{ $labels.instance }}}} keeps changing"),
            "description": format!(
                "The readiness health service {readiness:?} of {{{{ $labels.instance }}}} changed \
                 status more than {changes} times in {window}: the pod keeps entering and leaving \
                 the Service's endpoints. Look for a readiness check near its threshold or timeout \
                 (grpc_health_check_runs_total by result, grpc_health_check_duration_seconds)."
            ),
        }),
    ))
}

/// `alerts.selector` as `,matchers` to append inside braces.
fn matchers(values: Values<'_>) -> Result<String, ValueError> {
    let selector = values.text("alerts.selector")?;
    let selector = selector.trim().trim_matches(',');
    if selector.is_empty() {
        return Ok(String::new());
    }
    if selector.contains(['{', '}', '\n']) {
        return Err(ValueError::new(
            "alerts.selector",
            "must be label matchers without braces, e.g. namespace=\"shop\",job=\"cart\"",
        ));
    }
    Ok(format!(",{selector}"))
}

/// A Prometheus duration such as `30s`, `5m`, `1h30m`.
fn duration(values: Values<'_>, path: &str) -> Result<String, ValueError> {
    let text = values.text(path)?;
    let mut rest = text.as_str();
    let mut parts = 0;
    while !rest.is_empty() {
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        let after = &rest[digits..];
        let unit = ["ms", "s", "m", "h", "d", "w", "y"]
            .into_iter()
            .find(|unit| after.starts_with(unit));
        let (true, Some(unit)) = (digits > 0, unit) else {
            return Err(ValueError::new(
                path,
                format!("is {text:?}, not a Prometheus duration: use e.g. 30s, 5m or 1h30m"),
            ));
        };
        rest = &after[unit.len()..];
        parts += 1;
    }
    if parts == 0 {
        return Err(ValueError::new(
            path,
            "is empty: use a Prometheus duration such as 5m",
        ));
    }
    Ok(text)
}

/// A number; a string holding one is taken too, since `--set` types only
/// whole numbers (`--set alerts.errorRatio.threshold=0.01` is a string).
fn number(values: Values<'_>, path: &str) -> Result<f64, ValueError> {
    let value = values.required(path)?;
    value
        .as_f64()
        .or_else(|| value.as_str().and_then(|text| text.trim().parse().ok()))
        .ok_or_else(|| ValueError::new(path, format!("must be a number, not {}", kind(value))))
}

/// A number `valid` accepts; else the error says to `use` something else.
fn number_where(
    values: Values<'_>,
    path: &str,
    valid: fn(f64) -> bool,
    instead: &str,
) -> Result<f64, ValueError> {
    let value = number(values, path)?;
    if valid(value) {
        Ok(value)
    } else {
        Err(ValueError::new(path, format!("is {value}: use {instead}")))
    }
}

fn fraction(values: Values<'_>, path: &str) -> Result<f64, ValueError> {
    let instead = "a fraction between 0 and 1, e.g. 0.05 for 5%";
    number_where(values, path, |value| value > 0.0 && value < 1.0, instead)
}

fn positive(values: Values<'_>, path: &str) -> Result<f64, ValueError> {
    let instead = "a number of seconds above 0, e.g. 0.5";
    number_where(
        values,
        path,
        |value| value > 0.0 && value.is_finite(),
        instead,
    )
}

fn severity(values: Values<'_>, path: &str) -> Result<String, ValueError> {
    let text = values.text(path)?;
    names::label_value(path, &text)?;
    if text.is_empty() {
        return Err(ValueError::new(
            path,
            "is empty: use e.g. critical, warning or info",
        ));
    }
    Ok(text)
}

fn codes(values: Values<'_>) -> Result<Vec<&str>, ValueError> {
    let path = "alerts.errorRatio.codes";
    let value = values.required(path)?;
    let refuse = || {
        ValueError::new(
            path,
            format!(
                "must be a non-empty list of gRPC codes as grpc_code spells them: {}",
                CODES.join(", ")
            ),
        )
    };
    let list = value
        .as_array()
        .filter(|list| !list.is_empty())
        .ok_or_else(refuse)?;
    list.iter()
        .map(|code| {
            code.as_str()
                .filter(|code| CODES.contains(code))
                .ok_or_else(refuse)
        })
        .collect()
}

fn percent(fraction: f64) -> String {
    format!("{}%", (fraction * 1e6).round() / 1e4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_prometheus_durations() {
        let durations =
            json!({"ok": "1h30m", "ms": "500ms", "bad": "5 min", "neg": "-5m", "unitless": "5"});
        let Json::Object(map) = durations else {
            unreachable!("a mapping")
        };
        let values = Values::new(&map);
        assert_eq!(duration(values, "ok").unwrap(), "1h30m");
        assert_eq!(duration(values, "ms").unwrap(), "500ms");
        for path in ["bad", "neg", "unitless"] {
            let error = duration(values, path).unwrap_err().to_string();
            assert!(error.contains("not a Prometheus duration"), "{error}");
        }
    }

    #[test]
    fn percentages_read_like_people_write_them() {
        assert_eq!(percent(0.05), "5%");
        assert_eq!(percent(0.001), "0.1%");
    }
}
