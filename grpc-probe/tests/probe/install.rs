//! `-install=PATH`: the probe copies itself for init containers without `cp`;
//! failures exit 1 saying what to fix, and RPC flags are refused.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::support::run;

/// The names in `dir`, sorted.
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn installs_a_working_executable_copy() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("grpc-probe");
    let target_str = target.to_str().unwrap();
    run([format!("-install={target_str}")])
        .await
        .assert_exit(0, &["installed grpc-probe at", target_str]);
    let original = std::fs::read(env!("CARGO_BIN_EXE_grpc-probe")).unwrap();
    assert!(std::fs::read(&target).unwrap() == original, "copy differs");
    let mode = std::fs::metadata(&target).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o755);
    assert_eq!(
        entries(dir.path()),
        ["grpc-probe"],
        "no temporary file left"
    );

    let copy = tokio::process::Command::new(&target)
        .arg("-version")
        .output()
        .await
        .unwrap();
    assert!(copy.status.success());
    assert!(String::from_utf8_lossy(&copy.stdout).starts_with("grpc-probe "));

    // A directory gets grpc-probe inside it, replacing the earlier copy.
    let dir_str = dir.path().to_str().unwrap();
    run(["--install", dir_str])
        .await
        .assert_exit(0, &[&format!("installed grpc-probe at {target_str}")]);
    assert_eq!(entries(dir.path()), ["grpc-probe"]);
}

#[tokio::test]
async fn install_errors_say_what_to_fix() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing");
    let missing_str = missing.to_str().unwrap();
    run(["-install", &format!("{missing_str}/grpc-probe")])
        .await
        .assert_exit(1, &[missing_str, "does not exist; create it"]);

    let file = dir.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let file_str = file.to_str().unwrap();
    run([format!("--install={file_str}/grpc-probe")])
        .await
        .assert_exit(1, &[file_str, "is not a directory"]);

    // sysfs refuses new files even to root.
    run(["-install=/sys/grpc-probe"])
        .await
        .assert_exit(1, &["cannot install grpc-probe", "/sys", "writable volume"]);
    assert_eq!(entries(dir.path()), ["a-file"], "nothing left behind");
}

#[tokio::test]
async fn install_refuses_probe_flags() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("grpc-probe");
    let install = format!("-install={}", target.to_str().unwrap());
    for (flag, name) in [
        ("-addr=127.0.0.1:1", "with -addr:"),
        ("-service=readiness", "with -service:"),
        ("-watch", "with -watch:"),
    ] {
        run([install.as_str(), flag])
            .await
            .assert_exit(1, &["-install cannot be used", name]);
    }
    assert!(!target.exists());
}
