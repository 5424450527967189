//! Reading one values document: YAML text into a JSON-shaped mapping.
//!
//! serde_norway follows YAML 1.2, so `yes`, `on` and `no` stay strings. Keys that
//! YAML reads as numbers or bools (`1:`, `true:`) become their text, as in Helm.

use serde_json::{Map, Number, Value as Json};
use serde_norway::Value as Yaml;

/// Parses `text` into the mapping of values it holds; an empty document is an empty mapping.
pub(crate) fn parse(text: &str) -> Result<Map<String, Json>, String> {
    let document: Yaml =
        serde_norway::from_str(text).map_err(|error| format!("is not valid YAML: {error}"))?;
    match to_json(document)? {
        Json::Null => Ok(Map::new()),
        Json::Object(map) => Ok(map),
        other => Err(format!(
            "must hold a mapping of values at the top, not {}",
            kind(&other)
        )),
    }
}

/// A word for the type of a value, for error messages.
pub(crate) fn kind(value: &Json) -> &'static str {
    match value {
        Json::Null => "null",
        Json::Bool(_) => "a bool",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "a list",
        Json::Object(_) => "a mapping",
    }
}

fn to_json(value: Yaml) -> Result<Json, String> {
    Ok(match value {
        Yaml::Null => Json::Null,
        Yaml::Bool(b) => Json::Bool(b),
        Yaml::Number(n) => number(&n)?,
        Yaml::String(s) => Json::String(s),
        Yaml::Sequence(items) => {
            Json::Array(items.into_iter().map(to_json).collect::<Result<_, _>>()?)
        }
        Yaml::Mapping(entries) => {
            let mut map = Map::new();
            for (key, value) in entries {
                map.insert(key_text(key)?, to_json(value)?);
            }
            Json::Object(map)
        }
        Yaml::Tagged(tagged) => to_json(tagged.value)?,
    })
}

fn number(n: &serde_norway::Number) -> Result<Json, String> {
    if let Some(i) = n.as_i64() {
        Ok(i.into())
    } else if let Some(u) = n.as_u64() {
        Ok(u.into())
    } else {
        n.as_f64()
            .and_then(Number::from_f64)
            .map(Json::Number)
            .ok_or_else(|| format!("holds the number {n}, which is not finite"))
    }
}

fn key_text(key: Yaml) -> Result<String, String> {
    match key {
        Yaml::String(s) => Ok(s),
        Yaml::Bool(b) => Ok(b.to_string()),
        Yaml::Number(n) => Ok(n.to_string()),
        other => Err(format!(
            "has a key that is not a string ({other:?}); quote the key"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_1_2_words_stay_strings() {
        let map = parse("a: yes\nb: on\nc: no\nd: true\n").unwrap();
        assert_eq!(map["a"], "yes");
        assert_eq!(map["b"], "on");
        assert_eq!(map["c"], "no");
        assert_eq!(map["d"], true);
    }

    #[test]
    fn empty_document_is_an_empty_mapping() {
        assert!(parse("").unwrap().is_empty());
        assert!(parse("# only a comment\n").unwrap().is_empty());
    }

    #[test]
    fn scalar_keys_become_text() {
        let map = parse("1: a\ntrue: b\n").unwrap();
        assert_eq!(map["1"], "a");
        assert_eq!(map["true"], "b");
    }

    #[test]
    fn a_list_at_the_top_is_refused() {
        let error = parse("- a\n").unwrap_err();
        assert!(error.contains("mapping"), "{error}");
    }

    #[test]
    fn broken_yaml_is_refused() {
        let error = parse("a: [\n").unwrap_err();
        assert!(error.contains("not valid YAML"), "{error}");
    }

    #[test]
    fn duplicate_keys_are_refused() {
        let error = parse("a: 1\na: 2\n").unwrap_err();
        assert!(error.contains("duplicate"), "{error}");
    }
}
