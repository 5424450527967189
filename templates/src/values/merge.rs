//! Deep merge of value mappings, and the check that every key set is one
//! `values.yaml` knows.

use serde_json::{Map, Value as Json};

use crate::error::ValueError;

use super::suggest::closest;

/// Values whose keys are not listed in `values.yaml`: label and annotation
/// maps, Kubernetes objects (checked against the Kubernetes types instead) and
/// `extra`, which belongs to a team's own templates.
pub(crate) const FREE_FORM: [&str; 11] = [
    "labels",
    "annotations",
    "podAnnotations",
    "nodeSelector",
    "resources",
    "podSecurityContext",
    "securityContext",
    "affinity",
    "strategy",
    "extra",
    "alerts.labels",
];

/// Merges `overlay` into `base`: mappings merge key by key, anything else
/// replaces, and `null` removes the key (as in Helm).
pub(crate) fn merge(base: &mut Map<String, Json>, overlay: Map<String, Json>) {
    for (key, value) in overlay {
        match (base.get_mut(&key), value) {
            (_, Json::Null) => {
                base.shift_remove(&key);
            }
            (Some(Json::Object(inner)), Json::Object(value)) => merge(inner, value),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

/// Fails on the first key of `overlay` that `defaults` does not have, naming
/// the closest known key. The [`FREE_FORM`] values take any keys.
pub(crate) fn known_keys(
    defaults: &Map<String, Json>,
    overlay: &Map<String, Json>,
) -> Result<(), ValueError> {
    check(defaults, overlay, "")
}

fn check(
    defaults: &Map<String, Json>,
    overlay: &Map<String, Json>,
    prefix: &str,
) -> Result<(), ValueError> {
    for (key, value) in overlay {
        let path = format!("{prefix}{key}");
        match (defaults.get(key), value) {
            (None, _) => {
                let known: Vec<&str> = defaults.keys().map(String::as_str).collect();
                let hint = closest(key, known.iter().copied()).map_or_else(
                    || "check the spelling against values.yaml".to_owned(),
                    |key| format!("did you mean `{prefix}{key}`?"),
                );
                return Err(ValueError::new(
                    path,
                    format!(
                        "is not a known value; {hint} (known here: {})",
                        known.join(", ")
                    ),
                ));
            }
            _ if FREE_FORM.contains(&path.as_str()) => {}
            (Some(Json::Object(inner)), Json::Object(value)) => {
                check(inner, value, &format!("{path}."))?;
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(value: Json) -> Map<String, Json> {
        match value {
            Json::Object(map) => map,
            _ => unreachable!("test values are mappings"),
        }
    }

    #[test]
    fn mappings_merge_and_scalars_replace() {
        let mut base = map(json!({"a": {"b": 1, "c": 2}, "d": 3}));
        merge(&mut base, map(json!({"a": {"c": 20}, "d": "x"})));
        assert_eq!(
            Json::Object(base),
            json!({"a": {"b": 1, "c": 20}, "d": "x"})
        );
    }

    #[test]
    fn null_removes_the_key() {
        let mut base = map(json!({"a": {"b": 1}, "d": 3}));
        merge(&mut base, map(json!({"a": {"b": null}, "d": null})));
        assert_eq!(Json::Object(base), json!({"a": {}}));
    }

    #[test]
    fn unknown_keys_are_named_with_their_path_and_the_closest_key() {
        let defaults = map(json!({"readiness": {"periodSeconds": 10}}));
        let error = known_keys(&defaults, &map(json!({"readiness": {"period": 1}}))).unwrap_err();
        let error = error.to_string();
        assert!(error.contains("`readiness.period`"), "{error}");
        assert!(
            error.contains("did you mean `readiness.periodSeconds`?"),
            "{error}"
        );
    }

    #[test]
    fn free_form_values_take_any_key() {
        let defaults = map(json!({"labels": {}, "securityContext": {"runAsNonRoot": true}}));
        let overlay = json!({"labels": {"team": "core"}, "securityContext": {"runAsGroup": 1}});
        known_keys(&defaults, &map(overlay)).unwrap();
    }

    #[test]
    fn other_mappings_are_checked_even_when_empty_by_default() {
        let defaults = map(json!({"service": {}}));
        known_keys(&defaults, &map(json!({"service": {"x": 1}}))).unwrap_err();
    }
}
