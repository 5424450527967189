//! Renders the templates with minijinja: strict about undefined values, so a
//! typo in a template fails instead of printing YAML null, and YAML-aware, so
//! every value is written as YAML that reads back as that value.

mod emit;
mod escape;
mod helpers;
pub(crate) mod sources;
mod undefined;

use std::sync::Arc;

use minijinja::{Environment, UndefinedBehavior, Value};

use crate::catalog::ONLY_BY_NAME;
use crate::config::Config;
use crate::error::Error;

use self::sources::Sources;

/// Renders the template named `only`, or all of them, as one multi-document
/// YAML stream; a template that renders nothing (such as `pdb` when disabled)
/// is left out.
pub(crate) fn render(
    config: Config,
    sources: &Sources,
    only: Option<&str>,
) -> Result<String, Error> {
    if let Some(only) = only
        && !sources.names().contains(&only)
    {
        return Err(Error::UnknownTemplate {
            name: only.to_owned(),
            known: sources.names().join(", "),
        });
    }
    let config = Arc::new(config);
    let env = environment(sources, &config).map_err(|error| located(sources, &error, None))?;
    let context = Value::from_serialize(config.as_ref());
    let mut out = String::new();
    let chosen = sources.files.iter().filter(|source| {
        source.name.as_deref().is_some_and(|name| match only {
            Some(only) => only == name,
            None => sources.dir.is_some() || !ONLY_BY_NAME.contains(&name),
        })
    });
    for source in chosen {
        let text = env
            .get_template(&source.file)
            .and_then(|template| template.render(&context))
            .map_err(|error| {
                let context = serde_json::to_value(config.as_ref()).unwrap_or_default();
                let failed = error.name().and_then(|name| sources.text(name));
                let undefined = undefined::explain(&env, &source.file, &context, &error, failed);
                located(sources, &error, undefined)
            })?;
        let text = text.trim();
        if text.is_empty() {
            if only.is_some() {
                let hint = match (&sources.dir, source.file.as_str()) {
                    (None, "pdb.yaml.j2") => "; set pdb.enabled=true",
                    (None, "alerts.yaml.j2") => "; set alerts.enabled=true and alerts.grpcService",
                    (None, "alert-rules.yaml.j2") => "; set alerts.grpcService",
                    _ => "",
                };
                return Err(Error::Empty {
                    file: source.file.clone(),
                    hint,
                });
            }
            continue;
        }
        out.push_str("---\n");
        out.push_str(&format!("# Source: {}\n", source.file));
        out.push_str(text);
        out.push('\n');
    }
    Ok(out)
}

/// The environment holding every template of `sources`, with the filters and helpers.
fn environment<'a>(
    sources: &'a Sources,
    config: &Arc<Config>,
) -> Result<Environment<'a>, minijinja::Error> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    escape::install(&mut env);
    helpers::install(&mut env, config);
    for source in &sources.files {
        env.add_template(&source.file, &source.text)?;
    }
    Ok(env)
}

/// A template error with the file and line it happened at; `explained`, when
/// known, replaces minijinja's own words for what went wrong.
fn located(sources: &Sources, error: &minijinja::Error, explained: Option<String>) -> Error {
    let file = error
        .name()
        .map_or_else(|| "a template".to_owned(), |name| sources.location(name));
    let line = error
        .line()
        .map(|line| format!(" line {line}"))
        .unwrap_or_default();
    let reason = explained.unwrap_or_else(|| {
        let mut reason = error.kind().to_string();
        if let Some(detail) = error.detail() {
            reason.push_str(": ");
            reason.push_str(detail);
        }
        let mut cause = std::error::Error::source(error);
        while let Some(inner) = cause {
            reason.push_str(&format!("; {inner}"));
            cause = inner.source();
        }
        reason
    });
    Error::Render {
        at: format!("{file}{line}"),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate;
    use crate::values;

    fn config() -> Config {
        let values =
            values::load(&[], &["name=a".into(), "image=i".into(), "port=1".into()]).unwrap();
        validate::config(&values, crate::kube::KubeVersion::DEFAULT).unwrap()
    }

    fn sources(text: &str) -> Sources {
        Sources {
            dir: Some("team".into()),
            files: vec![sources::Source {
                file: "t.yaml.j2".into(),
                name: Some("t".into()),
                text: text.into(),
            }],
        }
    }

    #[test]
    fn undefined_values_fail_with_file_and_line() {
        let error = render(config(), &sources("a: 1\nport: {{ prot }}"), None).unwrap_err();
        let error = error.to_string();
        assert!(error.contains("team/t.yaml.j2 line 2"), "{error}");
        assert!(
            error.contains("undefined value `prot`") && error.contains("did you mean `port`?"),
            "{error}"
        );
    }

    #[test]
    fn helpers_lay_out_at_their_column() {
        let out = render(
            config(),
            &sources("c:\n  - name: a\n    {{ liveness_probe(indent=4) }}"),
            None,
        )
        .unwrap();
        assert!(
            out.contains("    livenessProbe:\n      exec:\n        command:\n          - /usr"),
            "{out}"
        );
    }

    #[test]
    fn empty_output_is_left_out() {
        let out = render(config(), &sources("{% if false %}x: 1{% endif %}"), None).unwrap();
        assert_eq!(out, "");
        render(config(), &sources(""), Some("t")).unwrap_err();
    }
}
