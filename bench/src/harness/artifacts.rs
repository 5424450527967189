//! The binaries under test, built with the cargo that runs the bench, in the
//! target directory the bench was built in.
//!
//! The probe is measured as it ships: the static musl build of the dist
//! command (`dist/grpc-probe-x86_64-unknown-linux-musl`) when that file is
//! there, else the same build made here (`--profile probe --target
//! x86_64-unknown-linux-musl`). `bare-client` and `bare-tls-client` are built
//! the same way, so that `probe_vs_bare` and `probe_vs_bare_tls` compare like
//! with like. The probe and bare-client are also built for the host's glibc
//! (the `glibc_` figures). Each is its own cargo invocation, so that
//! features are not unified between them: built together, grpc-probe would
//! get the bench's tonic and tokio features, and bare-client grpc-probe's.
//!
//! The `peak-rss` helper is a static musl build too (see its docs), and
//! health-demo an ordinary `--release` build.

use std::env;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::Result;

/// The target the probe ships for.
const SHIPPED_TARGET: &str = "x86_64-unknown-linux-musl";
/// Where `cargo xtask dist` puts the shipped probe, from the workspace root.
const DIST_PROBE: &str = "dist/grpc-probe-x86_64-unknown-linux-musl";

/// One cargo invocation of a single binary.
struct Build {
    /// `--profile probe` (else `--release`).
    probe_profile: bool,
    /// For the shipped target (else the host's).
    shipped: bool,
    package: &'static str,
    /// `--no-default-features` and these features, or the default features.
    features: Option<&'static str>,
    bin: &'static str,
}

const SHIPPED_PROBE: Build = Build {
    probe_profile: true,
    shipped: true,
    package: "grpc-health-exec-probe",
    features: None,
    bin: "grpc-probe",
};
const SHIPPED_BARE: Build = Build {
    features: Some(""),
    package: "bench",
    bin: "bare-client",
    ..SHIPPED_PROBE
};
const SHIPPED_BARE_TLS: Build = Build {
    features: Some("bare-tls"),
    bin: "bare-tls-client",
    ..SHIPPED_BARE
};
const GLIBC_PROBE: Build = Build {
    shipped: false,
    ..SHIPPED_PROBE
};
const GLIBC_BARE: Build = Build {
    shipped: false,
    ..SHIPPED_BARE
};
const PEAK_RSS: Build = Build {
    features: Some("rss-helper"),
    bin: "peak-rss",
    ..SHIPPED_BARE
};
const DEMO: Build = Build {
    probe_profile: false,
    shipped: false,
    package: "examples",
    features: None,
    bin: "health-demo",
};

impl Build {
    /// The arguments after `cargo build`.
    fn args(&self) -> Vec<&'static str> {
        let mut args = if self.probe_profile {
            vec!["--profile", "probe"]
        } else {
            vec!["--release"]
        };
        if self.shipped {
            args.extend(["--target", SHIPPED_TARGET]);
        }
        args.extend(["-p", self.package]);
        match self.features {
            Some("") => args.push("--no-default-features"),
            Some(features) => args.extend(["--no-default-features", "--features", features]),
            None => {}
        }
        args.extend(["--bin", self.bin]);
        args
    }

    /// Where the binary lands in `target`.
    fn output(&self, target: &Path) -> PathBuf {
        let target = if self.shipped {
            target.join(SHIPPED_TARGET)
        } else {
            target.to_owned()
        };
        let profile = if self.probe_profile {
            "probe"
        } else {
            "release"
        };
        target.join(profile).join(self.bin)
    }
}

/// Paths of the built binaries.
#[derive(Debug)]
pub(crate) struct Artifacts {
    /// grpc-probe as it ships: static musl, size profile.
    pub(crate) probe: PathBuf,
    /// The bare tonic client, built like `probe`.
    pub(crate) bare_client: PathBuf,
    /// The bare tonic client with the probe's TLS stack, built like `probe`.
    pub(crate) bare_tls_client: PathBuf,
    /// grpc-probe for the host's glibc, size profile.
    pub(crate) glibc_probe: PathBuf,
    /// The bare tonic client, built like `glibc_probe`.
    pub(crate) glibc_bare_client: PathBuf,
    /// health-demo, release profile.
    pub(crate) demo: PathBuf,
    /// The peak-RSS helper, static musl.
    pub(crate) peak_rss: PathBuf,
    /// `true`, found on `PATH`.
    pub(crate) true_bin: PathBuf,
}

impl Artifacts {
    /// Builds every binary (the shipped probe only when the dist file is
    /// absent), then locates them.
    pub(crate) fn build() -> Result<Self> {
        ensure_shipped_toolchain()?;
        let mut builds = vec![
            &SHIPPED_BARE,
            &SHIPPED_BARE_TLS,
            &GLIBC_PROBE,
            &GLIBC_BARE,
            &PEAK_RSS,
            &DEMO,
        ];
        if dist_probe().is_none() {
            builds.insert(0, &SHIPPED_PROBE);
        }
        for build in builds {
            cargo_build(&build.args())?;
        }
        Self::locate()
    }

    /// Locates binaries built earlier.
    pub(crate) fn locate() -> Result<Self> {
        let target = target_dir();
        let built = |build: &Build| {
            let path = build.output(&target);
            if path.is_file() {
                Ok(path)
            } else {
                Err(format!(
                    "{} is missing: run without --no-build",
                    path.display()
                ))
            }
        };
        let probe = match dist_probe() {
            Some(dist) => {
                eprintln!("bench: measuring the shipped probe {}", dist.display());
                dist
            }
            None => built(&SHIPPED_PROBE)?,
        };
        Ok(Self {
            probe,
            bare_client: built(&SHIPPED_BARE)?,
            bare_tls_client: built(&SHIPPED_BARE_TLS)?,
            glibc_probe: built(&GLIBC_PROBE)?,
            glibc_bare_client: built(&GLIBC_BARE)?,
            demo: built(&DEMO)?,
            peak_rss: built(&PEAK_RSS)?,
            true_bin: which("true").ok_or("`true` is not on PATH")?,
        })
    }
}

/// The dist command's probe, if it has been built.
fn dist_probe() -> Option<PathBuf> {
    let path = workspace_root().join(DIST_PROBE);
    path.is_file().then_some(path)
}

/// Runs `cargo build ARGS` in the bench's workspace and target directory.
fn cargo_build(args: &[&str]) -> Result<()> {
    let cargo = env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    eprintln!("bench: cargo build {}", args.join(" "));
    let mut command = Command::new(&cargo);
    // Under `cargo run`, the bench inherits the variables cargo sets for the
    // crate it runs; build scripts (ring's) that watch them would rebuild on
    // every switch between `cargo run` and running the bench directly.
    for (name, _) in env::vars_os() {
        if name.to_str().is_some_and(is_crate_variable) {
            command.env_remove(name);
        }
    }
    // The flags `cargo xtask dist` ships with (non-PIE, fully static), so the
    // dist probe and the bench's own musl builds are built the same way.
    command.env(
        "CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_RUSTFLAGS",
        "-C target-feature=+crt-static -C relocation-model=static",
    );
    let status = command
        .arg("build")
        .arg("--manifest-path")
        .arg(workspace_root().join("Cargo.toml"))
        .arg("--target-dir")
        .arg(target_dir())
        .args(args)
        .status()
        .map_err(|error| format!("cannot run {}: {error}", cargo.to_string_lossy()))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("cargo build {} failed: {status}", args.join(" ")).into())
    }
}

/// Whether cargo sets `name` for the crate it builds or runs (rather than
/// the user setting it to configure cargo).
fn is_crate_variable(name: &str) -> bool {
    const SET_FOR_CRATES: [&str; 9] = [
        "CARGO_MANIFEST_DIR",
        "CARGO_MANIFEST_PATH",
        "CARGO_MANIFEST_LINKS",
        "CARGO_CRATE_NAME",
        "CARGO_BIN_NAME",
        "CARGO_PRIMARY_PACKAGE",
        "CARGO_TARGET_TMPDIR",
        "CARGO_RUSTC_CURRENT_DIR",
        "OUT_DIR",
    ];
    name.starts_with("CARGO_PKG_") || SET_FOR_CRATES.contains(&name)
}

/// Installs what the static musl builds need when it is missing: the Rust
/// target (rustup) and a musl C compiler for ring (Debian's `musl-tools`).
fn ensure_shipped_toolchain() -> Result<()> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .stderr(Stdio::inherit())
        .output()
        .map_err(|error| {
            format!("cannot run rustup to find the {SHIPPED_TARGET} target: {error}")
        })?;
    if !String::from_utf8_lossy(&installed.stdout)
        .lines()
        .any(|line| line.trim() == SHIPPED_TARGET)
    {
        eprintln!(
            "bench: the {SHIPPED_TARGET} target is missing: rustup target add {SHIPPED_TARGET}"
        );
        run(Command::new("rustup").args(["target", "add", SHIPPED_TARGET]))?;
    }
    if which("musl-gcc").is_none() {
        eprintln!("bench: musl-gcc is missing: apt-get install -y musl-tools");
        run(Command::new("apt-get").arg("update"))?;
        run(Command::new("apt-get").args(["install", "-y", "musl-tools"]))?;
    }
    Ok(())
}

/// Runs `command`, which must succeed.
fn run(command: &mut Command) -> Result<()> {
    let status = command
        .status()
        .map_err(|error| format!("cannot run {command:?}: {error}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{command:?} failed: {status}").into())
    }
}

/// The workspace this crate belongs to.
pub(crate) fn workspace_root() -> &'static Path {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir)
}

/// The target directory the bench itself was built in: it runs as
/// `<target>/release/bench`, whatever set that directory (`CARGO_TARGET_DIR`,
/// a cargo config, `--target-dir`). Else `CARGO_TARGET_DIR`, else the
/// workspace's `target`.
fn target_dir() -> PathBuf {
    let built_in = env::current_exe().ok().and_then(|exe| {
        let profile_dir = exe.parent()?;
        let target = profile_dir.parent()?;
        target
            .join("CACHEDIR.TAG")
            .is_file()
            .then(|| target.to_owned())
    });
    built_in.unwrap_or_else(|| match env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => env::current_dir()
            .map(|cwd| cwd.join(&dir))
            .unwrap_or_else(|_| PathBuf::from(dir)),
        _ => workspace_root().join("target"),
    })
}

/// The first `name` on `PATH`.
fn which(name: &str) -> Option<PathBuf> {
    env::split_paths(&env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workspace_root_holds_this_crate() {
        assert!(workspace_root().join("bench").join("Cargo.toml").is_file());
    }

    #[test]
    fn each_build_has_its_profile_target_and_features() {
        let musl = "--profile probe --target x86_64-unknown-linux-musl";
        let expected = [
            (
                &SHIPPED_PROBE,
                format!("{musl} -p grpc-health-exec-probe --bin grpc-probe"),
                "x86_64-unknown-linux-musl/probe/grpc-probe",
            ),
            (
                &SHIPPED_BARE,
                format!("{musl} -p bench --no-default-features --bin bare-client"),
                "x86_64-unknown-linux-musl/probe/bare-client",
            ),
            (
                &SHIPPED_BARE_TLS,
                format!(
                    "{musl} -p bench --no-default-features --features bare-tls --bin bare-tls-client"
                ),
                "x86_64-unknown-linux-musl/probe/bare-tls-client",
            ),
            (
                &GLIBC_PROBE,
                "--profile probe -p grpc-health-exec-probe --bin grpc-probe".to_owned(),
                "probe/grpc-probe",
            ),
            (
                &GLIBC_BARE,
                "--profile probe -p bench --no-default-features --bin bare-client".to_owned(),
                "probe/bare-client",
            ),
            (
                &PEAK_RSS,
                format!(
                    "{musl} -p bench --no-default-features --features rss-helper --bin peak-rss"
                ),
                "x86_64-unknown-linux-musl/probe/peak-rss",
            ),
            (
                &DEMO,
                "--release -p examples --bin health-demo".to_owned(),
                "release/health-demo",
            ),
        ];
        for (build, args, output) in expected {
            assert_eq!(build.args().join(" "), args);
            assert_eq!(build.output(Path::new("t")), Path::new("t").join(output));
        }
    }

    #[test]
    fn only_variables_cargo_sets_for_crates_are_dropped() {
        assert!(is_crate_variable("CARGO_PKG_NAME") && is_crate_variable("CARGO_MANIFEST_DIR"));
        assert!(!is_crate_variable("CARGO_TARGET_DIR") && !is_crate_variable("CARGO_HOME"));
        assert!(!is_crate_variable("CARGO") && !is_crate_variable("RUSTFLAGS"));
    }

    #[test]
    fn the_shipped_build_is_what_dist_builds() {
        assert_eq!(
            SHIPPED_PROBE.args().join(" "),
            "--profile probe --target x86_64-unknown-linux-musl -p grpc-health-exec-probe --bin grpc-probe"
        );
        assert!(DIST_PROBE.ends_with(SHIPPED_TARGET));
    }
}
