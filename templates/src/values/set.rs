//! `--set key.path=value`: one assignment, typed the way Helm types it.
//!
//! - `true` and `false` are bools, `null` removes the key;
//! - `0`, and digits with an optional sign and no leading zero, are integers;
//! - anything else, including `1.5`, `08080` and the empty string, is a string.
//!
//! The value is everything after the first `=`, commas included. A `.` inside a
//! key is written `\.` (e.g. `labels.example\.com/team=core`).

use serde_json::{Map, Value as Json};

/// Parses one `--set` argument into a mapping holding just that value.
pub(crate) fn parse(arg: &str) -> Result<Map<String, Json>, String> {
    let (key, text) = arg.split_once('=').ok_or_else(|| "has no `=`".to_owned())?;
    let mut path = split_key(key)?;
    let mut value = typed(text);
    let first = path.remove(0);
    while let Some(last) = path.pop() {
        value = Json::Object(Map::from_iter([(last, value)]));
    }
    Ok(Map::from_iter([(first, value)]))
}

/// Helm's typing of a `--set` value.
pub(crate) fn typed(text: &str) -> Json {
    match text {
        "true" => Json::Bool(true),
        "false" => Json::Bool(false),
        "null" => Json::Null,
        "0" => Json::from(0),
        _ if text.starts_with('0') => Json::from(text),
        _ => text
            .parse::<i64>()
            .map_or_else(|_| Json::from(text), Json::from),
    }
}

fn split_key(key: &str) -> Result<Vec<String>, String> {
    let mut parts = Vec::new();
    let mut part = String::new();
    let mut chars = key.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.as_str().starts_with('.') => {
                chars.next();
                part.push('.');
            }
            '.' => parts.push(std::mem::take(&mut part)),
            c => part.push(c),
        }
    }
    parts.push(part);
    if parts.iter().any(String::is_empty) {
        return Err(format!("has an empty part in the key `{key}`"));
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn typing_follows_helm() {
        assert_eq!(typed("true"), json!(true));
        assert_eq!(typed("false"), json!(false));
        assert_eq!(typed("null"), json!(null));
        assert_eq!(typed("0"), json!(0));
        assert_eq!(typed("8080"), json!(8080));
        assert_eq!(typed("-3"), json!(-3));
        assert_eq!(typed("08080"), json!("08080"));
        assert_eq!(typed("1.5"), json!("1.5"));
        assert_eq!(typed("yes"), json!("yes"));
        assert_eq!(typed(""), json!(""));
    }

    #[test]
    fn nested_path_builds_nested_mappings() {
        let map = parse("readiness.periodSeconds=2").unwrap();
        assert_eq!(
            Json::Object(map),
            json!({"readiness": {"periodSeconds": 2}})
        );
    }

    #[test]
    fn value_keeps_everything_after_the_first_equals() {
        let map = parse("image=a/b:c,d=e #f").unwrap();
        assert_eq!(map["image"], "a/b:c,d=e #f");
    }

    #[test]
    fn escaped_dot_stays_in_the_key() {
        let map = parse(r"labels.example\.com/team=core").unwrap();
        assert_eq!(
            Json::Object(map),
            json!({"labels": {"example.com/team": "core"}})
        );
    }

    #[test]
    fn malformed_assignments_are_refused() {
        assert!(parse("port").unwrap_err().contains('='));
        assert!(parse("=1").unwrap_err().contains("empty"));
        assert!(parse("a..b=1").unwrap_err().contains("empty"));
    }
}
