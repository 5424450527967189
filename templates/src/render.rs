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
