//! The values a render uses: the built-in `values.yaml`, then each `--values`
//! file in order, then each `--set` in order, later ones winning.

mod merge;
mod set;
mod suggest;
mod yaml;

use std::fs;
use std::path::PathBuf;

use serde_json::{Map, Value as Json};

use crate::error::Error;

pub(crate) use suggest::closest;
pub(crate) use yaml::kind;

/// The defaults, with a comment on each value; embedded so the binary runs from anywhere.
pub(crate) const DEFAULTS: &str = include_str!("../../values.yaml");

/// Merges the defaults, `files` and `sets` into one mapping. Keys that
/// `values.yaml` does not know are refused, so a misspelt key is not ignored.
pub(crate) fn load(files: &[PathBuf], sets: &[String]) -> Result<Map<String, Json>, Error> {
    let defaults = defaults();
    let mut values = defaults.clone();
    for path in files {
        let refuse = |reason: String| Error::ValuesFile {
            path: path.clone(),
            reason,
        };
        let text = fs::read_to_string(path)
            .map_err(|error| refuse(format!("cannot be read ({error}); check the path")))?;
        let overlay = yaml::parse(&text).map_err(refuse)?;
        merge::known_keys(&defaults, &overlay)?;
        merge::merge(&mut values, overlay);
    }
    for arg in sets {
        let set = set::parse(arg).map_err(|reason| Error::Set {
            arg: arg.clone(),
            reason,
        })?;
        merge::known_path(&defaults, &set.path)?;
        set.apply(&mut values);
    }
    Ok(values)
}

/// The parsed built-in defaults.
fn defaults() -> Map<String, Json> {
    // values.yaml is part of the binary and parsed by a unit test, so this cannot fail at run time.
    yaml::parse(DEFAULTS).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_defaults_parse() {
        let defaults = yaml::parse(DEFAULTS).unwrap();
        assert_eq!(defaults["probe"]["mode"], "exec");
        assert!(defaults["name"].is_null());
    }

    #[test]
    fn every_default_has_a_comment_above_it() {
        let lines: Vec<&str> = DEFAULTS.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let is_key = !line.trim_start().starts_with('#') && line.contains(':');
            if is_key {
                let above = lines[..i].last().map_or("", |l| l.trim_start());
                assert!(
                    above.starts_with('#'),
                    "values.yaml line {}: `{line}` has no comment above it",
                    i + 1
                );
            }
        }
    }

    #[test]
    fn sets_win_over_files_and_later_sets_win() {
        let values = load(&[], &["port=1".into(), "port=2".into()]).unwrap();
        assert_eq!(values["port"], 2);
    }
}
