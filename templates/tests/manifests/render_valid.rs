//! Every template, in every probe mode and install method, with several
//! values files: the output passes strict schema validation, the API server's
//! rules and the "restricted" Pod Security profile, and the values come
//! through unchanged.

use k8s_openapi::api::core::v1::Container;

use crate::cli::{self, REQUIRED};
use crate::manifest::{deployment, pod, probes, rendered_server, server, valid};
use crate::schema;

const FIXTURES: [&str; 4] = ["minimal.yaml", "tricky.yaml", "tuned.yaml", "full.yaml"];
/// Each probe mode with the install methods it takes.
const SETUPS: [(&str, &str); 4] = [
    ("exec", "image"),
    ("exec", "initContainer"),
    ("grpc", "image"),
    ("http", "image"),
];

fn fixture_args(fixture: &str, sets: &[&str]) -> Vec<String> {
    let file = cli::fixture(fixture);
    let mut args = vec![
        "--values".to_owned(),
        file.to_str().expect("UTF-8 path").to_owned(),
    ];
    for set in sets {
        args.extend(["--set".to_owned(), (*set).to_owned()]);
    }
    args
}

#[test]
fn every_values_file_in_every_mode_renders_valid_manifests() {
    for fixture in FIXTURES {
        for (mode, install) in SETUPS {
            let mode_set = format!("probe.mode={mode}");
            let install_set = format!("probe.install={install}");
            let mut sets = vec![mode_set.as_str(), install_set.as_str()];
            if fixture != "full.yaml" {
                sets.push("adminPort=8081");
            }
            let docs = valid(&fixture_args(fixture, &sets));
            let (deployments, services) = schema::split(&docs);
            assert_eq!(
                (deployments.len(), services.len()),
                (1, 1),
                "{fixture} {mode} {install}"
            );
            let handler = probes(server(deployments[0]))
                .map(|p| (p.exec.is_some(), p.grpc.is_some(), p.http_get.is_some()));
            assert_eq!(
                handler,
                [(mode == "exec", mode == "grpc", mode == "http"); 3],
                "{fixture} {mode}"
            );
            let init = pod(deployments[0]).init_containers.as_ref();
            assert_eq!(
                init.is_some(),
                install == "initContainer",
                "{fixture} {install}"
            );
        }
    }
}

#[test]
fn each_template_renders_alone() {
    for (template, kind) in [
        ("deployment", "Deployment"),
        ("service", "Service"),
        ("pdb", "PodDisruptionBudget"),
    ] {
        let args = [
            &REQUIRED[..],
            &["--set", "pdb.enabled=true", "--template", template],
        ]
        .concat();
        let docs = valid(&args);
        assert_eq!(docs.len(), 1, "{template}");
        assert_eq!(docs[0].raw["kind"].as_str(), Some(kind));
    }
}

#[test]
fn help_lists_the_templates() {
    let help = cli::render(&["--help"]);
    for template in ["deployment", "service", "pdb", "--templates"] {
        assert!(help.contains(template), "{help}");
    }
}

#[test]
fn tricky_values_stay_strings() {
    for mode in ["exec", "grpc"] {
        let docs = valid(&fixture_args(
            "tricky.yaml",
            &[&format!("probe.mode={mode}")],
        ));
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
            ["-service=on", "-service=null", "-service=off"],
            "{mode}"
        );
    }
}

#[test]
fn exec_probes_check_their_own_services_and_startup_checks_liveness() {
    let docs = valid(&REQUIRED);
    let commands = probes(server(deployment(&docs))).map(|probe| {
        probe
            .exec
            .as_ref()
            .and_then(|e| e.command.clone())
            .expect("exec command")
    });
    for (command, service) in commands.iter().zip(["readiness", "liveness", "liveness"]) {
        assert_eq!(
            command,
            &[
                "/usr/local/bin/grpc-probe",
                "-addr=localhost:50051",
                &format!("-service={service}"),
                "-connect-timeout=450ms",
                "-rpc-timeout=450ms",
            ]
        );
    }
}

#[test]
fn exec_timeouts_follow_each_probes_timeout_seconds() {
    let docs = valid(&fixture_args("tuned.yaml", &[]));
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
fn init_container_installs_the_probe_into_a_shared_volume() {
    let docs = valid(&fixture_args("tuned.yaml", &[]));
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
                "/grpc-probe".to_owned(),
                "-install=/opt/grpc-probe/grpc-probe".into()
            ][..]
        )
    );
    let volume = &pod.volumes.as_ref().expect("volume")[0];
    assert!(volume.empty_dir.is_some(), "an emptyDir");
    let mount = &pod.containers[0].volume_mounts.as_ref().expect("mount")[0];
    assert_eq!(
        (mount.mount_path.as_str(), mount.read_only),
        ("/opt/grpc-probe", Some(true))
    );
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
            (50051, Some("liveness".into())),
        ]
    );
}

#[test]
fn http_probes_get_readyz_and_livez_on_the_admin_port() {
    let docs = valid(&cli::with_sets(&["probe.mode=http", "adminPort=8080"]));
    let server = server(deployment(&docs));
    let gets = probes(server).map(|probe| {
        let get = probe.http_get.as_ref().expect("httpGet handler");
        (get.path.clone(), get.port.clone())
    });
    let admin = k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::String("admin".into());
    assert_eq!(
        gets,
        [
            (Some("/readyz".into()), admin.clone()),
            (Some("/livez".into()), admin.clone()),
            (Some("/livez".into()), admin),
        ]
    );
    let ports: Vec<_> = server
        .ports
        .iter()
        .flatten()
        .map(|p| (p.name.clone(), p.container_port))
        .collect();
    assert_eq!(
        ports,
        [(Some("grpc".into()), 50051), (Some("admin".into()), 8080)]
    );
    let (_, services) = schema::split(&docs);
    let service_ports: Vec<_> = services[0]
        .spec
        .as_ref()
        .and_then(|s| s.ports.clone())
        .expect("ports")
        .into_iter()
        .map(|p| (p.name, p.port))
        .collect();
    assert_eq!(
        service_ports,
        [(Some("grpc".into()), 50051), (Some("admin".into()), 8080)]
    );
}

#[test]
fn metrics_scrape_annotates_the_pod_template_only() {
    let docs = valid(&cli::with_sets(&["adminPort=8080", "metrics.scrape=true"]));
    let deployment = deployment(&docs);
    let template = deployment
        .spec
        .as_ref()
        .expect("spec")
        .template
        .metadata
        .as_ref();
    let annotations = template
        .and_then(|m| m.annotations.clone())
        .expect("annotations");
    assert_eq!(
        annotations.into_iter().collect::<Vec<_>>(),
        [
            ("prometheus.io/path".to_owned(), "/metrics".to_owned()),
            ("prometheus.io/port".into(), "8080".into()),
            ("prometheus.io/scrape".into(), "true".into()),
        ]
    );
    assert_eq!(deployment.metadata.annotations, None);
}

#[test]
fn default_timings_repeat_no_kubernetes_default_and_start_fast() {
    let docs = valid(&REQUIRED);
    let timings = probes(server(deployment(&docs))).map(|probe| {
        [
            probe.initial_delay_seconds,
            probe.period_seconds,
            probe.timeout_seconds,
            probe.success_threshold,
            probe.failure_threshold,
        ]
    });
    // Readiness and liveness keep Kubernetes' defaults (left out); startup is
    // probed every second with the same 30 s budget, so a pod is Ready about a
    // second after it serves: kubelet probes readiness as soon as startup passes.
    assert_eq!(
        timings,
        [[None; 5], [None; 5], [None, Some(1), None, None, Some(30)]]
    );
}

#[test]
fn termination_grace_covers_the_drain_delay() {
    let docs = valid(&cli::with_sets(&[
        "drainDelaySeconds=7",
        "shutdownGraceSeconds=4",
    ]));
    let pod = pod(deployment(&docs));
    assert_eq!(pod.termination_grace_period_seconds, Some(11));
}

#[test]
fn service_has_a_grpc_port_and_is_headless_on_request() {
    let docs = valid(&REQUIRED);
    let (_, services) = schema::split(&docs);
    let spec = services[0].spec.as_ref().expect("spec");
    assert_eq!(
        (spec.type_.as_deref(), spec.cluster_ip.as_deref()),
        (None, None)
    );
    let port = &spec.ports.as_ref().expect("ports")[0];
    assert_eq!(port.name.as_deref(), Some("grpc"));
    assert_eq!(port.app_protocol.as_deref(), Some("grpc"));
    assert_eq!(port.port, 50051);

    let docs = valid(&cli::with_sets(&["service.headless=true"]));
    let (_, services) = schema::split(&docs);
    let spec = services[0].spec.as_ref().expect("spec");
    assert_eq!(spec.cluster_ip.as_deref(), Some("None"));
}

#[test]
fn pdb_renders_only_when_enabled_with_its_bound() {
    assert!(schema::pdbs(&valid(&REQUIRED)).is_empty());
    let docs = valid(&cli::with_sets(&["pdb.enabled=true"]));
    let pdbs = schema::pdbs(&docs);
    let spec = pdbs[0].spec.as_ref().expect("spec");
    use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
    assert_eq!(spec.max_unavailable, Some(IntOrString::Int(1)));
    let docs = valid(&cli::with_sets(&[
        "pdb.enabled=true",
        "pdb.maxUnavailable=null",
        "pdb.minAvailable=50%",
    ]));
    let spec = schema::pdbs(&docs)[0].spec.clone().expect("spec");
    assert_eq!(
        (spec.min_available, spec.max_unavailable),
        (Some(IntOrString::String("50%".into())), None)
    );
}

#[test]
fn every_chart_value_reaches_the_manifests() {
    let docs = valid(&fixture_args("full.yaml", &[]));
    let deployment = deployment(&docs);
    assert_eq!(deployment.metadata.namespace.as_deref(), Some("payments"));
    assert_eq!(
        deployment
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get("example.com/owner"))
            .map(String::as_str),
        Some("billing-team")
    );
    let spec = deployment.spec.as_ref().expect("spec");
    assert_eq!(spec.replicas, Some(3));
    let strategy = spec.strategy.as_ref().expect("strategy");
    assert_eq!(strategy.type_.as_deref(), Some("RollingUpdate"));
    let pod = pod(deployment);
    assert_eq!(pod.service_account_name.as_deref(), Some("billing"));
    assert_eq!(pod.image_pull_secrets.as_ref().map(Vec::len), Some(1));
    assert_eq!(
        pod.security_context.as_ref().and_then(|c| c.fs_group),
        Some(65532),
        "merged over the secure defaults"
    );
    assert_eq!(
        pod.security_context
            .as_ref()
            .and_then(|c| c.run_as_non_root),
        Some(true)
    );
    assert!(pod.node_selector.is_some() && pod.tolerations.is_some());
    assert!(pod.affinity.is_some() && pod.topology_spread_constraints.is_some());
    let names: Vec<&str> = pod
        .volumes
        .iter()
        .flatten()
        .map(|v| v.name.as_str())
        .collect();
    assert_eq!(names, ["tmp", "grpc-probe"]);
    let server = server(deployment);
    assert_eq!(server.image_pull_policy.as_deref(), Some("Always"));
    assert_eq!(server.args.as_ref().map(Vec::len), Some(2));
    assert_eq!(server.env.as_ref().map(Vec::len), Some(2));
    assert!(
        server
            .resources
            .as_ref()
            .is_some_and(|r| r.limits.is_some())
    );
    assert_eq!(
        server
            .security_context
            .as_ref()
            .and_then(|c| c.run_as_group),
        Some(65532)
    );
    let init = &pod.init_containers.as_ref().expect("init")[0];
    assert_eq!(
        init.resources, server.resources,
        "init shares the resources"
    );
    let annotations = spec
        .template
        .metadata
        .as_ref()
        .and_then(|m| m.annotations.clone());
    let annotations = annotations.expect("pod annotations");
    assert_eq!(
        annotations
            .get("example.com/config-hash")
            .map(String::as_str),
        Some("12ab")
    );
    assert_eq!(
        annotations.get("prometheus.io/port").map(String::as_str),
        Some("8080")
    );
    let (_, services) = schema::split(&docs);
    assert_eq!(services[0].metadata.namespace.as_deref(), Some("payments"));
    assert_eq!(schema::pdbs(&docs).len(), 1);
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

#[test]
fn the_full_values_file_sets_every_top_level_value() {
    let read = |path: std::path::PathBuf| -> serde_norway::Mapping {
        let text = std::fs::read_to_string(&path).expect("read values");
        serde_norway::from_str(&text).expect("a mapping")
    };
    let defaults = read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("values.yaml"));
    let full = read(cli::fixture("full.yaml"));
    let missing: Vec<_> = defaults
        .keys()
        .filter(|key| !full.contains_key(*key))
        .collect();
    assert!(missing.is_empty(), "full.yaml leaves out {missing:?}");
}

/// `--set` takes Helm's list positions: items are filled in key by key, a
/// values file's list is edited in place, and a position past the end grows it.
#[test]
fn set_addresses_list_items_like_helm() {
    let container = rendered_server(&[
        "env[0].name=LOG",
        "env[0].value=debug",
        "env[1].name=MODE",
        "env[1].value=x",
        "args[0]=--verbose",
        "securityContext.capabilities.drop[0]=ALL",
        "tolerations[0].key=dedicated",
        "tolerations[0].operator=Exists",
    ]);
    assert_eq!(
        env(&container),
        [("LOG", Some("debug")), ("MODE", Some("x"))]
    );
    assert_eq!(
        container.args.as_deref(),
        Some(&["--verbose".to_owned()][..])
    );

    let file = cli::values_file("env:\n  - {name: A, value: \"1\"}\n  - {name: B, value: \"2\"}\n");
    let mut args = cli::with_sets(&["env[1].value=three", "env[2].name=C"]);
    args.extend([
        "--values".into(),
        file.path().to_str().expect("UTF-8 path").into(),
    ]);
    args.extend(["--template".into(), "deployment".into()]);
    let docs = valid(&args);
    assert_eq!(
        env(server(deployment(&docs))),
        [("A", Some("1")), ("B", Some("three")), ("C", None)]
    );
}

/// A container's env as (name, value) pairs.
fn env(container: &Container) -> Vec<(&str, Option<&str>)> {
    let env = container.env.as_deref().unwrap_or_default();
    env.iter()
        .map(|var| (var.name.as_str(), var.value.as_deref()))
        .collect()
}
