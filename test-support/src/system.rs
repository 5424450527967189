//! Programs from Debian's packages that some suites need (podman, prometheus,
//! postgres, redis-server, …). A missing one is installed with `apt-get`
//! (CI runs as root and reaches the Debian mirror); where that cannot work the
//! test fails saying what to install. Python modules come from PyPI with pip
//! the same way. Never a silent skip.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// Directories searched besides `PATH`: Debian puts server programs in sbin
/// and PostgreSQL's in a versioned directory.
const EXTRA_DIRS: [&str; 3] = ["/usr/sbin", "/sbin", "/usr/lib/postgresql/15/bin"];

/// Serializes installs within one test binary: dpkg takes one at a time.
static INSTALLING: Mutex<()> = Mutex::new(());

/// The path of `program`, installing Debian package `package` first if it is
/// not there. Fails the test with the command to run if it cannot be had.
pub fn require(program: &str, package: &str) -> PathBuf {
    if let Some(path) = find(program) {
        return path;
    }
    let _one_at_a_time = INSTALLING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(path) = find(program) {
        return path;
    }
    let outcome = apt_install(&[package])
        .map_or_else(|error| error, |()| format!("apt-get installed {package}"));
    find(program).unwrap_or_else(|| {
        panic!(
            "`{program}` is missing and installing Debian package `{package}` did not provide \
             it ({outcome}). Install it with `apt-get install {package}` and run the tests again."
        )
    })
}

/// Where `program` is, in `PATH` or the extra directories.
pub fn find(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(EXTRA_DIRS.iter().map(PathBuf::from))
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

/// Runs `apt-get update`, then one `apt-get install` of `packages`, waiting
/// for dpkg's lock; the error says which command failed and what apt said.
pub fn apt_install(packages: &[&str]) -> Result<(), String> {
    let apt = |args: &[&str]| {
        Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .output()
    };
    let install: Vec<&str> = [
        "install",
        "-y",
        "-q",
        "--no-install-recommends",
        "-o",
        "DPkg::Lock::Timeout=300",
    ]
    .into_iter()
    .chain(packages.iter().copied())
    .collect();
    for step in [&["update", "-q"][..], &install] {
        match apt(step) {
            Ok(output) if output.status.success() => {}
            Ok(output) => {
                return Err(format!(
                    "`apt-get {}` failed: {}",
                    step.join(" "),
                    String::from_utf8_lossy(&output.stderr).trim()
                ));
            }
            Err(error) => return Err(format!("cannot run apt-get: {error}")),
        }
    }
    Ok(())
}

/// A `python3` that imports every module of `modules`, installing the PyPI
/// `packages` with pip first if one is missing. Fails the test with the pip
/// command to run if they cannot be had.
pub fn require_python_modules(modules: &[&str], packages: &[&str]) -> PathBuf {
    let python = require("python3", "python3");
    let imports = |python: &Path| {
        Command::new(python)
            .args(["-c", &format!("import {}", modules.join(", "))])
            .output()
            .is_ok_and(|output| output.status.success())
    };
    if imports(&python) {
        return python;
    }
    let _one_at_a_time = INSTALLING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let pip = Command::new(&python)
        .args(["-m", "pip", "install", "-q"])
        .args(packages)
        .output();
    let outcome = match pip {
        Ok(output) if output.status.success() => "pip installed them".to_owned(),
        Ok(output) => format!(
            "pip failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ),
        Err(error) => format!("cannot run pip: {error}"),
    };
    assert!(
        imports(&python),
        "python3 cannot import {} ({outcome}). Install them with `python3 -m pip install {}` \
         and run the tests again.",
        modules.join(", "),
        packages.join(" ")
    );
    python
}
