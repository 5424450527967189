//! `--templates DIR`: a team's own templates rendered with the same values,
//! strictness and helpers, and errors that name the file and line.

use std::fs;

use crate::cli::{self, example_team};
use crate::manifest::{deployment, pod, server, valid};

fn team_args(dir: &std::path::Path, sets: &[&str]) -> Vec<String> {
    let mut args = cli::with_sets(sets);
    args.extend([
        "--templates".into(),
        dir.to_str().expect("UTF-8 path").into(),
    ]);
    args
}

#[test]
fn the_example_team_deployment_renders_valid_with_the_built_in_probes() {
    for install in ["image", "initContainer"] {
        let install = format!("probe.install={install}");
        let sets = ["extra.team=payments", install.as_str()];
        let docs = valid(&team_args(&example_team(), &sets));
        assert_eq!(docs.len(), 1, "the one template in the directory");
        let team = deployment(&docs);
        let labels = team.metadata.labels.as_ref().expect("labels");
        assert_eq!(labels.get("team").map(String::as_str), Some("payments"));
        assert_eq!(team.spec.as_ref().and_then(|s| s.replicas), Some(2));

        // The helpers wrote the same probes, init container and volumes as the built-in template.
        let built_in = valid(
            &[
                &cli::with_sets(&[install.as_str()])[..],
                &["--template".into(), "deployment".into()],
            ]
            .concat(),
        );
        let built_in = deployment(&built_in);
        let (ours, theirs) = (server(team), server(built_in));
        assert_eq!(ours.readiness_probe, theirs.readiness_probe);
        assert_eq!(ours.liveness_probe, theirs.liveness_probe);
        assert_eq!(ours.startup_probe, theirs.startup_probe);
        assert_eq!(ours.volume_mounts, theirs.volume_mounts);
        assert_eq!(pod(team).init_containers, pod(built_in).init_containers);
        assert_eq!(pod(team).volumes, pod(built_in).volumes);
    }
}

/// The command in the example's own header runs from where it says, the
/// repository root; the path relative to `templates/` does not, and the
/// refusal says where relative paths are read from.
#[test]
fn the_example_teams_documented_command_runs_from_the_repository_root() {
    let text = fs::read_to_string(example_team().join("deployment.yaml.j2")).expect("read it");
    let (_, after) = text
        .split_once("from the repository root")
        .expect("the header says where to run it");
    let command = after
        .lines()
        .map(str::trim)
        .find(|line| line.starts_with("health-manifests "))
        .expect("the header shows the command");
    let args: Vec<&str> = command.split_whitespace().skip(1).collect();
    let root = test_support::workspace_root();
    let run = cli::run_from(&root, &args);
    assert_eq!(
        run.code,
        0,
        "`{command}` from {}: {}",
        root.display(),
        run.stderr
    );
    assert!(
        run.stdout.contains("\n    team: payments\n"),
        "{}",
        run.stdout
    );

    let run = cli::run_from(
        &root,
        &team_args(std::path::Path::new("examples/team"), &[]),
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "templates directory `examples/team` cannot be read (No such file or directory \
             (os error 2)); a relative path is read from the current directory, {}",
            root.display()
        )),
        "{}",
        run.stderr
    );
}

#[test]
fn a_team_template_reading_a_missing_value_names_file_and_line() {
    let run = cli::run(&team_args(&example_team(), &[]));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "examples/team/deployment.yaml.j2 line 14: undefined value `extra.team`: it is not \
             set; set it with `--set extra.team=VALUE`"
        ),
        "{}",
        run.stderr
    );
}

/// An undefined nested value is named by its whole path, also when a partial
/// reads it, and a misspelt value with the closest one.
#[test]
fn an_undefined_nested_value_is_named() {
    let dir = team_dir(&[
        (
            "_owner.j2",
            "{% macro owner() %}{{ extra.team.lead | lower }}{% endmacro %}",
        ),
        (
            "configmap.yaml.j2",
            "{% from '_owner.j2' import owner %}apiVersion: v1\nkind: ConfigMap\nmetadata:\n  \
             name: {{ name }}\ndata:\n  team: {{ extra.team.name }}\n  lead: {{ owner() }}\n  \
             port: {{ prot }}\n",
        ),
    ]);
    cli::run(&team_args(dir.path(), &["extra.team.other=x"])).assert_exit(
        1,
        &["configmap.yaml.j2 line 6: undefined value `extra.team.name`: it is not set"],
    );
    cli::run(&team_args(dir.path(), &["extra.team.name=core"]))
        .assert_exit(1, &["_owner.j2 line 1: undefined value `extra.team.lead`"]);
    let sets = ["extra.team.name=core", "extra.team.lead=Ann"];
    cli::run(&team_args(dir.path(), &sets)).assert_exit(
        1,
        &[
            "configmap.yaml.j2 line 8: undefined value `prot`: not a value the templates get",
            "did you mean `port`?",
        ],
    );
}

/// A temporary templates directory holding `files` (name and text).
fn team_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, text) in files {
        fs::write(dir.path().join(name), text).expect("write a template");
    }
    dir
}

#[test]
fn partials_are_included_and_only_top_level_templates_render() {
    let dir = team_dir(&[
        (
            "_labels.j2",
            "{% macro team_labels() %}team: {{ extra.team }}{% endmacro %}",
        ),
        (
            "configmap.yaml.j2",
            "{% from '_labels.j2' import team_labels %}apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ name }}\n  labels:\n    {{ team_labels() }}\ndata:\n  answer: {{ extra.answer }}\n",
        ),
        ("notes.txt.j2", "{{ nothing }}"),
        ("README.md", "{% not jinja"),
    ]);
    let args = team_args(dir.path(), &["extra.team=on", "extra.answer=42"]);
    let out = cli::render(&args);
    assert_eq!(
        out,
        "---\n# Source: configmap.yaml.j2\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: greeter\n  labels:\n    team: \"on\"\ndata:\n  answer: 42\n"
    );
    let mut only = args;
    only.extend(["--template".into(), "configmap".into()]);
    assert_eq!(cli::render(&only), out);
}

#[test]
fn a_team_template_with_a_syntax_error_names_file_and_line() {
    let dir = team_dir(&[("broken.yaml.j2", "a: 1\nb: {{ name \n")]);
    let run = cli::run(&team_args(dir.path(), &[]));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("broken.yaml.j2 line 2"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_directory_without_templates_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let run = cli::run(&team_args(dir.path(), &[]));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("holds no template"), "{}", run.stderr);
    let run = cli::run(&team_args(&dir.path().join("missing"), &[]));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("cannot be read"), "{}", run.stderr);
}

/// Team templates see `--kube-version` and the preStop `lifecycle` it allows.
#[test]
fn team_templates_see_the_kube_version_and_the_lifecycle() {
    let dir = team_dir(&[(
        "notes.yaml.j2",
        "kube: {{ kubeVersion }}\ngrace: {{ terminationGracePeriodSeconds }}\n\
         {% if lifecycle %}lifecycle:\n  {{ lifecycle | toyaml(2) }}\n{% endif %}",
    )]);
    let mut args = team_args(dir.path(), &["preStopSleepSeconds=3"]);
    args.extend(["--kube-version".into(), "1.35".into()]);
    assert_eq!(
        cli::render(&args),
        "---\n# Source: notes.yaml.j2\nkube: \"1.35\"\ngrace: 18\nlifecycle:\n  preStop:\n    sleep:\n      seconds: 3\n"
    );
    let plain = cli::render(&team_args(dir.path(), &[]));
    assert_eq!(
        plain,
        "---\n# Source: notes.yaml.j2\nkube: \"1.33\"\ngrace: 15\n"
    );
}
