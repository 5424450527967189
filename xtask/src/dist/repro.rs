//! Reproducible probes: the compiler flags that keep the build machine's
//! paths out of the binaries, and the proof, a second build of the x86_64
//! probe from a copy of the sources in another directory with its own target
//! directory, whose SHA-256 must equal the released one's.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::steps::{self, StepError, target_dir, workspace_root};

use super::source::Source;
use super::targets::Target;

const STEP: &str = "reproducible";

/// `--remap-path-prefix` flags that name the sources `/build`, the target
/// directory `/build/target`, the cargo registry `/cargo` and the toolchain
/// `/rustup` in the binary (panic locations, generated code); rustc applies
/// the last match, so the more specific paths come last.
pub(crate) fn remap_flags(sources: &Path, target: &Path) -> Result<String, StepError> {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let under_home = |variable: &str, default: &str| {
        std::env::var_os(variable)
            .map(PathBuf::from)
            .or_else(|| home.as_ref().map(|home| home.join(default)))
    };
    let mut pairs = Vec::new();
    pairs.extend(under_home("RUSTUP_HOME", ".rustup").map(|path| (path, "/rustup")));
    pairs.extend(under_home("CARGO_HOME", ".cargo").map(|path| (path, "/cargo")));
    pairs.push((sources.to_path_buf(), "/build"));
    pairs.push((target.to_path_buf(), "/build/target"));
    pairs
        .into_iter()
        .map(|(from, to)| {
            let from = from.display().to_string();
            if from.contains(char::is_whitespace) {
                return Err(StepError::new(
                    STEP,
                    format!("the path {from:?} has a space, which cargo's RUSTFLAGS cannot carry: move it"),
                ));
            }
            Ok(format!("--remap-path-prefix={from}={to}"))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(|flags| flags.join(" "))
}

/// Builds the probe of `target` again from a copy of the sources in another
/// directory and fails unless it is byte for byte `released`; returns the
/// second binary.
pub(crate) fn check(
    released: &Path,
    target: Target,
    source: &Source,
    build: impl FnOnce(&Path, &Path) -> Result<PathBuf, StepError>,
) -> Result<PathBuf, StepError> {
    let base = target_dir().join("reproducible");
    let sources = base.join("sources");
    copy_tracked_files(&sources)?;
    let second = build(&sources, &base.join("target"))?;
    let sums = steps::output(STEP, Command::new("sha256sum").arg(released).arg(&second))?;
    let hashes: Vec<&str> = sums
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .collect();
    match hashes.as_slice() {
        [first, again] if first == again => {
            eprintln!(
                "xtask: {} built again in {} (commit time {}) is byte-identical: SHA-256 {first}",
                target.triple,
                sources.display(),
                source.epoch
            );
            Ok(second)
        }
        _ => Err(StepError::new(
            STEP,
            format!(
                "the {} probe built from {} is not the one built from {}:\n{sums}",
                target.triple,
                sources.display(),
                workspace_root().display()
            ),
        )),
    }
}

/// Replaces `into` with the files git tracks in the workspace, as they are in
/// the working tree (uncommitted edits included, so the two builds compare
/// the same sources).
fn copy_tracked_files(into: &Path) -> Result<(), StepError> {
    let root = workspace_root();
    let io = |what: &Path, error: std::io::Error| {
        StepError::new(STEP, format!("{}: {error}", what.display()))
    };
    if into.exists() {
        fs::remove_dir_all(into).map_err(|error| io(into, error))?;
    }
    let listing = steps::output(
        STEP,
        Command::new("git")
            .current_dir(&root)
            .args(["ls-files", "-z"]),
    )?;
    for relative in listing.split('\0').filter(|name| !name.is_empty()) {
        let from = root.join(relative);
        if !from.is_file() {
            // Deleted in the working tree: the build does not see it either.
            continue;
        }
        let to = into.join(relative);
        if let Some(parent) = to.parent() {
            fs::create_dir_all(parent).map_err(|error| io(parent, error))?;
        }
        fs::copy(&from, &to).map_err(|error| io(&from, error))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_target_directory_is_remapped_after_the_sources_it_may_be_inside() {
        let flags =
            remap_flags(Path::new("/src/repo"), Path::new("/src/repo/target")).expect("no spaces");
        let sources = flags
            .find("--remap-path-prefix=/src/repo=/build")
            .expect("the sources are remapped");
        let target = flags
            .find("--remap-path-prefix=/src/repo/target=/build/target")
            .expect("the target directory is remapped");
        assert!(sources < target, "{flags}");
        assert!(remap_flags(Path::new("/my repo"), Path::new("/t")).is_err());
    }
}
