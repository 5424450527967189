//! Debian's `kubernetes` source package (bookworm's kubelet 1.20.2, with
//! upstream's whole `vendor/` tree), fetched through a private apt
//! configuration: its own `sources.list.d` holding `deb-src` twins of the
//! machine's sources, its own lists and cache directories. The system's apt
//! setup is read, never changed.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::steps::{self, StepError};

const STEP: &str = "fetch the kubernetes source package";

/// The upstream release the Debian version must carry.
pub(super) const UPSTREAM: &str = "1.20.2";

/// Where the system's apt sources are: the one-line list and the parts.
const SYSTEM_LIST: &str = "/etc/apt/sources.list";
const SYSTEM_PARTS: &str = "/etc/apt/sources.list.d";

/// Downloads and unpacks the source package into `tree` (which must not
/// exist), using `work` for apt's private state.
pub(super) fn fetch(work: &Path, tree: &Path) -> Result<(), StepError> {
    let apt = PrivateApt::create(&work.join("apt"))?;
    steps::output(STEP, apt.command("apt-get").args(["update", "-q"]))?;
    let showsrc = steps::output(
        STEP,
        apt.command("apt-cache").args(["showsrc", "kubernetes"]),
    )?;
    let version = pick_version(&showsrc).ok_or_else(|| {
        StepError::new(
            STEP,
            format!(
                "no `kubernetes` source package of upstream {UPSTREAM} in this machine's Debian \
                 suites (bookworm has 1.20.5+really1.20.2); apt-cache showsrc said:\n{showsrc}"
            ),
        )
    })?;
    let download = work.join("download");
    fs::create_dir_all(&download).map_err(|error| io("create", &download, &error))?;
    eprintln!("xtask: apt-get source --download-only kubernetes={version}");
    steps::output(
        STEP,
        apt.command("apt-get")
            .current_dir(&download)
            .args(["source", "--download-only"])
            .arg(format!("kubernetes={version}")),
    )?;
    let dsc = fs::read_dir(&download)
        .map_err(|error| io("list", &download, &error))?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .find(|path| path.extension().is_some_and(|ext| ext == "dsc"))
        .ok_or_else(|| StepError::new(STEP, "apt-get source downloaded no .dsc"))?;
    steps::output(
        STEP,
        Command::new("dpkg-source")
            .args(["--extract", "--no-check"])
            .arg(&dsc)
            .arg(tree),
    )?;
    Ok(())
}

/// The highest version in `apt-cache showsrc` output that packages upstream
/// [`UPSTREAM`].
fn pick_version(showsrc: &str) -> Option<&str> {
    showsrc
        .lines()
        .filter_map(|line| line.strip_prefix("Version: "))
        .map(str::trim)
        .filter(|version| version.contains(UPSTREAM))
        .max()
}

/// apt with its own source list, lists and cache under one directory.
struct PrivateApt {
    options: Vec<String>,
}

impl PrivateApt {
    /// Writes the `deb-src` twins of the system's sources under `dir`.
    fn create(dir: &Path) -> Result<Self, StepError> {
        let parts = dir.join("parts");
        for sub in [
            parts.clone(),
            dir.join("lists/partial"),
            dir.join("cache/archives/partial"),
        ] {
            fs::create_dir_all(&sub).map_err(|error| io("create", &sub, &error))?;
        }
        let none = dir.join("none.list");
        fs::write(&none, "").map_err(|error| io("write", &none, &error))?;
        let mut written = 0;
        for (source, text) in system_sources() {
            let name = source.file_name().map_or_else(
                || "sources".into(),
                |name| name.to_string_lossy().into_owned(),
            );
            let twin = if name.ends_with(".sources") {
                deb822_as_source(&text)
            } else {
                one_line_as_source(&text)
            };
            if twin.trim().is_empty() {
                continue;
            }
            let path = parts.join(&name);
            fs::write(&path, twin).map_err(|error| io("write", &path, &error))?;
            written += 1;
        }
        if written == 0 {
            return Err(StepError::new(
                STEP,
                format!("no apt sources in {SYSTEM_LIST} or {SYSTEM_PARTS} to derive deb-src from"),
            ));
        }
        let option =
            |key: &str, path: &Path| ["-o".to_owned(), format!("{key}={}", path.display())];
        let mut options: Vec<String> = [
            option("Dir::Etc::sourcelist", &none),
            option("Dir::Etc::sourceparts", &parts),
            option("Dir::State::lists", &dir.join("lists")),
            option("Dir::Cache", &dir.join("cache")),
        ]
        .concat();
        // The private directories belong to root, not to apt's `_apt` user.
        options.extend(["-o".to_owned(), "APT::Sandbox::User=root".to_owned()]);
        Ok(Self { options })
    }

    /// `program` (apt-get or apt-cache) with the private configuration.
    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(program);
        command
            .args(&self.options)
            .env("DEBIAN_FRONTEND", "noninteractive");
        command
    }
}

/// The system's source files and their text.
fn system_sources() -> Vec<(PathBuf, String)> {
    let mut files = vec![PathBuf::from(SYSTEM_LIST)];
    if let Ok(entries) = fs::read_dir(SYSTEM_PARTS) {
        let mut parts: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| {
                path.extension()
                    .is_some_and(|ext| ext == "list" || ext == "sources")
            })
            .collect();
        parts.sort();
        files.extend(parts);
    }
    files
        .into_iter()
        .filter_map(|path| fs::read_to_string(&path).ok().map(|text| (path, text)))
        .collect()
}

/// A deb822 `.sources` file with every stanza's `Types:` set to `deb-src`.
fn deb822_as_source(text: &str) -> String {
    text.lines()
        .map(|line| {
            if line.starts_with("Types:") {
                "Types: deb-src"
            } else {
                line
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// The `deb` lines of a one-line-style list, as `deb-src` lines.
fn one_line_as_source(text: &str) -> String {
    text.lines()
        .filter_map(|line| line.trim_start().strip_prefix("deb "))
        .map(|rest| format!("deb-src {rest}\n"))
        .collect()
}

fn io(what: &str, path: &Path, error: &std::io::Error) -> StepError {
    StepError::new(STEP, format!("{what} {}: {error}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::{deb822_as_source, one_line_as_source, pick_version};

    #[test]
    fn sources_become_deb_src() {
        assert_eq!(
            deb822_as_source("Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm\n"),
            "Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm\n"
        );
        assert_eq!(
            one_line_as_source("# comment\ndeb http://d/debian bookworm main\ndeb-src x y\n"),
            "deb-src http://d/debian bookworm main\n"
        );
    }

    #[test]
    fn the_version_must_carry_upstream_1_20_2() {
        let showsrc = "Package: kubernetes\nVersion: 1.20.5+really1.20.2-1.1+deb12u1\n\n\
                       Package: kubernetes\nVersion: 1.28.0-1\n";
        assert_eq!(
            pick_version(showsrc),
            Some("1.20.5+really1.20.2-1.1+deb12u1")
        );
        assert_eq!(pick_version("Version: 1.28.0-1\n"), None);
    }
}
