//! The renderer's errors. Each message names the offending value, file or argument
//! and says what to change; every one of them exits 1.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// A value that is missing or out of range, found before anything is rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ValueError {
    /// Dotted path of the value, as written after `--set`.
    path: String,
    /// What is wrong and how to fix it; follows the path in the message.
    problem: String,
}

impl ValueError {
    /// A problem with the value at `path` (dotted, e.g. `readiness.periodSeconds`).
    pub(crate) fn new(path: impl Into<String>, problem: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            problem: problem.into(),
        }
    }
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "value `{}` {}", self.path, self.problem)
    }
}

/// Everything that stops a render.
#[derive(Debug)]
pub(crate) enum Error {
    /// A `--values` file that cannot be read or is not a YAML mapping.
    ValuesFile {
        /// The path as given on the command line.
        path: PathBuf,
        /// Why it was refused.
        reason: String,
    },
    /// A `--set` argument that is not `key.path=value` (or `list[N].key=value`).
    Set {
        /// The argument as given.
        arg: String,
        /// Why it was refused and how to write it.
        reason: String,
    },
    /// A value that is missing or invalid.
    Value(ValueError),
    /// A `--templates` directory that cannot be read or holds no template.
    Templates {
        /// The directory (or file in it).
        dir: PathBuf,
        /// Why it was refused.
        reason: String,
    },
    /// `--template NAME` names no template.
    UnknownTemplate {
        /// The name given.
        name: String,
        /// The names there are.
        known: String,
    },
    /// `--template NAME` rendered nothing with these values.
    Empty {
        /// The template file.
        file: String,
        /// The value that would make it render, if known.
        hint: &'static str,
    },
    /// A template failed to render.
    Render {
        /// The template file and line.
        at: String,
        /// What went wrong.
        reason: String,
    },
    /// Writing the manifests to stdout failed.
    Write(io::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ValuesFile { path, reason } => {
                write!(f, "values file `{}`: {reason}", path.display())
            }
            Self::Set { arg, reason } => {
                write!(f, "--set `{arg}`: {reason}")
            }
            Self::Value(error) => error.fmt(f),
            Self::Templates { dir, reason } => {
                write!(f, "templates directory `{}` {reason}", dir.display())
            }
            Self::UnknownTemplate { name, known } => {
                write!(
                    f,
                    "--template `{name}` is not a template here; there are: {known}"
                )
            }
            Self::Empty { file, hint } => {
                write!(
                    f,
                    "template `{file}` renders nothing with these values{hint}"
                )
            }
            Self::Render { at, reason } => write!(f, "template {at}: {reason}"),
            Self::Write(error) => write!(f, "cannot write the manifests to stdout: {error}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<ValueError> for Error {
    fn from(error: ValueError) -> Self {
        Self::Value(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_error_names_the_path_first() {
        let error = Error::from(ValueError::new("port", "is missing"));
        assert_eq!(error.to_string(), "value `port` is missing");
    }

    #[test]
    fn values_file_error_names_the_path() {
        let error = Error::ValuesFile {
            path: PathBuf::from("/tmp/v.yaml"),
            reason: "cannot read it".into(),
        };
        assert_eq!(
            error.to_string(),
            "values file `/tmp/v.yaml`: cannot read it"
        );
    }
}
