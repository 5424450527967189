//! health-demo's check model: `--optional-file PATH` (an optional readiness
//! check), `--group NAME=PATH` (a named group with one check, repeatable),
//! and the file-exists check they and `--ready-file` share.

use std::path::{Path, PathBuf};

use grpc_health_checks::{Check, HealthChecks};

/// Checks beyond readiness: optional ones and named groups.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ModelOptions {
    /// An optional readiness check, `optional-file`, that passes while PATH
    /// exists: shown as degraded when it does not, readiness unchanged.
    #[arg(long, value_name = "PATH")]
    pub optional_file: Option<PathBuf>,
    /// A named group NAME with one check, `NAME-file`, that passes while PATH
    /// exists; served as the health service NAME and at `/groupz/NAME` on
    /// --admin-addr. Repeatable.
    #[arg(long = "group", value_name = "NAME=PATH", value_parser = parse_group)]
    pub groups: Vec<(String, PathBuf)>,
}

impl ModelOptions {
    /// `checks` with the optional check and each group's check.
    pub fn add_checks(&self, mut checks: HealthChecks) -> HealthChecks {
        if let Some(path) = &self.optional_file {
            checks = checks.check(file_exists("optional-file", path).optional());
        }
        for (name, path) in &self.groups {
            checks =
                checks.check(file_exists(&format!("{name}-file"), path).groups([name.as_str()]));
        }
        checks
    }
}

/// A check named `name` that passes while `path` exists.
pub fn file_exists(name: &str, path: &Path) -> Check {
    let path = path.to_owned();
    Check::new(name, move || {
        if path.exists() {
            Ok(())
        } else {
            Err(format!("{} does not exist", path.display()))
        }
    })
}

/// `NAME=PATH`, both non-empty.
fn parse_group(value: &str) -> Result<(String, PathBuf), String> {
    match value.split_once('=') {
        Some((name, path)) if !name.is_empty() && !path.is_empty() => {
            Ok((name.to_owned(), PathBuf::from(path)))
        }
        _ => Err(format!(
            "{value:?} is not NAME=PATH: give a group name and a file, e.g. deep=/tmp/deep"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_is_name_equals_path() {
        assert_eq!(
            parse_group("deep=/tmp/deep"),
            Ok(("deep".to_owned(), PathBuf::from("/tmp/deep")))
        );
        for bad in ["deep", "=/tmp/deep", "deep="] {
            let error = parse_group(bad).expect_err(bad);
            assert!(error.contains("is not NAME=PATH"), "{error}");
        }
    }
}
