//! `--kube-version`: each version-specific field renders from the version
//! that brings it and is refused, naming the version, below it; versions
//! outside 1.33 to 1.37 are refused naming the range.

use serde_norway::Value;

use crate::cli::{self, with_sets};
use crate::manifest::{deployment, pod, server, valid};

/// The required values, `sets`, and `--kube-version version`.
fn at(version: &str, sets: &[&str]) -> Vec<String> {
    let mut args = with_sets(sets);
    args.extend(["--kube-version".into(), version.into()]);
    args
}

/// Runs and asserts exit 1 with nothing rendered and every one of `words` said.
fn refused(args: &[String], words: &[&str]) {
    let run = cli::run(args);
    assert_eq!(run.code, 1, "exit code; stderr: {}", run.stderr);
    assert!(run.stdout.is_empty(), "nothing rendered: {}", run.stdout);
    for word in words {
        assert!(run.stderr.contains(word), "{word:?} in: {}", run.stderr);
    }
}

#[test]
fn versions_outside_the_range_name_it() {
    for version in ["1.32", "1.38", "2.0", "latest", ""] {
        refused(&at(version, &[]), &["--kube-version", "use 1.33 to 1.37"]);
    }
    for version in ["1.33", "1.34", "1.35", "1.36", "1.37", "v1.36", "1.35.2"] {
        valid(&at(version, &[]));
    }
}

#[test]
fn the_default_is_1_33() {
    // What 1.33 refuses is refused with no --kube-version too.
    refused(
        &with_sets(&["preStopSleepSeconds=5"]),
        &["`preStopSleepSeconds`", "--kube-version is 1.33"],
    );
}

#[test]
fn pre_stop_sleep_needs_1_34() {
    refused(
        &at("1.33", &["preStopSleepSeconds=5", "drainDelaySeconds=0"]),
        &[
            "value `preStopSleepSeconds` is 5",
            "GA from Kubernetes 1.34",
            "--kube-version is 1.33",
            "1.34 or later",
        ],
    );
    let docs = valid(&at(
        "1.34",
        &["preStopSleepSeconds=5", "drainDelaySeconds=0"],
    ));
    let pod = pod(deployment(&docs));
    let sleep = server(deployment(&docs))
        .lifecycle
        .as_ref()
        .and_then(|l| l.pre_stop.as_ref())
        .and_then(|h| h.sleep.as_ref())
        .map(|s| s.seconds);
    assert_eq!(sleep, Some(5));
    // The sleep counts against the grace period, so it is added to it.
    assert_eq!(pod.termination_grace_period_seconds, Some(5 + 10));
}

#[test]
fn no_sleep_renders_no_lifecycle() {
    let docs = valid(&at("1.37", &[]));
    assert!(server(deployment(&docs)).lifecycle.is_none());
}

/// The readiness probe's `grpc` mapping as rendered (k8s-openapi's 1.33
/// types have no `mode`, so it is read untyped).
fn readiness_grpc(args: &[String]) -> Value {
    let stream = cli::render(args);
    let deployment: Value = serde_norway::from_str(
        stream
            .split("\n---\n")
            .find(|doc| doc.contains("kind: Deployment"))
            .expect("a Deployment"),
    )
    .expect("YAML");
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["grpc"].clone()
}

#[test]
fn grpc_probes_over_tls_need_1_37() {
    refused(
        &at("1.36", &["probe.mode=grpc", "tls.enabled=true"]),
        &[
            "value `tls.enabled`",
            "KEP-4939",
            "--kube-version is 1.36",
            "1.37 or later",
            "probe.mode=exec",
        ],
    );
    let grpc = readiness_grpc(&at("1.37", &["probe.mode=grpc", "tls.enabled=true"]));
    assert_eq!(grpc["mode"], Value::from("TLS"), "{grpc:?}");
    assert_eq!(grpc["port"], Value::from(50051), "{grpc:?}");
    // Plaintext servers get no mode at any version.
    let grpc = readiness_grpc(&at("1.37", &["probe.mode=grpc"]));
    assert!(grpc.get("mode").is_none(), "{grpc:?}");
}

#[test]
fn exec_probes_over_tls_verify_with_grpc_probe_flags() {
    let container = crate::manifest::rendered_server(&[
        "tls.enabled=true",
        "tls.caCert=/etc/tls/ca.pem",
        "tls.serverName=greeter.shop.svc",
    ]);
    for probe in crate::manifest::probes(&container) {
        let command = probe
            .exec
            .as_ref()
            .and_then(|e| e.command.as_ref())
            .expect("exec");
        assert_eq!(
            command[1..5],
            [
                "-addr=localhost:50051",
                "-tls",
                "-tls-ca-cert=/etc/tls/ca.pem",
                "-tls-server-name=greeter.shop.svc",
            ]
        );
    }
}

#[test]
fn tls_values_that_do_nothing_are_refused() {
    refused(
        &with_sets(&["tls.caCert=/ca.pem"]),
        &["value `tls.caCert`", "tls.enabled is false"],
    );
    refused(
        &at(
            "1.37",
            &["probe.mode=grpc", "tls.enabled=true", "tls.serverName=x"],
        ),
        &[
            "value `tls.serverName`",
            "probe.mode=grpc",
            "verifies no certificate",
        ],
    );
    refused(
        &with_sets(&["tls.enabled=true", "tls.caCert=ca.pem"]),
        &["value `tls.caCert`", "absolute path"],
    );
    refused(
        &with_sets(&["tls.enabled=true", "tls.serverName=Bad_Name"]),
        &["value `tls.serverName`", "DNS-1123 subdomain"],
    );
}

#[test]
fn env_names_follow_the_version() {
    // 1.33 may hold names to [-._a-zA-Z][-._a-zA-Z0-9]*; 1.34 takes printable ASCII but '='.
    let sets = ["env[0].name=1ST:VAR", "env[0].value=x"];
    refused(
        &at("1.33", &sets),
        &["value `env[0].name`", "1.34 or later"],
    );
    valid(&at("1.34", &sets));
    refused(
        &at("1.37", &["env[0].name=A=B", "env[0].value=x"]),
        &["value `env[0].name`", "other than '='"],
    );
}
