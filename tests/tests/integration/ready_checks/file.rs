//! `grpc_health_contrib::file` against a real heartbeat file whose modification time the
//! test sets, so that no assertion depends on how fast the machine is.

use std::fs::File;
use std::time::{Duration, SystemTime};

use grpc_health_checks::Group;
use grpc_health_contrib::file::FileCheck;

use super::harness::Evaluated;

const MAX_AGE: Duration = Duration::from_secs(60);

fn touch(path: &std::path::Path, modified: SystemTime) {
    File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .and_then(|file| file.set_modified(modified))
        .expect("set the heartbeat's modification time");
}

#[tokio::test]
async fn passes_fails_when_stale_or_missing_and_recovers() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("worker.heartbeat");
    let shown = path.display().to_string();
    touch(&path, SystemTime::now());
    let check = FileCheck::new(&path, MAX_AGE)
        .into_check()
        .group(Group::Liveness);
    let evaluated = Evaluated::start(check);
    evaluated.passes().await;

    touch(&path, SystemTime::now() - Duration::from_secs(3600));
    let reason = evaluated
        .fails_with(&[&format!("{shown} last modified "), "s ago, more than 60s"])
        .await;
    assert!(
        reason.contains(" 3600.") || reason.contains(" 3601"),
        "{reason}"
    );
    assert_eq!(
        evaluated.handle().status("liveness"),
        Some(grpc_health_checks::ServingStatus::NotServing),
        "placed in liveness, it drives liveness"
    );

    touch(&path, SystemTime::now());
    evaluated.passes().await;

    std::fs::remove_file(&path).expect("remove the heartbeat");
    evaluated
        .fails_with(&[&format!("{shown}: No such file or directory")])
        .await;
    touch(&path, SystemTime::now());
    evaluated.passes().await;
}
