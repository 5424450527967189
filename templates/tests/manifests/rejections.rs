//! Each value the renderer refuses: exit 1, nothing on stdout, and a message
//! naming the value (or the file) to fix.

use crate::cli::{self, with_sets as with};

/// Runs with `args` and asserts the refusal names `value`.
fn refused<S: AsRef<str>>(args: &[S], value: &str) -> String {
    let run = cli::run(args);
    assert_eq!(run.code, 1, "exit code; stderr: {}", run.stderr);
    assert!(run.stdout.is_empty(), "nothing rendered: {}", run.stdout);
    assert!(
        run.stderr.contains(value),
        "{value:?} named in: {}",
        run.stderr
    );
    run.stderr
}

#[test]
fn missing_name() {
    refused(
        &["--set", "image=i", "--set", "port=1"],
        "`name` is missing",
    );
}

#[test]
fn missing_image() {
    refused(
        &["--set", "name=a", "--set", "port=1"],
        "`image` is missing",
    );
}

#[test]
fn missing_port() {
    refused(
        &["--set", "name=a", "--set", "image=i"],
        "`port` is missing",
    );
}

/// `--set image=` (empty) names the value as required, with a valid example,
/// and never suggests a default it does not have.
#[test]
fn empty_required_values_say_they_are_required() {
    for (set, example) in [
        ("name=", "--set name=greeter"),
        ("image=", "--set image=registry.example/greeter:1.0"),
        ("port=", "--set port=50051"),
    ] {
        let path = set.trim_end_matches('=');
        let stderr = refused(
            &with(&[set]),
            &format!("`{path}` is empty, but it is required"),
        );
        assert!(stderr.contains(example), "{stderr}");
        assert!(!stderr.contains("default to"), "{stderr}");
        assert!(!stderr.contains("leave it out"), "{stderr}");
    }
}

#[test]
fn value_removed_with_null() {
    refused(&with(&["image=null"]), "`image` is missing");
}

#[test]
fn name_not_dns_1123() {
    let stderr = refused(&with(&["name=My_Service"]), "`name`");
    assert!(stderr.contains("DNS-1123"), "{stderr}");
}

#[test]
fn name_too_long() {
    refused(&with(&[&format!("name={}", "a".repeat(64))]), "`name`");
}

#[test]
fn port_above_range() {
    refused(&with(&["port=65536"]), "`port`");
}

#[test]
fn port_zero() {
    refused(&with(&["port=0"]), "`port`");
}

#[test]
fn port_not_a_number() {
    refused(&with(&["port=grpc"]), "`port`");
}

#[test]
fn port_quoted_in_a_values_file() {
    let file = cli::values_file("name: a\nimage: i\nport: \"8080\"\n");
    let stderr = refused(
        &["--values", file.path().to_str().expect("UTF-8 path")],
        "`port`",
    );
    assert!(stderr.contains("unquoted"), "{stderr}");
}

#[test]
fn unknown_probe_mode() {
    refused(&with(&["probe.mode=tcp"]), "`probe.mode`");
}

#[test]
fn native_probe_modes_with_an_init_container_name_both_values() {
    for mode in ["grpc", "http"] {
        let stderr = refused(
            &with(&[
                &format!("probe.mode={mode}"),
                "probe.install=initContainer",
                "adminPort=8080",
            ]),
            "`probe.install`",
        );
        assert!(
            stderr.contains(&format!("probe.mode is {mode}")),
            "{stderr}"
        );
    }
}

#[test]
fn http_mode_without_an_admin_port() {
    let stderr = refused(&with(&["probe.mode=http"]), "`adminPort`");
    assert!(stderr.contains("probe.mode=http"), "{stderr}");
}

#[test]
fn metrics_scrape_without_an_admin_port() {
    let stderr = refused(&with(&["metrics.scrape=true"]), "`adminPort`");
    assert!(stderr.contains("metrics.scrape"), "{stderr}");
}

#[test]
fn admin_port_equal_to_the_grpc_port() {
    refused(&with(&["adminPort=50051"]), "`adminPort`");
}

#[test]
fn startup_or_liveness_on_the_dependency_checks() {
    for (set, value) in [
        ("startup.service=readiness", "`startup.service`"),
        ("liveness.service=", "`liveness.service`"),
        ("startup.service=", "`startup.service`"),
    ] {
        let stderr = refused(&with(&[set]), value);
        assert!(stderr.contains("restarts the container"), "{stderr}");
    }
    // The same service as readiness, under another name, is caught too.
    refused(
        &with(&["readiness.service=app.Ready", "startup.service=app.Ready"]),
        "`startup.service`",
    );
}

#[test]
fn pdb_with_both_bounds_names_both() {
    let stderr = refused(
        &with(&["pdb.enabled=true", "pdb.minAvailable=1"]),
        "`pdb.minAvailable`",
    );
    assert!(stderr.contains("pdb.maxUnavailable"), "{stderr}");
}

#[test]
fn pdb_bound_not_a_count_or_percentage() {
    refused(
        &with(&["pdb.enabled=true", "pdb.maxUnavailable=half"]),
        "`pdb.maxUnavailable`",
    );
}

#[test]
fn kubernetes_objects_with_unknown_fields() {
    refused(
        &with(&["securityContext.runAsNonroot=true"]),
        "`securityContext.runAsNonroot`",
    );
    let file = cli::values_file(
        "env:
  - name: A
    vaule: b
",
    );
    let mut args = with(&[]);
    args.extend([
        "--values".into(),
        file.path().to_str().expect("UTF-8 path").into(),
    ]);
    refused(&args, "vaule");
}

#[test]
fn kubernetes_objects_of_the_wrong_shape() {
    let stderr = refused(&with(&["env=FOO"]), "`env`");
    assert!(stderr.contains("EnvVar"), "{stderr}");
    refused(&with(&["resources.limits=2"]), "`resources`");
}

#[test]
fn namespace_not_dns_1123() {
    refused(&with(&["namespace=Team_A"]), "`namespace`");
}

#[test]
fn service_account_name_not_a_subdomain() {
    refused(
        &with(&["serviceAccountName=Bad Name"]),
        "`serviceAccountName`",
    );
}

#[test]
fn image_pull_policy_unknown() {
    refused(&with(&["imagePullPolicy=Sometimes"]), "`imagePullPolicy`");
}

#[test]
fn a_volume_named_like_the_probes() {
    let file = cli::values_file("volumes:\n  - name: grpc-probe\n    emptyDir: {}\n");
    let mut args = with(&["probe.install=initContainer"]);
    args.extend([
        "--values".into(),
        file.path().to_str().expect("UTF-8 path").into(),
    ]);
    refused(&args, "`volumes`");
}

#[test]
fn unknown_probe_install() {
    refused(&with(&["probe.install=sidecar"]), "`probe.install`");
}

#[test]
fn period_below_one() {
    refused(
        &with(&["readiness.periodSeconds=0"]),
        "`readiness.periodSeconds`",
    );
}

#[test]
fn timeout_below_one() {
    refused(
        &with(&["liveness.timeoutSeconds=0"]),
        "`liveness.timeoutSeconds`",
    );
}

#[test]
fn failure_threshold_below_one() {
    refused(
        &with(&["startup.failureThreshold=0"]),
        "`startup.failureThreshold`",
    );
}

#[test]
fn readiness_success_threshold_below_one() {
    refused(
        &with(&["readiness.successThreshold=0"]),
        "`readiness.successThreshold`",
    );
}

#[test]
fn negative_initial_delay() {
    refused(
        &with(&["readiness.initialDelaySeconds=-1"]),
        "`readiness.initialDelaySeconds`",
    );
}

#[test]
fn liveness_success_threshold_not_one() {
    refused(
        &with(&["liveness.successThreshold=2"]),
        "`liveness.successThreshold`",
    );
}

#[test]
fn startup_success_threshold_not_one() {
    refused(
        &with(&["startup.successThreshold=3"]),
        "`startup.successThreshold`",
    );
}

#[test]
fn exec_timeouts_longer_than_timeout_seconds() {
    let stderr = refused(
        &with(&["probe.connectTimeoutMs=800", "probe.rpcTimeoutMs=800"]),
        "`probe.rpcTimeoutMs`",
    );
    assert!(stderr.contains("readiness.timeoutSeconds"), "{stderr}");
}

#[test]
fn exec_timeouts_ignored_in_grpc_mode() {
    let args = with(&[
        "probe.mode=grpc",
        "probe.connectTimeoutMs=800",
        "probe.rpcTimeoutMs=800",
    ]);
    cli::render(&args);
}

#[test]
fn grace_not_longer_than_drain_delay() {
    let stderr = refused(&with(&["shutdownGraceSeconds=0"]), "`shutdownGraceSeconds`");
    assert!(stderr.contains("drainDelaySeconds"), "{stderr}");
}

#[test]
fn values_file_missing() {
    refused(
        &with(&[])
            .into_iter()
            .chain(["--values".into(), "/nonexistent/values.yaml".into()])
            .collect::<Vec<_>>(),
        "/nonexistent/values.yaml",
    );
}

#[test]
fn values_file_not_yaml() {
    let file = cli::values_file("name: [unclosed\n");
    let path = file.path().to_str().expect("UTF-8 path");
    let stderr = refused(&["--values", path], path);
    assert!(stderr.contains("not valid YAML"), "{stderr}");
}

#[test]
fn values_file_not_a_mapping() {
    let file = cli::values_file("- name\n- image\n");
    let path = file.path().to_str().expect("UTF-8 path");
    refused(&["--values", path], path);
}

#[test]
fn values_file_with_duplicate_keys() {
    let file = cli::values_file("name: a\nname: b\n");
    let path = file.path().to_str().expect("UTF-8 path");
    refused(&["--values", path], path);
}

#[test]
fn unknown_value() {
    let stderr = refused(&with(&["readiness.period=5"]), "`readiness.period`");
    assert!(
        stderr.contains("did you mean `readiness.periodSeconds`?"),
        "closest key named: {stderr}"
    );
    let stderr = refused(&with(&["replica=2"]), "`replica`");
    assert!(stderr.contains("did you mean `replicas`?"), "{stderr}");
}

#[test]
fn set_without_equals() {
    refused(&with(&["port"]), "--set `port`");
}

#[test]
fn label_value_not_valid() {
    refused(&with(&["labels.team=a b"]), "`labels.team`");
}

#[test]
fn label_set_by_the_renderer() {
    refused(
        &with(&[r"labels.app\.kubernetes\.io/name=other"]),
        "`labels.app.kubernetes.io/name`",
    );
}

#[test]
fn unknown_template() {
    let run = cli::run(
        &with(&[])
            .into_iter()
            .chain(["--template".into(), "ingress".into()])
            .collect::<Vec<_>>(),
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("ingress") && run.stderr.contains("deployment"),
        "{}",
        run.stderr
    );
}

#[test]
fn probe_path_not_absolute() {
    refused(&with(&["probe.path=grpc-probe"]), "`probe.path`");
}

#[test]
fn init_container_without_probe_image() {
    refused(
        &with(&["probe.install=initContainer", "probe.image=null"]),
        "`probe.image`",
    );
}

#[test]
fn probe_image_not_needed_outside_init_container_install() {
    cli::render(&with(&["probe.image=null", "probe.imagePath=null"]));
    cli::render(&with(&["probe.mode=grpc", "probe.path=null"]));
}

#[test]
fn pdb_template_while_disabled() {
    let mut args = with(&[]);
    args.extend(["--template".into(), "pdb".into()]);
    refused(&args, "set pdb.enabled=true");
}

#[test]
fn helper_with_a_misspelt_keyword() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("d.yaml.j2"),
        "a:\n  {{ probes(indnt=2) }}\n",
    )
    .expect("write");
    let mut args = with(&[]);
    args.extend([
        "--templates".into(),
        dir.path().to_str().expect("UTF-8 path").into(),
    ]);
    let stderr = refused(&args, "d.yaml.j2 line 2");
    assert!(stderr.contains("indnt"), "{stderr}");
}

/// A bad list position in `--set` is refused, naming the position and the
/// range `--set` takes.
#[test]
fn bad_list_positions_in_set() {
    for (set, problem) in [
        (
            "env[x].name=A",
            "`[x]` in the key `env[x].name`, which is not a whole number",
        ),
        (
            "env[-1].name=A",
            "`[-1]` in the key `env[-1].name`, which is not a whole number",
        ),
        (
            "env[100000].name=A",
            "`[100000]` in the key `env[100000].name`, above 999",
        ),
        ("env[0.name=A", "`[` that is not closed"),
    ] {
        let stderr = refused(&with(&[set]), problem);
        assert!(stderr.contains(&format!("--set `{set}`")), "{stderr}");
        assert!(
            stderr.contains("from 0 to 999") || stderr.contains("[N]"),
            "{stderr}"
        );
    }
}

/// A gap left by a position past the end is refused, naming the empty position.
#[test]
fn a_gap_in_a_list_set_by_position_is_refused() {
    let stderr = refused(
        &with(&["env[1].name=A", "env[1].value=x"]),
        "`env[0]` is null",
    );
    assert!(stderr.contains("counting from 0"), "{stderr}");
    refused(&with(&["args[2]=--verbose"]), "`args[0]` is null");
}

/// A misspelt list name is refused like any unknown key, the position aside.
#[test]
fn a_misspelt_list_in_set_names_the_closest_value() {
    refused(&with(&["envs[0].name=A"]), "did you mean `env`?");
}

/// The issue's example: a limit no API server reads renders nothing here.
#[test]
fn memory_lots() {
    let file = cli::values_file("resources:\n  limits:\n    memory: lots\n");
    let path = file.path().to_str().expect("UTF-8").to_owned();
    let mut args = with(&[]);
    args.extend(["--values".into(), path]);
    let stderr = refused(&args, "value `resources.limits.memory` is \"lots\"");
    assert!(stderr.contains("not a Kubernetes quantity"), "{stderr}");
    assert!(stderr.contains("128Mi"), "{stderr}");
}

#[test]
fn bad_quantities_name_the_field() {
    for (set, path) in [
        ("resources.requests.cpu=1.2.3", "`resources.requests.cpu`"),
        ("resources.limits.memory=1gb", "`resources.limits.memory`"),
        ("resources.limits.cpu=1e1.5", "`resources.limits.cpu`"),
        (
            "volumes[0].emptyDir.sizeLimit=big",
            "`volumes[0].emptyDir.sizeLimit`",
        ),
    ] {
        let mut sets = vec![set];
        if set.starts_with("volumes") {
            sets.push("volumes[0].name=scratch");
        }
        let stderr = refused(&with(&sets), path);
        assert!(stderr.contains("not a Kubernetes quantity"), "{stderr}");
    }
}

#[test]
fn negative_resource_amount() {
    refused(
        &with(&["resources.requests.memory=-1Mi"]),
        "`resources.requests.memory` is",
    );
}

#[test]
fn request_above_its_limit() {
    let stderr = refused(
        &with(&["resources.limits.cpu=500m", "resources.requests.cpu=1"]),
        "`resources.requests.cpu`",
    );
    assert!(
        stderr.contains("more than resources.limits.cpu"),
        "{stderr}"
    );
}

#[test]
fn unknown_resource_name() {
    refused(
        &with(&["resources.limits.memroy=1Gi"]),
        "`resources.limits.memroy`",
    );
}

#[test]
fn volume_name_not_a_dns_label() {
    refused(
        &with(&[
            "volumes[0].name=Scratch_1",
            "volumes[0].emptyDir.medium=Memory",
        ]),
        "`volumes[0].name` is \"Scratch_1\", not a DNS-1123 label",
    );
}

#[test]
fn volume_mount_of_no_volume() {
    refused(
        &with(&[
            "volumeMounts[0].name=cache",
            "volumeMounts[0].mountPath=/cache",
        ]),
        "`volumeMounts[0].name` is \"cache\", which names none of the volumes",
    );
}

#[test]
fn env_name_not_valid() {
    refused(
        &with(&["env[0].name=MY VAR", "env[0].value=x"]),
        "`env[0].name`",
    );
}

#[test]
fn label_key_not_valid() {
    refused(&with(&["labels.-team=a"]), "`labels.-team` has the key");
}

#[test]
fn annotation_key_not_valid() {
    refused(
        &with(&["annotations.Example\\.com/x=1"]),
        "not a valid label key",
    );
}

#[test]
fn annotations_too_large() {
    // Too long for one argument: a values file.
    let file = cli::values_file(&format!(
        "podAnnotations:\n  note: {}\n",
        "x".repeat(256 * 1024)
    ));
    let mut args = with(&[]);
    args.extend([
        "--values".into(),
        file.path().to_str().expect("UTF-8").to_owned(),
    ]);
    refused(&args, "`podAnnotations` takes");
}

#[test]
fn node_selector_value_not_a_label_value() {
    refused(&with(&["nodeSelector.zone=a b"]), "`nodeSelector.zone`");
}
