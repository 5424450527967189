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
