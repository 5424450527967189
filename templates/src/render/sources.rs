//! Where the templates come from: the built-in ones, or a team's directory
//! given with `--templates DIR`.
//!
//! In a directory, every `*.yaml.j2` (or `*.yml.j2`) file at the top whose
//! name does not start with `_` is rendered, in name order; every other `*.j2`
//! file (partials such as `_macros.j2`, subdirectories) can be included or
//! imported. Other files (a README, say) are left alone.

use std::fs;
use std::path::{Path, PathBuf};

use crate::catalog::TEMPLATES;
use crate::error::Error;

/// One template file.
#[derive(Debug, Clone)]
pub(crate) struct Source {
    /// Its name in the environment: the path relative to the directory.
    pub(crate) file: String,
    /// The name `--template` takes (the file name without `.yaml.j2`), if rendered.
    pub(crate) name: Option<String>,
    /// The template text.
    pub(crate) text: String,
}

/// The templates of one render, and where they were read from.
#[derive(Debug)]
pub(crate) struct Sources {
    /// The directory, or `None` for the built-in templates.
    pub(crate) dir: Option<PathBuf>,
    /// Every file, rendered ones in render order.
    pub(crate) files: Vec<Source>,
}

impl Sources {
    /// The built-in templates.
    pub(crate) fn built_in() -> Self {
        Self {
            dir: None,
            files: TEMPLATES
                .iter()
                .map(|template| Source {
                    file: template.file.to_owned(),
                    name: Some(template.name.to_owned()),
                    text: template.source.to_owned(),
                })
                .collect(),
        }
    }

    /// Every file under `dir`.
    pub(crate) fn dir(dir: &Path) -> Result<Self, Error> {
        let mut files = Vec::new();
        collect(dir, dir, &mut files)?;
        files.sort_by(|a, b| a.file.cmp(&b.file));
        if !files.iter().any(|source| source.name.is_some()) {
            return Err(Error::Templates {
                dir: dir.to_owned(),
                reason: "holds no template to render: add a file such as deployment.yaml.j2 \
                         (files starting with `_` are only included)"
                    .into(),
            });
        }
        Ok(Self {
            dir: Some(dir.to_owned()),
            files,
        })
    }

    /// The names `--template` takes.
    pub(crate) fn names(&self) -> Vec<&str> {
        self.files
            .iter()
            .filter_map(|s| s.name.as_deref())
            .collect()
    }

    /// The text of `file`.
    pub(crate) fn text(&self, file: &str) -> Option<&str> {
        self.files
            .iter()
            .find(|source| source.file == file)
            .map(|source| source.text.as_str())
    }

    /// Where `file` comes from, for error messages.
    pub(crate) fn location(&self, file: &str) -> String {
        match &self.dir {
            Some(dir) => dir.join(file).display().to_string(),
            None => format!("built-in {file}"),
        }
    }
}

/// For a relative path that is not there: where it was looked for.
fn relative_hint(path: &Path, error: &std::io::Error) -> String {
    match std::env::current_dir() {
        Ok(cwd) if path.is_relative() && error.kind() == std::io::ErrorKind::NotFound => format!(
            "; a relative path is read from the current directory, {}",
            cwd.display()
        ),
        _ => String::new(),
    }
}

fn collect(root: &Path, dir: &Path, files: &mut Vec<Source>) -> Result<(), Error> {
    let refuse = |path: &Path, error: std::io::Error| Error::Templates {
        dir: path.to_owned(),
        reason: format!("cannot be read ({error}){}", relative_hint(path, &error)),
    };
    let entries = fs::read_dir(dir).map_err(|error| refuse(dir, error))?;
    for entry in entries {
        let path = entry.map_err(|error| refuse(dir, error))?.path();
        if path.is_dir() {
            collect(root, &path, files)?;
            continue;
        }
        let relative = path.strip_prefix(root).unwrap_or(&path);
        let Some(file) = relative.to_str().map(|f| f.replace('\\', "/")) else {
            continue;
        };
        if !file.ends_with(".j2") {
            continue;
        }
        let text = fs::read_to_string(&path).map_err(|error| refuse(&path, error))?;
        let top = !file.contains('/');
        let name = [".yaml.j2", ".yml.j2"]
            .iter()
            .find_map(|suffix| file.strip_suffix(suffix))
            .filter(|name| top && !name.starts_with('_'))
            .map(str::to_owned);
        files.push(Source { file, name, text });
    }
    Ok(())
}
