//! kubelet v1.20.2 built offline from Debian's source package with Debian's
//! Go, in GOPATH mode (`GO111MODULE=off`, `CGO_ENABLED=0`) from its
//! `vendor/` tree, and cached under the user's cache directory so that only
//! the first run pays for it. The build's intermediates (about 1.5 GB) are
//! removed afterwards.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::steps::{self, StepError};

use super::source::{self, UPSTREAM};

const STEP: &str = "build kubelet";

/// Where Debian's golang-github-modern-go-reflect2-dev puts reflect2 1.0.2.
pub(super) const REFLECT2: &str = "/usr/share/gocode/src/github.com/modern-go/reflect2";

/// A file of that package, for the install check.
pub(super) const REFLECT2_SOURCE: &str =
    "/usr/share/gocode/src/github.com/modern-go/reflect2/reflect2.go";

/// The vendored reflect2 (1.0.1), which crashes under Go 1.18 and later.
const VENDORED_REFLECT2: &str = "vendor/github.com/modern-go/reflect2";

/// The package that stamps `kubelet --version`.
const VERSION_PACKAGE: &str = "k8s.io/kubernetes/vendor/k8s.io/component-base/version";

/// The cached kubelet, built first if it is not there.
pub(super) fn kubelet() -> Result<PathBuf, StepError> {
    let cache = cache_dir()?;
    let binary = cache.join(format!("kubelet-v{UPSTREAM}"));
    if reports_version(&binary) {
        eprintln!(
            "xtask: kubelet v{UPSTREAM} is cached at {}",
            binary.display()
        );
        return Ok(binary);
    }
    let work = cache.join("kubelet-build");
    super::remove_dir(STEP, &work)?;
    let started = Instant::now();
    let gopath = work.join("gopath");
    let tree = gopath.join("src/k8s.io/kubernetes");
    let parent = tree.parent().unwrap_or(&gopath);
    fs::create_dir_all(parent).map_err(|error| io("create", parent, &error))?;
    source::fetch(&work, &tree)?;
    replace_reflect2(&tree)?;
    // Renamed into place once built: a cut-short build never counts as cached.
    let partial = cache.join(format!("kubelet-v{UPSTREAM}.partial"));
    let ldflags = format!(
        "-s -w -X {VERSION_PACKAGE}.gitVersion=v{UPSTREAM} -X {VERSION_PACKAGE}.gitMajor=1 \
         -X {VERSION_PACKAGE}.gitMinor=20 -X {VERSION_PACKAGE}.gitTreeState=clean"
    );
    let mut go = Command::new("go");
    go.current_dir(&tree)
        .args(["build", "-o"])
        .arg(&partial)
        .args(["-ldflags", &ldflags, "./cmd/kubelet"])
        .env("GO111MODULE", "off")
        .env("GOPATH", &gopath)
        .env("GOFLAGS", "")
        .env("GOTOOLCHAIN", "local")
        .env("CGO_ENABLED", "0")
        .env("GOCACHE", work.join("gocache"));
    eprintln!("xtask: building kubelet v{UPSTREAM} (GOPATH mode, vendor/; minutes on 2 cores)");
    steps::run(STEP, &mut go)?;
    fs::rename(&partial, &binary).map_err(|error| io("rename", &partial, &error))?;
    super::remove_dir(STEP, &work)?;
    eprintln!(
        "xtask: kubelet v{UPSTREAM} built in {:.0?} (source fetch included), cached at {}",
        started.elapsed(),
        binary.display()
    );
    if reports_version(&binary) {
        Ok(binary)
    } else {
        Err(StepError::new(
            STEP,
            format!("{} does not report v{UPSTREAM}", binary.display()),
        ))
    }
}

/// `$XDG_CACHE_HOME/grpc-health-toolkit`, else `~/.cache/grpc-health-toolkit`.
fn cache_dir() -> Result<PathBuf, StepError> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
        .ok_or_else(|| StepError::new(STEP, "neither XDG_CACHE_HOME nor HOME is set"))?;
    let dir = base.join("grpc-health-toolkit");
    fs::create_dir_all(&dir).map_err(|error| io("create", &dir, &error))?;
    Ok(dir)
}

/// Whether `binary` runs and says it is kubelet v1.20.2.
fn reports_version(binary: &Path) -> bool {
    Command::new(binary)
        .arg("--version")
        .output()
        .is_ok_and(|output| {
            String::from_utf8_lossy(&output.stdout).trim() == format!("Kubernetes v{UPSTREAM}")
        })
}

/// Swaps the vendored reflect2 1.0.1 for Debian's 1.0.2, a drop-in that
/// works under Go 1.18 and later.
fn replace_reflect2(tree: &Path) -> Result<(), StepError> {
    let vendored = tree.join(VENDORED_REFLECT2);
    super::remove_dir(STEP, &vendored)?;
    fs::create_dir_all(&vendored).map_err(|error| io("create", &vendored, &error))?;
    let sources =
        fs::read_dir(REFLECT2).map_err(|error| io("list", Path::new(REFLECT2), &error))?;
    for entry in sources.filter_map(Result::ok) {
        let path = entry.path();
        if path
            .extension()
            .is_some_and(|ext| ext == "go" || ext == "s")
        {
            let to = vendored.join(entry.file_name());
            fs::copy(&path, &to).map_err(|error| io("copy", &path, &error))?;
        }
    }
    Ok(())
}

fn io(what: &str, path: &Path, error: &std::io::Error) -> StepError {
    StepError::new(STEP, format!("{what} {}: {error}", path.display()))
}
