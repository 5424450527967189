//! The JSON answer of a health endpoint (`?format=json`, or `Accept:
//! application/json`): the verdict, and each check's status, groups,
//! optional flag, timing and, when details are allowed, reason. The schema
//! is written once, in the crate documentation ("JSON answers").

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};

use crate::snapshot::{CheckSnapshot, CheckStatus};

/// What one answer covers.
pub(crate) struct Answer<'a> {
    /// The health service whose status the endpoint reports.
    pub(crate) service: &'a str,
    pub(crate) passed: bool,
    pub(crate) draining: bool,
    /// Failure reasons go in.
    pub(crate) details: bool,
}

/// The body: `checks` with, for each, whether it is excluded from the verdict.
pub(crate) fn body<'a>(
    answer: &Answer<'_>,
    checks: impl Iterator<Item = (&'a CheckSnapshot, bool)>,
    now: SystemTime,
) -> String {
    let checks: Vec<Value> = checks
        .map(|(check, excluded)| entry(check, excluded, answer.details, now))
        .collect();
    let body = json!({
        "status": if answer.passed { "pass" } else { "fail" },
        "service": answer.service,
        "draining": answer.draining,
        "checks": checks,
    });
    body.to_string() + "\n"
}

fn entry(check: &CheckSnapshot, excluded: bool, details: bool, now: SystemTime) -> Value {
    let since_change = check.last_change.map(|changed| {
        now.duration_since(changed)
            .unwrap_or_default()
            .as_secs_f64()
    });
    let changed_at = check.last_change.map(|changed| {
        changed
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs_f64()
    });
    let mut entry = Map::new();
    entry.insert("name".into(), check.name.as_str().into());
    entry.insert("status".into(), status_name(check.status).into());
    let groups = check.groups.iter().map(|group| group.service_name());
    entry.insert("groups".into(), groups.collect::<Vec<_>>().into());
    entry.insert("optional".into(), check.optional.into());
    entry.insert("excluded".into(), excluded.into());
    entry.insert("evaluations".into(), check.evaluations.into());
    let duration = check.last_duration.map(|duration| duration.as_secs_f64());
    entry.insert("last_duration_seconds".into(), duration.into());
    entry.insert("last_change_unix_seconds".into(), changed_at.into());
    entry.insert("seconds_since_change".into(), since_change.into());
    if details && let Some(reason) = &check.reason {
        entry.insert("reason".into(), super::reason::bounded(reason).into());
    }
    Value::Object(entry)
}

/// A status as the schema spells it.
const fn status_name(status: CheckStatus) -> &'static str {
    match status {
        CheckStatus::Pending => "pending",
        CheckStatus::Passing => "passing",
        CheckStatus::Failing => "failing",
        CheckStatus::Degraded => "degraded",
    }
}
