//! Docker's `HEALTHCHECK`, as `podman run --health-cmd`: in exec form (a JSON
//! array) the probe runs without a shell, so the scratch release image works.

use crate::fixtures;
use crate::manifests::PORT;
use crate::podman::{self, Cleanup, ONE_AT_A_TIME};

#[tokio::test]
async fn exec_form_health_cmd_works_in_the_scratch_image() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let name = "ghc-e2e-run";
    let _cleanup = Cleanup::new(&[], &[name]);
    let image = fixtures::demo_image().await;
    let health_cmd = serde_json::to_string(&[
        "/usr/local/bin/grpc-probe",
        &format!("-addr=127.0.0.1:{PORT}"),
        "-service=liveness",
    ])
    .expect("strings serialize");
    podman::ok(&[
        "run",
        "--detach",
        "--name",
        name,
        "--network",
        "none",
        "--health-cmd",
        &health_cmd,
        &image,
    ])
    .await;
    podman::wait_for_log(name, &format!("listening on 0.0.0.0:{PORT}")).await;
    let test = podman::inspect(name, "{{json .Config.Healthcheck.Test}}").await;
    assert!(test.starts_with(r#"["CMD","#), "not the exec form: {test}");
    let (code, status) = podman::healthcheck(name).await;
    assert_eq!(
        (code, status.as_str()),
        (0, "healthy"),
        "{}",
        podman::inspect(name, "{{json .State.Health}}").await
    );
    podman::ok(&["stop", "--time", "15", name]).await;
    assert_eq!(
        podman::inspect(name, "{{.State.ExitCode}}").await,
        "0",
        "the demo did not drain and exit 0 on SIGTERM"
    );
}
