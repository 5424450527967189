//! `grpc_health_contrib::disk` against a real file system: a small tmpfs mounted for the
//! test, so that its free space and inodes change only as the test fills it.

use std::path::{Path, PathBuf};
use std::process::Command;

use grpc_health_contrib::disk::DiskCheck;
use test_support::system;

use super::harness::Evaluated;

const MIB: u64 = 1024 * 1024;

/// An 8 MiB tmpfs with 64 inodes, unmounted when dropped.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount() -> Self {
        let mount = system::require("mount", "mount");
        let dir = tempfile::tempdir().expect("temp dir");
        let output = Command::new(mount)
            .args(["-t", "tmpfs", "-o", "size=8m,nr_inodes=64", "tmpfs"])
            .arg(dir.path())
            .output()
            .expect("run mount");
        assert!(
            output.status.success(),
            "mounting a tmpfs needs root with CAP_SYS_ADMIN (as CI runs): {}",
            String::from_utf8_lossy(&output.stderr)
        );
        Self { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

#[tokio::test]
async fn passes_fails_when_space_or_inodes_run_low_and_recovers() {
    let tmpfs = Tmpfs::mount();
    let shown = tmpfs.path().display().to_string();
    let check = DiskCheck::new(tmpfs.path())
        .min_free_bytes(4 * MIB)
        .min_free_inodes(16)
        .into_check();
    let evaluated = Evaluated::start(check);
    evaluated.passes().await;

    std::fs::write(tmpfs.file("ballast"), vec![1_u8; 6 * 1024 * 1024]).expect("fill the tmpfs");
    evaluated
        .fails_with(&[&format!("{shown} has 2.0 MiB free, below 4.0 MiB")])
        .await;
    std::fs::remove_file(tmpfs.file("ballast")).expect("free the space");
    evaluated.passes().await;

    for index in 0..56 {
        std::fs::write(tmpfs.file(&format!("small-{index}")), b"x").expect("use an inode");
    }
    let reason = evaluated
        .fails_with(&[&format!("{shown} has "), "free inodes, below 16"])
        .await;
    assert!(!reason.contains("MiB"), "space is fine: {reason}");
    for index in 0..56 {
        std::fs::remove_file(tmpfs.file(&format!("small-{index}"))).expect("free an inode");
    }
    evaluated.passes().await;
}

#[tokio::test]
async fn a_missing_path_fails_with_the_os_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("not-mounted");
    let evaluated = Evaluated::start(DiskCheck::new(&missing).into_check());
    evaluated
        .fails_with(&[&format!(
            "statvfs {} failed: No such file or directory",
            missing.display()
        )])
        .await;
    std::fs::create_dir(&missing).expect("create the path");
    evaluated.passes().await;
}
