//! How values reach the YAML text: the `yaml` auto-escape of `*.yaml.j2`
//! templates (every `{{ value }}` is written as a YAML scalar), and the filters
//! `yaml`, `toyaml(indent)` and a safety-keeping `indent`.

use minijinja::value::{Kwargs, Value};
use minijinja::{AutoEscape, Environment, Error, ErrorKind, State, escape_formatter};

use super::emit;

/// The auto-escape mode of YAML templates.
const YAML: AutoEscape = AutoEscape::Custom("yaml");

/// Whether a template file name is a YAML template (auto-escaped as YAML).
pub(crate) fn is_yaml(name: &str) -> bool {
    [".yaml.j2", ".yml.j2", ".yaml", ".yml"]
        .iter()
        .any(|suffix| name.ends_with(suffix))
}

/// Installs the auto-escape, its formatter and the filters.
pub(crate) fn install(env: &mut Environment<'_>) {
    env.set_auto_escape_callback(|name| {
        if is_yaml(name) {
            YAML
        } else {
            AutoEscape::None
        }
    });
    env.set_formatter(|out, state, value| {
        if state.auto_escape() == YAML && !value.is_safe() {
            out.write_str(&emit::scalar(value)?)
                .map_err(|_| Error::new(ErrorKind::WriteFailure, "cannot write the output"))
        } else {
            escape_formatter(out, state, value)
        }
    });
    env.add_filter("yaml", yaml);
    env.add_filter("toyaml", toyaml);
    env.add_filter("indent", indent);
}

/// `{{ value | yaml }}`: a scalar as YAML, quoted only where YAML would mistype it.
fn yaml(value: &Value) -> Result<Value, Error> {
    emit::scalar(value).map(Value::from_safe_string)
}

/// `{{ value | toyaml(N) }}`: any value as YAML; a mapping or list is written in
/// block style, its lines after the first indented by N (write the call at column N).
fn toyaml(value: &Value, indent: Option<usize>) -> Result<Value, Error> {
    emit::block(value, indent.unwrap_or(0)).map(Value::from_safe_string)
}

/// Jinja's `indent(width, first=false, blank=false)`, keeping text that is
/// already YAML (helpers, macros, `toyaml`) from being escaped again.
#[allow(
    clippy::needless_pass_by_value,
    reason = "minijinja passes keyword arguments by value"
)]
fn indent(
    state: &State<'_, '_>,
    value: &Value,
    width: Option<usize>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    let width = match width {
        Some(width) => width,
        None => kwargs.get::<Option<usize>>("width")?.unwrap_or(4),
    };
    let first = kwargs.get::<Option<bool>>("first")?.unwrap_or(false);
    let blank = kwargs.get::<Option<bool>>("blank")?.unwrap_or(false);
    kwargs.assert_all_used()?;
    let text = match value.as_str() {
        Some(text) => text.to_owned(),
        None if state.auto_escape() == YAML => emit::scalar(value)?,
        None => value.to_string(),
    };
    let pad = " ".repeat(width);
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.trim_end_matches('\n').split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if (i > 0 || first) && (blank || !line.trim().is_empty()) {
            out.push_str(&pad);
        }
        out.push_str(line);
    }
    Ok(if value.is_safe() || value.as_str().is_none() {
        Value::from_safe_string(out)
    } else {
        Value::from(out)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use minijinja::{UndefinedBehavior, context};
    use proptest::prelude::*;
    use proptest::test_runner::TestCaseError;

    fn render(source: &str, ctx: Value) -> Result<String, Error> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        install(&mut env);
        env.add_template("t.yaml.j2", source)?;
        env.get_template("t.yaml.j2")?.render(ctx)
    }

    #[test]
    fn plain_output_is_yaml_escaped() {
        let out = render(
            "a: {{ a }}\nb: {{ b }}\nc: {{ c }}\nd: {{ d }}",
            context! { a => "yes", b => "a #b", c => "greeter", d => 3 },
        )
        .unwrap();
        assert_eq!(out, "a: \"yes\"\nb: \"a #b\"\nc: greeter\nd: 3");
    }

    #[test]
    fn maps_need_toyaml() {
        let error = render("a: {{ m }}", context! { m => context! { x => 1 } }).unwrap_err();
        assert!(format!("{error:#}").contains("toyaml"), "{error:#}");
        let out = render(
            "a:\n  {{ m | toyaml(2) }}",
            context! { m => context! { x => 1, yes => "on" } },
        )
        .unwrap();
        assert_eq!(out, "a:\n  x: 1\n  \"yes\": \"on\"");
    }

    #[test]
    fn indent_keeps_yaml_from_being_escaped_twice() {
        let out = render(
            "{% macro m() %}a: 1\nb: 2{% endmacro %}x:\n  {{ m() | indent(2) }}",
            context! {},
        )
        .unwrap();
        assert_eq!(out, "x:\n  a: 1\n  b: 2");
    }

    /// Whether YAML 1.1 would read the plain scalar `text` as something other
    /// than a string: the implicit types of yaml.org/type (bool, null, int,
    /// float, merge, value, timestamp), copied from the spec (the timestamp's
    /// zone as PyYAML reads it, with spaces before `-5` too). YAML 1.2 is
    /// checked by reading the output back with serde_norway.
    fn yaml_1_1_types(text: &str) -> bool {
        const TYPES: [&str; 7] = [
            r"y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF",
            r"~|null|Null|NULL|",
            r"[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(:[0-5]?[0-9])+",
            r"[-+]?([0-9][0-9_]*)?\.[0-9.]*([eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)",
            r"<<",
            r"=",
            r"[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?([Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](\.[0-9]*)?([ \t]*(Z|[-+][0-9][0-9]?(:[0-9][0-9])?))?",
        ];
        TYPES.iter().any(|pattern| {
            regex::Regex::new(&format!("^(?:{pattern})$"))
                .unwrap()
                .is_match(text)
        })
    }

    /// Any string, or one built from the pieces YAML is picky about: words
    /// YAML 1.1 reads as bools or null, numbers, dates, indicators, spaces,
    /// line breaks, control characters and other unicode.
    fn hostile() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            prop::sample::select(vec![
                "yes",
                "No",
                "on",
                "OFF",
                "y",
                "true",
                "null",
                "~",
                "<<",
                "=",
                "07",
                "1.0",
                ".5",
                "1e3",
                "0x",
                "0b",
                "0o",
                "inf",
                ".NaN",
                "2001-12-14",
                "21:59:43",
                ": ",
                " #",
                "- ",
                "---",
                "...",
                "\u{2028}",
                "\u{feff}",
                "\u{fffe}",
                "日本",
                "🦀",
            ])
            .prop_map(str::to_owned),
            // Indicators, digits, the letters of numbers and dates, blanks,
            // line breaks and other control characters, and accents.
            "[-!&*|>'\"%@`,\\[\\]{}?:#.+_0-9eEtTZxX \t\r\n\u{0}-\u{1f}\u{7f}-\u{a0}\u{301}é]",
            any::<char>().prop_map(String::from),
        ];
        prop_oneof![
            any::<String>(),
            prop::collection::vec(any::<char>(), 0..12).prop_map(String::from_iter),
            prop::collection::vec(piece, 0..6).prop_map(|pieces| pieces.concat()),
        ]
    }

    #[test]
    fn the_oracle_knows_yaml_1_1() {
        for text in [
            "yes",
            "On",
            "~",
            "",
            "0755",
            "0x1F",
            "1:20",
            "1_000",
            ".5",
            "1.",
            "-.inf",
            ".NaN",
            "<<",
            "=",
            "2001-12-14",
            "2001-12-14 21:59:43.10 -5",
            "2001-12-14t21:59:43Z",
        ] {
            assert!(yaml_1_1_types(text), "{text:?}");
        }
        for text in ["greeter", "1.0.0x", "a1", "yes!", "08", "1e3"] {
            assert!(!yaml_1_1_types(text), "{text:?}");
        }
    }

    // 256 cases per run (proptest's default). Run longer with e.g.
    // `PROPTEST_CASES=100000 cargo test -p grpc-health-manifests escape`.
    proptest! {
        #![proptest_config(ProptestConfig::default())]

        /// `{{ value }}` in a YAML template, and through `toyaml` as a key and a
        /// list item, reads back as exactly the same string, and a plain
        /// (unquoted) one is not a YAML 1.1 bool, null, number or date either.
        #[test]
        fn any_string_is_written_as_that_string(text in hostile()) {
            let out = render(
                "v: {{ v }}\nm:\n  {{ m | toyaml(2) }}",
                context! { v => &text, m => Value::from_iter([(text.clone(), vec![text.clone()])]) },
            )
            .unwrap();
            let read: serde_json::Value = serde_norway::from_str(&out)
                .map_err(|error| TestCaseError::fail(format!("{error}: {out}")))?;
            prop_assert_eq!(&read["v"], &serde_json::Value::from(text.as_str()), "{}", out);
            let expected = serde_json::json!({ text.clone(): [&text] });
            prop_assert_eq!(&read["m"], &expected, "{}", out);
            let written = out.lines().next().unwrap_or_default().trim_start_matches("v: ");
            if !written.starts_with('"') {
                prop_assert!(!yaml_1_1_types(&text), "{:?} is written plain: {}", text, out);
            }
        }
    }

    #[test]
    fn other_templates_are_not_escaped() {
        let mut env = Environment::new();
        install(&mut env);
        env.add_template("notes.txt.j2", "{{ a }}").unwrap();
        let out = env
            .get_template("notes.txt.j2")
            .unwrap()
            .render(context! { a => "yes" })
            .unwrap();
        assert_eq!(out, "yes");
    }
}
