//! `podman kube play` of the rendered Deployment: the liveness probe as
//! podman's healthcheck, a NOT_SERVING service failing it, the shell podman
//! needs for it, the init-container install, and the drain on SIGTERM.

use std::time::Instant;

use tempfile::NamedTempFile;

use crate::fixtures;
use crate::manifests::{self, PORT};
use crate::podman::{self, Cleanup, ONE_AT_A_TIME};

/// A pod played from a rendered Deployment; removed when dropped.
struct Pod {
    yaml: NamedTempFile,
    manifest: String,
    pod: String,
    container: String,
    _cleanup: Cleanup,
}

impl Pod {
    /// Plays `yaml` (the Deployment `name`) with no network but loopback and
    /// waits until the demo in it listens.
    async fn play(name: &str, yaml: &str) -> Self {
        // Podman names a Deployment's pod `<name>-pod-0` and its containers
        // `<pod>-<container>`.
        let pod = format!("{name}-pod-0");
        let container = format!("{pod}-{name}");
        let cleanup = Cleanup::new(&[&pod], &[]);
        let file = NamedTempFile::new().expect("temporary manifest");
        std::fs::write(file.path(), manifests::without_ports(yaml)).expect("write the manifest");
        let path = file.path().to_str().expect("UTF-8 path");
        podman::ok(&["kube", "play", "--network", "none", path]).await;
        let listening = format!("listening on 0.0.0.0:{PORT}");
        podman::wait_for_log(&container, &listening).await;
        eprintln!("{pod}: started, {container} logged `{listening}`");
        Self {
            yaml: file,
            manifest: yaml.to_owned(),
            pod,
            container,
            _cleanup: cleanup,
        }
    }

    /// `podman healthcheck run`: podman runs the liveness probe's command in
    /// the container. Its exit code and the health status it recorded.
    async fn healthcheck(&self) -> (i32, String) {
        podman::healthcheck(&self.container).await
    }

    /// The container's health log (each check's exit code and output), as JSON.
    async fn health_log(&self) -> String {
        podman::inspect(&self.container, "{{json .State.Health}}").await
    }

    /// Stops the pod as kubelet would: SIGTERM, then SIGKILL once the
    /// manifest's `terminationGracePeriodSeconds` have passed. Returns the
    /// server's exit code, after checking that it drained.
    ///
    /// Not `podman kube down`: podman 4.3 stops the pod there with a zero
    /// timeout, so the server is killed (exit 137) without a drain.
    async fn terminate(&self) -> i32 {
        let grace = self
            .manifest
            .lines()
            .find_map(|line| line.trim().strip_prefix("terminationGracePeriodSeconds: "))
            .expect("the Deployment sets terminationGracePeriodSeconds")
            .to_owned();
        let started = Instant::now();
        podman::ok(&["pod", "stop", "--time", &grace, &self.pod]).await;
        let stopped = started.elapsed();
        let code = podman::inspect(&self.container, "{{.State.ExitCode}}").await;
        let logs = podman::run(&["logs", &self.container]).await;
        let logs = format!("{}{}", logs.stdout, logs.stderr);
        assert!(
            logs.contains("health service draining") && logs.contains("server stopped"),
            "the server did not drain:\n{logs}"
        );
        eprintln!(
            "{}: SIGTERM with a {grace} s grace period: drained and exited {code} after {stopped:.1?}",
            self.pod
        );
        code.parse().expect("an exit code")
    }

    /// [`Pod::terminate`], which must end in exit 0, then `podman kube
    /// down`, which removes what `kube play` created.
    async fn drain_and_remove(self) {
        assert_eq!(
            self.terminate().await,
            0,
            "the demo was killed instead of draining"
        );
        let path = self.yaml.path().to_str().expect("UTF-8 path").to_owned();
        podman::ok(&["kube", "down", &path]).await;
    }

    /// One healthcheck, which must pass.
    async fn assert_healthy(&self) {
        assert_eq!(
            self.healthcheck().await,
            (0, "healthy".to_owned()),
            "{}",
            self.health_log().await
        );
    }

    /// Runs the liveness probe `times` times; each must fail, and podman
    /// must count them as failures in a row. (Podman 4.3 keeps the status
    /// `starting` until a first success, so the streak is what it records.)
    async fn fail_healthchecks(&self, times: usize) {
        for _ in 0..times {
            let run = podman::run(&["healthcheck", "run", &self.container]).await;
            assert_eq!(
                (run.code, run.stdout.trim()),
                (1, "unhealthy"),
                "stderr: {}; health log: {}",
                run.stderr.trim(),
                self.health_log().await
            );
        }
        let streak = podman::inspect(&self.container, "{{.State.Health.FailingStreak}}").await;
        assert_eq!(streak, times.to_string(), "{}", self.health_log().await);
    }
}

/// Failures in a row that leave the container alone: one fewer than the
/// rendered liveness failureThreshold (3), at which podman, like kubelet,
/// restarts the container, which would race with what the test does next.
const FAILURES_BELOW_THRESHOLD: usize = 2;

/// The rendered liveness probe, run by podman in an image with the probe and a
/// shell: healthy while the demo serves; SIGTERM drains it to exit 0.
#[tokio::test]
async fn image_install_is_healthy_and_drains_on_sigterm() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let name = "ghc-e2e-image";
    let image = fixtures::app_with_probe().await;
    let yaml = manifests::deployment(name, &image, "").await;
    let pod = Pod::play(name, &yaml).await;
    let test = podman::inspect(&pod.container, "{{json .Config.Healthcheck.Test}}").await;
    assert!(
        test.contains("/usr/local/bin/grpc-probe") && test.contains("-service=liveness"),
        "podman's healthcheck is not the rendered liveness probe: {test}"
    );
    pod.assert_healthy().await;
    eprintln!("{name}: healthcheck healthy");
    pod.drain_and_remove().await;
}

/// Liveness pointed at `helloworld.Greeter`, which follows the demo's
/// readiness, while the ready file is missing: the probe's exit 4
/// (NOT_SERVING) makes podman's healthcheck fail; creating the file makes it
/// pass. (The templates refuse `liveness.service: readiness` outright.)
#[tokio::test]
async fn a_not_serving_service_fails_the_healthcheck() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let name = "ghc-e2e-not-serving";
    let image = fixtures::app_with_probe().await;
    // The root filesystem is read-only: the ready file lives in an emptyDir.
    let values = format!(
        "liveness: {{service: helloworld.Greeter}}\n\
         args: [--addr, \"0.0.0.0:{PORT}\", --ready-file, /ready/ok]\n\
         volumes: [{{name: ready, emptyDir: {{}}}}]\n\
         volumeMounts: [{{name: ready, mountPath: /ready}}]\n"
    );
    let yaml = manifests::deployment(name, &image, &values).await;
    let pod = Pod::play(name, &yaml).await;
    pod.fail_healthchecks(FAILURES_BELOW_THRESHOLD).await;
    let log = pod.health_log().await;
    assert!(
        log.contains("NOT_SERVING"),
        "the probe's message is not in the health log: {log}"
    );
    eprintln!("{name}: healthcheck unhealthy while helloworld.Greeter is NOT_SERVING");
    podman::ok(&["exec", &pod.container, "/bin/sh", "-c", ": > /ready/ok"]).await;
    // Wait for the demo's next evaluation with the probe's own `-wait`, run
    // directly: podman does not count it, so the streak stays one below the
    // threshold (a healthcheck run before the evaluation would be the
    // third failure, and podman would restart the container).
    let wait = format!("-wait={}s", test_support::HANG_GUARD.as_secs());
    podman::run(&[
        "exec",
        &pod.container,
        "/usr/local/bin/grpc-probe",
        &format!("-addr=127.0.0.1:{PORT}"),
        "-service=helloworld.Greeter",
        &wait,
    ])
    .await
    .assert_exit(0, &["status: SERVING"]);
    pod.assert_healthy().await;
    pod.drain_and_remove().await;
}

/// The release image has no shell. Podman wraps an exec probe as
/// `CMD-SHELL`, so its healthcheck fails there, while the same command
/// executed directly, as kubelet does, passes.
#[tokio::test]
async fn podman_needs_a_shell_for_the_probe_kubelet_does_not() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let name = "ghc-e2e-no-shell";
    let image = fixtures::demo_image().await;
    let yaml = manifests::deployment(name, &image, "").await;
    let pod = Pod::play(name, &yaml).await;
    let test = podman::inspect(&pod.container, "{{json .Config.Healthcheck.Test}}").await;
    assert!(test.starts_with(r#"["CMD-SHELL""#), "{test}");
    pod.fail_healthchecks(FAILURES_BELOW_THRESHOLD).await;
    let shell = podman::run(&["exec", &pod.container, "/bin/sh", "-c", "true"]).await;
    assert_ne!(shell.code, 0, "the release image has a shell after all");
    assert!(shell.stderr.contains("/bin/sh"), "{}", shell.stderr);
    let direct = podman::run(&[
        "exec",
        &pod.container,
        "/usr/local/bin/grpc-probe",
        &format!("-addr=127.0.0.1:{PORT}"),
        "-service=liveness",
    ])
    .await;
    direct.assert_exit(0, &["status: SERVING"]);
    eprintln!("{name}: podman's healthcheck needs /bin/sh; the probe run directly says SERVING");
    pod.drain_and_remove().await;
}

/// `probe.install: initContainer`: the probe image's `-install` copies the
/// probe into the shared emptyDir (the image has no `cp`), and the liveness
/// probe runs that copy in an application image that has no probe of its own.
#[tokio::test]
async fn the_init_container_installs_the_probe() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let name = "ghc-e2e-init";
    let image = fixtures::app_with_shell().await;
    let probe_image = fixtures::probe_image().await;
    let values = format!(
        "probe: {{install: initContainer, image: \"{probe_image}\", imagePath: /grpc-probe}}\n"
    );
    let yaml = manifests::deployment(name, &image, &values).await;
    assert!(
        yaml.contains("- -install=/opt/grpc-probe/grpc-probe"),
        "the init container does not run `/grpc-probe -install=…` (the probe image has no \
         `cp`); rendered:\n{yaml}"
    );
    let pod = Pod::play(name, &manifests::with_podman_restart_on_failure(&yaml)).await;
    let missing = podman::run(&[
        "exec",
        &pod.container,
        "/usr/local/bin/grpc-probe",
        "-version",
    ])
    .await;
    assert_ne!(
        missing.code, 0,
        "the application image should have no probe of its own"
    );
    pod.assert_healthy().await;
    eprintln!("{name}: the init container installed {probe_image}'s probe; healthy");
    pod.drain_and_remove().await;
}
