//! Names the value behind minijinja's "undefined value" error, which says
//! only where it happened (minijinja does not name the value).
//!
//! The values a template reads from the context are minijinja's own list
//! ([`minijinja::Template::undeclared_variables`], dotted paths such as `extra.team`).
//! Those missing from the context are the suspects. The template is rendered
//! again with a placeholder in every suspect, which must clear the error, then
//! with every suspect but one: a suspect whose absence alone brings the same
//! error back (same file, line and span) is named; a value first stored in a
//! `{% set %}` variable is found too. An attribute of a loop variable or a
//! macro argument, or `x["key"]`, is not on the list; then the failing
//! expression is quoted instead.

use minijinja::{Environment, ErrorKind, Value};
use serde_json::{Map, Value as Json};

use crate::values::closest;

/// What to say about an undefined-value error in template `top`, rendered
/// with `context`: the value(s) to set, or the failing expression
/// (`source` is the text of the file the error points at). `None` for other errors.
pub(crate) fn explain(
    env: &Environment<'_>,
    top: &str,
    context: &Json,
    error: &minijinja::Error,
    source: Option<&str>,
) -> Option<String> {
    if error.kind() != ErrorKind::UndefinedError {
        return None;
    }
    let culprits = culprits(env, top, context, error);
    if let Some(first) = culprits.first() {
        let names: Vec<String> = culprits.iter().map(|path| format!("`{path}`")).collect();
        let (noun, verb) = if culprits.len() == 1 {
            ("value", "is")
        } else {
            ("values", "are")
        };
        return Some(format!(
            "undefined {noun} {}: {}",
            names.join(" and "),
            hint(first, verb, context)
        ));
    }
    let expression = error
        .range()
        .and_then(|range| source?.get(range))
        .filter(|text| !text.trim().is_empty())?;
    Some(format!(
        "undefined value in `{expression}`; check that every name in it is set"
    ))
}

/// How to set `path`: `extra` takes anything, any other name is a typo.
fn hint(path: &str, verb: &str, context: &Json) -> String {
    if path.starts_with("extra.") {
        return format!(
            "{} not set; set it with `--set {path}=VALUE` or under `extra:` in a values file",
            if verb == "is" { "it is" } else { "they are" }
        );
    }
    let (parent, last) = path.rsplit_once('.').unwrap_or(("", path));
    let known = lookup(context, parent).and_then(Json::as_object);
    let suggestion = known
        .and_then(|map| closest(last, map.keys().map(String::as_str)))
        .map(|key| match parent {
            "" => format!("; did you mean `{key}`?"),
            _ => format!("; did you mean `{parent}.{key}`?"),
        })
        .unwrap_or_default();
    format!("not a value the templates get (the checked values and `extra.*`){suggestion}")
}

/// The suspects without which the template fails with `error` again.
fn culprits(
    env: &Environment<'_>,
    top: &str,
    context: &Json,
    error: &minijinja::Error,
) -> Vec<String> {
    let suspects = suspects(env, top, context, error);
    let fails_again = |defined: &[&String]| {
        let mut context = context.clone();
        for path in defined {
            define(&mut context, path);
        }
        let again = env
            .get_template(top)
            .and_then(|template| template.render(Value::from_serialize(&context)));
        again.is_err_and(|again| same(&again, error))
    };
    let all: Vec<&String> = suspects.iter().collect();
    if suspects.is_empty() || fails_again(&all) {
        return Vec::new();
    }
    suspects
        .iter()
        .filter(|suspect| {
            let others: Vec<&String> = suspects.iter().filter(|s| s != suspect).collect();
            fails_again(&others)
        })
        .cloned()
        .collect()
}

/// The dotted paths `top` and the template that failed read from the
/// context but the context lacks, in name order; global functions excluded.
fn suspects(
    env: &Environment<'_>,
    top: &str,
    context: &Json,
    error: &minijinja::Error,
) -> Vec<String> {
    let globals: Vec<&str> = env.globals().map(|(name, _)| name).collect();
    let mut suspects: Vec<String> = [Some(top), error.name()]
        .into_iter()
        .flatten()
        .filter_map(|name| env.get_template(name).ok())
        .flat_map(|template| template.undeclared_variables(true))
        .filter(|path| {
            let root = path.split('.').next().unwrap_or(path);
            !globals.contains(&root) && lookup(context, path).is_none()
        })
        .collect();
    suspects.sort();
    suspects.dedup();
    // Deepest first, so that `extra.team.name` makes `extra.team` a mapping
    // before `extra.team` would get the placeholder.
    suspects.sort_by_key(|path| std::cmp::Reverse(path.matches('.').count()));
    suspects
}

/// The value at a dotted `path` (`""` is the whole context).
fn lookup<'a>(context: &'a Json, path: &str) -> Option<&'a Json> {
    if path.is_empty() {
        return Some(context);
    }
    path.split('.')
        .try_fold(context, |value, key| value.get(key))
}

/// Puts a placeholder at `path`, making mappings on the way through missing
/// or null values; leaves it alone where something else is in the way.
fn define(context: &mut Json, path: &str) {
    let mut value = context;
    let mut keys = path.split('.').peekable();
    while let Some(key) = keys.next() {
        if value.is_null() {
            *value = Json::Object(Map::new());
        }
        let Json::Object(map) = value else {
            return;
        };
        let last = keys.peek().is_none();
        value = map.entry(key.to_owned()).or_insert_with(|| {
            if last {
                Json::from("placeholder")
            } else {
                Json::Null
            }
        });
    }
}

/// The same undefined-value error at the same place.
fn same(a: &minijinja::Error, b: &minijinja::Error) -> bool {
    a.kind() == b.kind() && a.name() == b.name() && a.line() == b.line() && a.range() == b.range()
}

#[cfg(test)]
mod tests {
    use super::*;
    use minijinja::UndefinedBehavior;
    use serde_json::json;

    /// What [`explain`] says about `text` rendered with `context`.
    fn explained(text: &str, context: &Json) -> String {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.add_function("helper", || "ok");
        env.add_template(
            "_m.j2",
            "{% macro m() %}{{ extra.deep.name }}{% endmacro %}",
        )
        .unwrap();
        env.add_template("t.j2", text).unwrap();
        let error = env
            .get_template("t.j2")
            .unwrap()
            .render(Value::from_serialize(context))
            .unwrap_err();
        let source = (error.name() == Some("t.j2")).then_some(text);
        explain(&env, "t.j2", context, &error, source).unwrap()
    }

    #[test]
    fn the_missing_value_is_named_wherever_it_is_read() {
        let context = json!({"extra": {"n": 1}, "port": 1, "items": [1]});
        for text in [
            "a: {{ extra.team }}",
            "a: {{ extra.team | upper }}",
            "a: {{ 'x-' ~ extra.team }}",
            "{% if extra.team %}a{% endif %}",
            "{% for x in extra.team %}{{ x }}{% endfor %}",
            "{% set t = extra.team %}{{ helper() }}{{ t }}",
            "{% if extra.other is defined %}{{ extra.other }}{% endif %}{{ extra.team }}",
            "{{ extra.other | default('x') }}{{ extra.team }}",
        ] {
            assert_starts(
                text,
                &context,
                "undefined value `extra.team`: it is not set; set it with `--set extra.team=VALUE`",
            );
        }
    }

    /// Asserts what [`explain`] says about `text` starts with `start`.
    fn assert_starts(text: &str, context: &Json, start: &str) {
        let said = explained(text, context);
        assert!(said.starts_with(start), "{text}: {said}");
    }

    #[test]
    fn nested_values_are_named_by_their_whole_path() {
        for extra in [json!({}), json!(null)] {
            let context = json!({ "extra": extra });
            assert_starts(
                "a: {{ extra.team.name }}",
                &context,
                "undefined value `extra.team.name`",
            );
        }
    }

    #[test]
    fn a_value_read_in_an_imported_macro_is_named() {
        let text = "{% from '_m.j2' import m %}a: {{ m() }}";
        assert_starts(
            text,
            &json!({"extra": {}}),
            "undefined value `extra.deep.name`",
        );
    }

    #[test]
    fn two_values_missing_in_one_expression_are_both_named() {
        assert_starts(
            "a: {{ extra.a ~ extra.b }}",
            &json!({"extra": {}}),
            "undefined values `extra.a` and `extra.b`: they are not set",
        );
    }

    #[test]
    fn a_typo_is_named_with_the_closest_value() {
        let said = explained(
            "a: {{ prot }}",
            &json!({"port": 1, "probe": {"mode": "exec"}}),
        );
        assert_eq!(
            said,
            "undefined value `prot`: not a value the templates get (the checked values \
             and `extra.*`); did you mean `port`?"
        );
        let said = explained(
            "a: {{ probe.moed }}",
            &json!({"port": 1, "probe": {"mode": "exec"}}),
        );
        assert!(said.ends_with("did you mean `probe.mode`?"), "{said}");
    }

    #[test]
    fn a_value_not_read_from_the_context_quotes_the_expression() {
        let said = explained(
            "{% for i in items %}{{ i.foo }}{% endfor %}",
            &json!({"items": [1]}),
        );
        assert_eq!(
            said,
            "undefined value in `i.foo`; check that every name in it is set"
        );
    }

    #[test]
    fn other_errors_are_left_alone() {
        let env = Environment::new();
        let error = minijinja::Error::new(ErrorKind::InvalidOperation, "x");
        assert_eq!(explain(&env, "t", &json!({}), &error, None), None);
    }
}
