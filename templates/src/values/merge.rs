//! Deep merge of value mappings, and the check that every key set (in a
//! values file or by `--set`) is one `values.yaml` knows.

use serde_json::{Map, Value as Json};

use crate::error::ValueError;

use super::set::Step;
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

/// Fails unless every key of a `--set` path, up to its first list position,
/// is one `defaults` knows. List items are not listed in `values.yaml`; they
/// are checked against their Kubernetes type instead.
pub(crate) fn known_path(defaults: &Map<String, Json>, path: &[Step]) -> Result<(), ValueError> {
    let mut defaults = defaults;
    let mut prefix = String::new();
    for step in path {
        let Step::Key(key) = step else {
            break;
        };
        let path = format!("{prefix}{key}");
        match known(defaults, key, &prefix)? {
            _ if FREE_FORM.contains(&path.as_str()) => break,
            Json::Object(inner) => defaults = inner,
            _ => break,
        }
        prefix = format!("{path}.");
    }
    Ok(())
}

fn check(
    defaults: &Map<String, Json>,
    overlay: &Map<String, Json>,
    prefix: &str,
) -> Result<(), ValueError> {
    for (key, value) in overlay {
        let path = format!("{prefix}{key}");
        match (known(defaults, key, prefix)?, value) {
            _ if FREE_FORM.contains(&path.as_str()) => {}
            (Json::Object(inner), Json::Object(value)) => {
                check(inner, value, &format!("{path}."))?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// The default of `key`, or an error naming `prefix` + `key` and the closest known key.
fn known<'a>(
    defaults: &'a Map<String, Json>,
    key: &str,
    prefix: &str,
) -> Result<&'a Json, ValueError> {
    defaults.get(key).ok_or_else(|| {
        let known: Vec<&str> = defaults.keys().map(String::as_str).collect();
        let hint = closest(key, known.iter().copied()).map_or_else(
            || "check the spelling against values.yaml".to_owned(),
            |key| format!("did you mean `{prefix}{key}`?"),
        );
        ValueError::new(
            format!("{prefix}{key}"),
            format!(
                "is not a known value; {hint} (known here: {})",
                known.join(", ")
            ),
        )
    })
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
    fn set_paths_are_checked_up_to_their_first_list_position() {
        let defaults = map(json!({"env": [], "readiness": {"periodSeconds": 10}, "labels": {}}));
        let steps = |arg: &str| super::super::set::parse(arg).unwrap().path;
        known_path(&defaults, &steps("env[0].anything=x")).unwrap();
        known_path(&defaults, &steps("labels.any\\.key=x")).unwrap();
        known_path(&defaults, &steps("readiness.periodSeconds=1")).unwrap();
        let error = known_path(&defaults, &steps("readiness.period[0]=1")).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("did you mean `readiness.periodSeconds`?"),
            "{error}"
        );
        let error = known_path(&defaults, &steps("envs[0].name=A")).unwrap_err();
        assert!(error.to_string().contains("did you mean `env`?"), "{error}");
    }

    #[test]
    fn other_mappings_are_checked_even_when_empty_by_default() {
        let defaults = map(json!({"service": {}}));
        known_keys(&defaults, &map(json!({"service": {"x": 1}}))).unwrap_err();
    }
}
