//! yamllint, with its default rules, on the rendered manifests of each kind of
//! setup: the output reads like YAML a person wrote (block style, no long
//! lines, no truthy plain scalars, consistent indentation).

use std::process::Command;

use test_support::system;

use crate::cli::{self, REQUIRED};

/// Runs yamllint on `args`' rendered output; fails with its findings.
fn lint(what: &str, args: &[String]) {
    let yamllint = system::require("yamllint", "yamllint");
    let stream = cli::render(args);
    let file = cli::values_file(&stream);
    let output = Command::new(yamllint)
        .args(["--strict", "--format", "parsable"])
        .arg(file.path())
        .output()
        .expect("yamllint runs");
    let findings = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && findings.trim().is_empty(),
        "{what}: yamllint finds:\n{findings}{}\n{stream}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn with(sets: &[&str]) -> Vec<String> {
    cli::with_sets(sets)
}

/// yamllint on a values file from `tests/manifests/values/`.
fn lint_fixture(name: &str) {
    let file = cli::fixture(name);
    lint(
        name,
        &["--values".into(), file.to_str().expect("UTF-8 path").into()],
    );
}

#[test]
fn the_default_render_is_lint_clean() {
    lint("default", &REQUIRED.map(str::to_owned));
}

#[test]
fn exec_with_an_init_container_is_lint_clean() {
    lint("initContainer", &with(&["probe.install=initContainer"]));
}

#[test]
fn grpc_mode_is_lint_clean() {
    lint("grpc", &with(&["probe.mode=grpc"]));
}

#[test]
fn grpc_mode_over_tls_at_1_37_is_lint_clean() {
    let mut args = with(&["probe.mode=grpc", "tls.enabled=true"]);
    args.extend(["--kube-version".into(), "1.37".into()]);
    lint("grpc TLS", &args);
}

#[test]
fn a_pre_stop_sleep_at_1_34_is_lint_clean() {
    let mut args = with(&["preStopSleepSeconds=5", "drainDelaySeconds=0"]);
    args.extend(["--kube-version".into(), "1.34".into()]);
    lint("preStop sleep", &args);
}

#[test]
fn http_mode_with_metrics_is_lint_clean() {
    lint(
        "http",
        &with(&["probe.mode=http", "adminPort=8080", "metrics.scrape=true"]),
    );
}

#[test]
fn headless_with_a_pdb_is_lint_clean() {
    lint(
        "headless + pdb",
        &with(&["service.headless=true", "pdb.enabled=true"]),
    );
}

#[test]
fn the_full_values_file_is_lint_clean() {
    lint_fixture("full.yaml");
}

#[test]
fn tricky_values_are_lint_clean() {
    lint_fixture("tricky.yaml");
}

#[test]
fn the_example_team_templates_are_lint_clean() {
    let mut args = with(&["adminPort=8080", "extra.team=payments"]);
    args.extend([
        "--templates".into(),
        cli::example_team().to_str().expect("UTF-8").into(),
    ]);
    lint("examples/team", &args);
}
