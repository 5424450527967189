//! The source a release is built from, as git names it: the last commit's
//! time (`SOURCE_DATE_EPOCH`, so that every timestamp in the artifacts is the
//! same on every rebuild) and revision.

use std::process::Command;

use crate::steps::{self, StepError, workspace_root};

const STEP: &str = "source";

/// The last commit.
#[derive(Debug, Clone)]
pub(crate) struct Source {
    /// Its committer time, in seconds since the epoch.
    pub(crate) epoch: u64,
    /// The same time in RFC 3339, UTC (`2026-12-06T00:00:00Z`).
    pub(crate) created: String,
    /// Its full hash.
    pub(crate) revision: String,
}

impl Source {
    /// The last commit of the workspace's repository.
    pub(crate) fn last_commit() -> Result<Self, StepError> {
        let out = steps::output(
            STEP,
            Command::new("git")
                .current_dir(workspace_root())
                .env("TZ", "UTC")
                .args([
                    "log",
                    "-1",
                    "--date=format-local:%Y-%m-%dT%H:%M:%SZ",
                    "--format=%ct %cd %H",
                ]),
        )?;
        parse(&out).ok_or_else(|| {
            StepError::new(
                STEP,
                format!("`git log -1` printed {out:?}, expected `EPOCH DATE HASH`"),
            )
        })
    }
}

fn parse(line: &str) -> Option<Source> {
    let mut words = line.split_whitespace();
    let epoch = words.next()?.parse().ok()?;
    let created = words.next()?.to_owned();
    let revision = words.next()?.to_owned();
    Some(Source {
        epoch,
        created,
        revision,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_commit_is_read() {
        let source = Source::last_commit().expect("the workspace is a git repository");
        assert!(source.epoch > 1_600_000_000, "{source:?}");
        assert_eq!(source.revision.len(), 40, "{source:?}");
        assert!(source.created.ends_with('Z'), "{source:?}");
        assert!(parse("12 x").is_none());
        assert!(parse("soon 2026-01-01T00:00:00Z abc").is_none());
    }
}
