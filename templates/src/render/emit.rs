//! A small YAML emitter for rendered values: block-style mappings and lists,
//! two-space indentation with list items indented under their key, and strings
//! left plain unless YAML 1.1 or 1.2 would read them as something else (then
//! they are double-quoted).
//!
//! The output of [`block`] starts where the caller placed it: its first line
//! carries no indentation and every further line is indented by `indent`, so a
//! call written at column N with `indent=N` lines up.

use std::fmt::Write as _;

use minijinja::value::{Value, ValueKind};
use minijinja::{Error, ErrorKind};

/// Scalars YAML 1.1 (which many tools still speak) or 1.2 read as null, bool or merge key.
const RESERVED: [&str; 29] = [
    "~", "null", "Null", "NULL", "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true",
    "True", "TRUE", "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF", "<<", "=",
    "",
];

/// `value` as YAML: a scalar, `{}`/`[]`, or a block mapping or list whose lines
/// after the first are indented by `indent`.
pub(crate) fn block(value: &Value, indent: usize) -> Result<String, Error> {
    let mut lines = Vec::new();
    write(&mut lines, value, 0)?;
    Ok(lines.join(&format!("\n{}", " ".repeat(indent))))
}

/// The mapping entry `key: value` as YAML, laid out like [`block`].
pub(crate) fn entry(key: &str, value: &Value, indent: usize) -> Result<String, Error> {
    block(&Value::from_iter([(key, value.clone())]), indent)
}

/// A scalar as YAML; mappings and lists are refused, since they need a block.
pub(crate) fn scalar(value: &Value) -> Result<String, Error> {
    Ok(match value.kind() {
        ValueKind::Undefined | ValueKind::None => "null".to_owned(),
        ValueKind::Bool => value.is_true().to_string(),
        ValueKind::Number => number(value),
        ValueKind::String => string(value.as_str().unwrap_or_default()),
        ValueKind::Map | ValueKind::Seq | ValueKind::Iterable => {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                format!(
                    "{value} is a {}, which needs a block: write `{{{{ value | toyaml(N) }}}}` \
                     at column N",
                    value.kind()
                ),
            ));
        }
        other => {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                format!("a {other} value has no YAML form"),
            ));
        }
    })
}

/// A string, plain when that reads back as the same string, else double-quoted.
pub(crate) fn string(text: &str) -> String {
    if is_plain_safe(text) {
        text.to_owned()
    } else {
        quoted(text)
    }
}

/// Whether `text`, written unquoted as a block-context value or key, is read
/// back as exactly this string by YAML 1.1 and 1.2 parsers.
pub(crate) fn is_plain_safe(text: &str) -> bool {
    let Some(first) = text.chars().next() else {
        return false;
    };
    let second = text.chars().nth(1);
    !(RESERVED.contains(&text)
        || text.trim() != text
        || text.chars().any(needs_escape)
        || "!&*|>'\"%@`#,[]{}?:".contains(first)
        || (first == '-' && second.is_none_or(|c| c == ' '))
        || text.starts_with("---")
        || text.starts_with("...")
        || text.contains(": ")
        || text.contains(" #")
        || text.ends_with(':')
        || looks_numeric(text))
}

/// Numbers in any notation YAML 1.1 or 1.2 knows (decimal, octal, hex, binary,
/// floats, sexagesimal, `.inf`, `.nan`) and dates, and a few harmless look-alikes.
fn looks_numeric(text: &str) -> bool {
    let body = text.strip_prefix(['+', '-']).unwrap_or(text);
    if matches!(body.to_ascii_lowercase().as_str(), ".inf" | ".nan") {
        return true;
    }
    // YAML 1.1 floats may start with the dot and have no digit at all (`.`, `.e+5`).
    let number_first = body.starts_with(|c: char| c.is_ascii_digit() || c == '.');
    let number = number_first
        && body
            .chars()
            .all(|c| c.is_ascii_hexdigit() || "xXoO_.:+-".contains(c));
    number || looks_like_a_date(text)
}

/// YAML 1.1 timestamps (`2001-12-14`, `2001-12-14 21:59:43.10 -5`) start with
/// a four-digit year and a dash; anything that does is quoted.
fn looks_like_a_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() > 5 && bytes[..4].iter().all(u8::is_ascii_digit) && bytes[4] == b'-'
}

/// Characters written as `\uXXXX`: control characters (YAML 1.1 reads U+0085
/// as a line break), the byte order mark, the Unicode line and paragraph
/// separators, and U+FFFE and U+FFFF, which YAML does not allow in a stream.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{feff}' | '\u{2028}' | '\u{2029}' | '\u{fffe}' | '\u{ffff}'
        )
}

/// A double-quoted YAML string; escapes what a double-quoted scalar cannot hold raw.
fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn number(value: &Value) -> String {
    if value.is_integer() {
        return value.to_string();
    }
    match f64::try_from(value.clone()) {
        Ok(f) if f.is_nan() => ".nan".to_owned(),
        Ok(f) if f.is_infinite() => if f > 0.0 { ".inf" } else { "-.inf" }.to_owned(),
        Ok(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.1}"),
        Ok(f) => f.to_string(),
        Err(_) => value.to_string(),
    }
}

/// Whether `value` is written on its own lines (a non-empty mapping or list).
fn is_block(value: &Value) -> bool {
    matches!(
        value.kind(),
        ValueKind::Map | ValueKind::Seq | ValueKind::Iterable
    ) && value.len().is_none_or(|len| len > 0)
}

/// Appends the lines of `value`, each indented by `level`; the first line of
/// a scalar or empty collection is the bare text.
fn write(lines: &mut Vec<String>, value: &Value, level: usize) -> Result<(), Error> {
    let pad = " ".repeat(level);
    match value.kind() {
        ValueKind::Map if is_block(value) => {
            for key in value.try_iter()? {
                let item = value.get_item(&key)?;
                let key = match key.as_str() {
                    Some(text) => string(text),
                    None => string(&key.to_string()),
                };
                if is_block(&item) {
                    lines.push(format!("{pad}{key}:"));
                    write(lines, &item, level + 2)?;
                } else {
                    lines.push(format!("{pad}{key}: {}", inline(&item)?));
                }
            }
        }
        ValueKind::Seq | ValueKind::Iterable if is_block(value) => {
            for item in value.try_iter()? {
                if is_block(&item) {
                    let start = lines.len();
                    write(lines, &item, level + 2)?;
                    let first = &lines[start][level + 2..];
                    lines[start] = format!("{pad}- {first}");
                } else {
                    lines.push(format!("{pad}- {}", inline(&item)?));
                }
            }
        }
        _ => lines.push(format!("{pad}{}", inline(value)?)),
    }
    Ok(())
}

/// A scalar, or an empty collection in flow style.
fn inline(value: &Value) -> Result<String, Error> {
    match value.kind() {
        ValueKind::Map => Ok("{}".to_owned()),
        ValueKind::Seq | ValueKind::Iterable => Ok("[]".to_owned()),
        _ => scalar(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(value: &serde_json::Value) -> String {
        block(&Value::from_serialize(value), 0).unwrap()
    }

    /// Reads `text` back as YAML 1.2.
    fn read(text: &str) -> serde_json::Value {
        serde_norway::from_str(text).unwrap()
    }

    #[test]
    fn mappings_and_lists_are_block_style_with_indented_items() {
        let value = serde_json::json!({
            "name": "a",
            "ports": [{"name": "grpc", "containerPort": 1}],
            "args": ["-x", "z"],
            "empty": {},
            "none": [],
            "nested": [[1, 2], {"a": {"b": true}}]
        });
        let text = yaml(&value);
        assert_eq!(
            text,
            "name: a\nports:\n  - name: grpc\n    containerPort: 1\nargs:\n  - -x\n  - z\n\
             empty: {}\nnone: []\nnested:\n  - - 1\n    - 2\n  - a:\n      b: true"
        );
        assert_eq!(read(&text), value);
    }

    #[test]
    fn later_lines_take_the_indent() {
        let value = Value::from_serialize(serde_json::json!({"a": 1, "b": [2]}));
        assert_eq!(block(&value, 4).unwrap(), "a: 1\n    b:\n      - 2");
        assert_eq!(
            entry("k", &Value::from(3), 2).unwrap(),
            "k: 3",
            "a scalar entry is one line"
        );
    }

    #[test]
    fn ordinary_strings_stay_plain() {
        for text in [
            "greeter",
            "registry.example/greeter:1.0",
            "-addr=127.0.0.1:50051",
            "-service=",
            "100m",
            "128Mi",
            "1Gi",
            "v1.2.3",
            "app.kubernetes.io/name",
            "a b",
            "ALL",
            "/metrics",
            "a:b",
            "a#b",
            "snake_case-word",
            "ünïcode",
        ] {
            assert_eq!(string(text), text, "{text:?} should stay plain");
        }
    }

    #[test]
    fn strings_yaml_would_mistype_are_quoted() {
        for text in [
            "",
            "yes",
            "Yes",
            "on",
            "OFF",
            "y",
            "n",
            "no",
            "true",
            "False",
            "null",
            "~",
            "NULL",
            "1",
            "-1",
            "+1",
            "1.0",
            "1.10",
            "0.1.0",
            ".5",
            "1e3",
            "0x1F",
            "0o17",
            "0755",
            "0b101",
            "1_000",
            "1:20",
            ".inf",
            "-.Inf",
            ".NaN",
            "#",
            "#x",
            "*ref",
            "&anchor",
            "!tag",
            "|",
            ">",
            "'",
            "\"",
            "%",
            "@",
            "`",
            "[a]",
            "{a}",
            ",",
            "?",
            ":",
            "-",
            "- a",
            "?x",
            ":x",
            "a: b",
            "a #b",
            "a:",
            " a",
            "a ",
            "\ta",
            "a\nb",
            "a\tb",
            "---",
            "...",
            "<<",
            "=",
            "\u{7}",
            "\u{feff}a",
            "a\u{2028}b",
            "\u{fffe}",
            ".",
            "-.",
            ".e+5",
            "2001-12-14",
            "2001-12-14 21:59:43.10 -5",
        ] {
            let written = string(text);
            assert!(written.starts_with('"'), "{text:?} written as {written}");
            assert_eq!(
                read(&format!("k: {written}\n"))["k"],
                serde_json::Value::from(text),
                "{written} reads back"
            );
        }
    }

    #[test]
    fn collections_are_refused_as_scalars() {
        let error = scalar(&Value::from(vec![1])).unwrap_err();
        assert!(error.to_string().contains("toyaml"), "{error}");
    }

    #[test]
    fn numbers_keep_their_type() {
        assert_eq!(scalar(&Value::from(3)).unwrap(), "3");
        assert_eq!(scalar(&Value::from(1.0)).unwrap(), "1.0");
        assert_eq!(scalar(&Value::from(0.25)).unwrap(), "0.25");
        assert_eq!(scalar(&Value::from(f64::NAN)).unwrap(), ".nan");
    }
}
