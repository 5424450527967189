//! Every template, in both probe modes and both install methods, with several
//! values files: the output passes strict schema validation and the API
//! server's rules, and the values come through unchanged.

use crate::cli::{self, REQUIRED};
use crate::manifest::{deployment, pod, probes, server, valid};
use crate::schema;

const FIXTURES: [&str; 3] = ["minimal.yaml", "tricky.yaml", "tuned.yaml"];
const MODES: [&str; 2] = ["exec", "grpc"];
const INSTALLS: [&str; 2] = ["image", "initContainer"];

#[test]
fn every_values_file_in_every_mode_renders_valid_manifests() {
    for fixture in FIXTURES {
        for mode in MODES {
            for install in INSTALLS {
                let file = cli::fixture(fixture);
                let args = [
                    "--values",
                    file.to_str().expect("UTF-8 path"),
                    "--set",
                    &format!("probe.mode={mode}"),
                    "--set",
                    &format!("probe.install={install}"),
                ];
                let docs = valid(&args);
                let (deployments, services) = schema::split(&docs);
                assert_eq!(
                    (deployments.len(), services.len()),
                    (1, 1),
                    "{fixture} {mode} {install}"
                );
                let handler =
                    probes(server(deployments[0])).map(|p| (p.exec.is_some(), p.grpc.is_some()));
                assert_eq!(
                    handler,
                    [(mode == "exec", mode == "grpc"); 3],
                    "{fixture} {mode}"
                );
            }
        }
    }
}

#[test]
fn each_template_renders_alone() {
    for (template, kind) in [("deployment", "Deployment"), ("service", "Service")] {
        let args = [&REQUIRED[..], &["--template", template]].concat();
        let docs = valid(&args);
        assert_eq!(docs.len(), 1, "{template}");
        assert_eq!(docs[0].raw["kind"].as_str(), Some(kind));
    }
}

#[test]
fn help_lists_the_templates() {
    let help = cli::render(&["--help"]);
    for template in ["deployment", "service"] {
        assert!(help.contains(template), "{help}");
    }
}

#[test]
fn tricky_values_stay_strings() {
    let file = cli::fixture("tricky.yaml");
    for mode in MODES {
        let docs = valid(&[
            "--values",
            file.to_str().expect("UTF-8 path"),
            "--set",
            &format!("probe.mode={mode}"),
        ]);
        let deployment = deployment(&docs);
        assert_eq!(deployment.metadata.name.as_deref(), Some("yes"));
        let labels = deployment.metadata.labels.as_ref().expect("labels");
        for (key, value) in [
            ("enabled", "true"),
            ("count", "1"),
            ("octal", "0755"),
            ("null", "off"),
            ("example.com/on", "no"),
            ("app.kubernetes.io/version", "1.10"),
            ("app.kubernetes.io/part-of", "true"),
            ("app.kubernetes.io/component", "null"),
        ] {
            assert_eq!(
                labels.get(key).map(String::as_str),
                Some(value),
                "label {key}"
            );
        }
        let server = server(deployment);
        assert_eq!(
            server.image.as_deref(),
            Some("registry.example/team/app:1.0 #not-a-comment")
        );
        let services = probes(server).map(|probe| match (&probe.exec, &probe.grpc) {
            (Some(exec), None) => exec.command.as_ref().expect("command")[2].clone(),
            (None, Some(grpc)) => {
                format!("-service={}", grpc.service.as_deref().unwrap_or_default())
            }
            _ => unreachable!("one handler, checked by the rules"),
        });
        assert_eq!(
            services,
            ["-service=on", "-service=null", "-service="],
            "{mode}"
        );
    }
}

#[test]
fn exec_probes_check_their_own_services_within_timeout_seconds() {
    let docs = valid(&REQUIRED);
    let commands = probes(server(deployment(&docs))).map(|probe| {
        probe
            .exec
            .as_ref()
            .and_then(|e| e.command.clone())
            .expect("exec command")
    });
    for (command, service) in commands.iter().zip(["readiness", "liveness", "readiness"]) {
        assert_eq!(
            command,
            &[
                "/usr/local/bin/grpc-probe",
                "-addr=127.0.0.1:50051",
                &format!("-service={service}"),
                "-connect-timeout=450ms",
                "-rpc-timeout=450ms",
            ]
        );
    }
}

#[test]
fn exec_timeouts_follow_each_probes_timeout_seconds() {
    let file = cli::fixture("tuned.yaml");
    let docs = valid(&["--values", file.to_str().expect("UTF-8 path")]);
    let timeouts = probes(server(deployment(&docs))).map(|probe| {
        let command = probe
            .exec
            .as_ref()
            .and_then(|e| e.command.clone())
            .expect("exec command");
        (
            probe.timeout_seconds,
            command[3].clone(),
            command[4].clone(),
        )
    });
    // reserveMs 200 and connectTimeoutMs 500 set; the RPC gets the rest of each timeout.
    assert_eq!(
        timeouts,
        [
            (
                Some(3),
                "-connect-timeout=500ms".into(),
                "-rpc-timeout=2300ms".into()
            ),
            (
                Some(2),
                "-connect-timeout=500ms".into(),
                "-rpc-timeout=1300ms".into()
            ),
            (
                Some(2),
                "-connect-timeout=500ms".into(),
                "-rpc-timeout=1300ms".into()
            ),
        ]
    );
}

#[test]
fn init_container_install_copies_the_probe_into_a_shared_volume() {
    let file = cli::fixture("tuned.yaml");
    let docs = valid(&["--values", file.to_str().expect("UTF-8 path")]);
    let pod = pod(deployment(&docs));
    let init = &pod.init_containers.as_ref().expect("init container")[0];
    assert_eq!(
        init.image.as_deref(),
        Some("registry.example/tools/grpc-probe:0.1.0")
    );
    assert_eq!(
        init.command.as_deref(),
        Some(
            &[
                "cp".to_owned(),
                "/usr/local/bin/grpc-probe".into(),
                "/opt/grpc-probe/grpc-probe".into()
            ][..]
        )
    );
    let volume = &pod.volumes.as_ref().expect("volume")[0];
    assert!(volume.empty_dir.is_some(), "an emptyDir");
    let command = probes(&pod.containers[0])[0]
        .exec
        .as_ref()
        .and_then(|e| e.command.clone());
    assert_eq!(command.expect("exec")[0], "/opt/grpc-probe/grpc-probe");
}

#[test]
fn grpc_probes_use_the_numeric_port_and_each_service() {
    let docs = valid(&[&REQUIRED[..], &["--set", "probe.mode=grpc"]].concat());
    let grpc = probes(server(deployment(&docs))).map(|probe| {
        let grpc = probe.grpc.as_ref().expect("grpc handler");
        (grpc.port, grpc.service.clone())
    });
    assert_eq!(
        grpc,
        [
            (50051, Some("readiness".into())),
            (50051, Some("liveness".into())),
            (50051, Some("readiness".into())),
        ]
    );
}

#[test]
fn default_timings_are_kubernetes_defaults() {
    let docs = valid(&REQUIRED);
    for probe in probes(server(deployment(&docs))) {
        let timings = [
            probe.initial_delay_seconds,
            probe.period_seconds,
            probe.timeout_seconds,
            probe.success_threshold,
            probe.failure_threshold,
        ];
        assert_eq!(timings, [Some(0), Some(10), Some(1), Some(1), Some(3)]);
    }
}

#[test]
fn termination_grace_covers_the_drain_delay() {
    let docs = valid(
        &[
            &REQUIRED[..],
            &[
                "--set",
                "drainDelaySeconds=7",
                "--set",
                "shutdownGraceSeconds=4",
            ],
        ]
        .concat(),
    );
    let pod = pod(deployment(&docs));
    assert_eq!(pod.termination_grace_period_seconds, Some(11));
}

#[test]
fn service_is_cluster_ip_with_a_grpc_port() {
    let docs = valid(&REQUIRED);
    let (_, services) = schema::split(&docs);
    let spec = services[0].spec.as_ref().expect("spec");
    assert_eq!(spec.type_.as_deref(), Some("ClusterIP"));
    let port = &spec.ports.as_ref().expect("ports")[0];
    assert_eq!(port.name.as_deref(), Some("grpc"));
    assert_eq!(port.app_protocol.as_deref(), Some("grpc"));
    assert_eq!(port.port, 50051);
}

#[test]
fn later_values_files_win_and_sets_win_over_files() {
    let first = cli::values_file("name: first\nimage: a\nport: 1\nreadiness: {periodSeconds: 7}\n");
    let second = cli::values_file("name: second\nreadiness: {timeoutSeconds: 2}\n");
    let docs = valid(&[
        "--values",
        first.path().to_str().expect("UTF-8 path"),
        "--values",
        second.path().to_str().expect("UTF-8 path"),
        "--set",
        "port=2",
    ]);
    let deployment = deployment(&docs);
    assert_eq!(deployment.metadata.name.as_deref(), Some("second"));
    let server = server(deployment);
    assert_eq!(server.ports.as_ref().expect("ports")[0].container_port, 2);
    let readiness = probes(server)[0];
    // Deep merge: the first file's period and the second's timeout both apply.
    assert_eq!(
        (readiness.period_seconds, readiness.timeout_seconds),
        (Some(7), Some(2))
    );
}

#[test]
fn show_values_prints_the_documented_defaults() {
    let values = cli::render(&["--show-values"]);
    assert!(
        values.contains("failureThreshold × periodSeconds"),
        "{values}"
    );
    assert!(values.contains("probe:"), "{values}");
}
