//! Running the `health-manifests` binary and reading what it printed.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::NamedTempFile;
use test_support::process::{self, Run};

/// The required values, for tests that vary something else.
pub(crate) const REQUIRED: [&str; 6] = [
    "--set",
    "name=greeter",
    "--set",
    "image=registry.example/greeter:1.0",
    "--set",
    "port=50051",
];

/// The required values plus a `--set` for each of `sets`.
pub(crate) fn with_sets(sets: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = REQUIRED.iter().map(|s| (*s).to_owned()).collect();
    for set in sets {
        args.extend(["--set".to_owned(), (*set).to_owned()]);
    }
    args
}

/// Runs `health-manifests` with `args`.
pub(crate) fn run<S: AsRef<str>>(args: &[S]) -> Run {
    process::run_blocking(command(args))
}

/// Runs `health-manifests` with `args` from the directory `dir`.
pub(crate) fn run_from<S: AsRef<str>>(dir: &Path, args: &[S]) -> Run {
    let mut command = command(args);
    command.current_dir(dir);
    process::run_blocking(command)
}

fn command<S: AsRef<str>>(args: &[S]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_health-manifests"));
    command.args(args.iter().map(AsRef::as_ref));
    command
}

/// Runs `health-manifests` with `args`, expecting success; returns stdout.
pub(crate) fn render<S: AsRef<str>>(args: &[S]) -> String {
    let run = run(args);
    assert_eq!(run.code, 0, "health-manifests failed: {}", run.stderr);
    assert!(run.stderr.is_empty(), "unexpected stderr: {}", run.stderr);
    run.stdout
}

/// A temporary values file holding `text`.
pub(crate) fn values_file(text: &str) -> NamedTempFile {
    let mut file = NamedTempFile::new().expect("temp file");
    file.write_all(text.as_bytes()).expect("write values file");
    file
}

/// A values file shipped with the tests, in `tests/manifests/values/`.
pub(crate) fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/manifests/values")
        .join(name)
}

/// The example team template directory, `templates/examples/team`.
pub(crate) fn example_team() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/team")
}
