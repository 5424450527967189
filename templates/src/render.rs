//! Renders the templates with minijinja: strict about undefined values, so a
//! typo in a template fails instead of printing YAML null.

use minijinja::{Environment, UndefinedBehavior};

use crate::catalog::{TEMPLATES, Template};
use crate::config::Config;
use crate::error::Error;

/// Renders the template named `only`, or all of them, as one multi-document YAML stream.
pub(crate) fn render(config: &Config, only: Option<&str>) -> Result<String, Error> {
    let env = environment()?;
    let mut out = String::new();
    let chosen = TEMPLATES
        .iter()
        .filter(|template| only.is_none_or(|name| name == template.name));
    for Template { file, .. } in chosen {
        out.push_str("---\n");
        out.push_str(&format!("# Source: {file}\n"));
        out.push_str(env.get_template(file)?.render(config)?.trim_end());
        out.push('\n');
    }
    Ok(out)
}

fn environment() -> Result<Environment<'static>, Error> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    for template in TEMPLATES {
        env.add_template(template.file, template.source)?;
    }
    Ok(env)
}

#[cfg(test)]
mod tests {
    use super::*;
    use minijinja::context;

    #[test]
    fn undefined_values_fail_instead_of_rendering_empty() {
        let env = environment().unwrap();
        let error = env.render_str("port: {{ prot }}", context! { port => 1 });
        assert!(error.is_err(), "{error:?}");
    }

    #[test]
    fn yaml_templates_json_escape_even_without_tojson() {
        let mut env = environment().unwrap();
        env.add_template("t.yaml.j2", "image: {{ image }}").unwrap();
        let template = env.get_template("t.yaml.j2").unwrap();
        let out = template.render(context! { image => "a #b" }).unwrap();
        assert_eq!(out, r#"image: "a #b""#);
    }
}
