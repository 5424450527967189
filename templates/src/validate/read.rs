//! Typed reads of dotted value paths; each failure names the path and says what
//! to write instead.

use serde_json::{Map, Value as Json};

use crate::error::ValueError;
use crate::values::kind;

/// The largest number Kubernetes takes in an int32 field.
pub(crate) const INT32_MAX: i64 = i32::MAX as i64;

/// The merged values, read by dotted path (`readiness.periodSeconds`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Values<'a>(&'a Map<String, Json>);

impl<'a> Values<'a> {
    /// Wraps the merged values.
    pub(crate) const fn new(values: &'a Map<String, Json>) -> Self {
        Self(values)
    }

    /// The value at `path`; `null` counts as missing.
    pub(crate) fn required(self, path: &str) -> Result<&'a Json, ValueError> {
        let mut parts = path.split('.');
        let first = parts.next().and_then(|key| self.0.get(key));
        parts
            .try_fold(first, |value, key| Some(value?.get(key)))
            .flatten()
            .filter(|value| !value.is_null())
            .ok_or_else(|| {
                ValueError::new(
                    path,
                    format!("is missing; set it in a values file or with --set {path}=..."),
                )
            })
    }

    /// The value at `path`, or `None` when it is missing or `null`.
    pub(crate) fn optional(self, path: &str) -> Option<&'a Json> {
        self.required(path).ok()
    }

    /// A whole number from `min` to `max`, or `None` when missing or `null`.
    pub(crate) fn optional_int(
        self,
        path: &str,
        min: i64,
        max: i64,
    ) -> Result<Option<i64>, ValueError> {
        self.optional(path)
            .map(|_| self.int(path, min, max))
            .transpose()
    }

    /// A bool.
    pub(crate) fn bool(self, path: &str) -> Result<bool, ValueError> {
        match self.required(path)? {
            Json::Bool(b) => Ok(*b),
            other => Err(ValueError::new(
                path,
                format!("is {other}, not true or false"),
            )),
        }
    }

    /// A non-empty string.
    pub(crate) fn string(self, path: &str) -> Result<&'a str, ValueError> {
        match self.required(path)? {
            Json::String(s) if s.trim().is_empty() => Err(ValueError::new(
                path,
                "is empty; give it a value or leave it out to use the default",
            )),
            Json::String(s) => Ok(s),
            other => Err(ValueError::new(
                path,
                format!(
                    "must be a string, not {} ({other}); in a values file, quote it",
                    kind(other)
                ),
            )),
        }
    }

    /// A string, number or bool, as text (label values and service names, where
    /// `--set version=2` should still mean the text `2`). May be empty.
    pub(crate) fn text(self, path: &str) -> Result<String, ValueError> {
        match self.required(path)? {
            Json::String(s) => Ok(s.clone()),
            scalar @ (Json::Number(_) | Json::Bool(_)) => Ok(scalar.to_string()),
            other => Err(ValueError::new(
                path,
                format!("must be a string, not {}", kind(other)),
            )),
        }
    }

    /// A whole number from `min` to `max`.
    pub(crate) fn int(self, path: &str, min: i64, max: i64) -> Result<i64, ValueError> {
        let value = self.required(path)?;
        let range = format!("a whole number from {min} to {max}");
        let n = match value {
            Json::Number(n) => n.as_i64().ok_or_else(|| {
                ValueError::new(path, format!("is {n}, not a number it can be: use {range}"))
            })?,
            Json::String(_) => {
                return Err(ValueError::new(
                    path,
                    format!("is the string {value}, not a number: use {range}, unquoted"),
                ));
            }
            other => {
                return Err(ValueError::new(
                    path,
                    format!("is {}, not a number: use {range}", kind(other)),
                ));
            }
        };
        if (min..=max).contains(&n) {
            Ok(n)
        } else {
            Err(ValueError::new(
                path,
                format!("is {n}, out of range: use {range}"),
            ))
        }
    }

    /// One of `choices`.
    pub(crate) fn one_of(self, path: &str, choices: &[&str]) -> Result<&'a str, ValueError> {
        let value = self.required(path)?;
        match value.as_str() {
            Some(s) if choices.contains(&s) => Ok(s),
            _ => Err(ValueError::new(
                path,
                format!("is {value}, not one of: {}", choices.join(", ")),
            )),
        }
    }

    /// The entries of a mapping; none when it is missing.
    pub(crate) fn entries(self, path: &str) -> Result<Vec<(&'a str, &'a Json)>, ValueError> {
        match self.required(path) {
            Err(_) => Ok(Vec::new()),
            Ok(Json::Object(map)) => Ok(map.iter().map(|(k, v)| (k.as_str(), v)).collect()),
            Ok(other) => Err(ValueError::new(
                path,
                format!("must be a mapping of key: value, not {}", kind(other)),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn with(value: Json, test: impl FnOnce(Values<'_>)) {
        let Json::Object(map) = value else {
            unreachable!("test values are mappings")
        };
        test(Values::new(&map));
    }

    #[test]
    fn nested_paths_are_read() {
        with(json!({"a": {"b": 3}}), |v| {
            assert_eq!(v.int("a.b", 1, 5).unwrap(), 3);
        });
    }

    #[test]
    fn null_and_absent_are_missing() {
        with(json!({"a": null}), |v| {
            assert!(
                v.required("a")
                    .unwrap_err()
                    .to_string()
                    .contains("`a` is missing")
            );
            assert!(
                v.required("b.c")
                    .unwrap_err()
                    .to_string()
                    .contains("`b.c` is missing")
            );
        });
    }

    #[test]
    fn quoted_numbers_are_refused_with_a_hint() {
        with(json!({"port": "8080"}), |v| {
            let error = v.int("port", 1, 65535).unwrap_err().to_string();
            assert!(error.contains("unquoted"), "{error}");
        });
    }

    #[test]
    fn out_of_range_names_the_range() {
        with(json!({"port": 70000}), |v| {
            let error = v.int("port", 1, 65535).unwrap_err().to_string();
            assert!(error.contains("from 1 to 65535"), "{error}");
        });
    }

    #[test]
    fn text_accepts_scalars() {
        with(json!({"v": 2, "b": true}), |v| {
            assert_eq!(v.text("v").unwrap(), "2");
            assert_eq!(v.text("b").unwrap(), "true");
        });
    }
}
