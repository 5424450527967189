//! The alert templates with Prometheus' own tool: `promtool check rules` on
//! every render (the plain rules file, and the PrometheusRule's groups, which
//! must be the same), and `promtool test rules` showing each alert firing and
//! not firing on synthetic series.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value as Json, json};
use test_support::system;

use crate::cli::{self, with_sets};

fn promtool() -> PathBuf {
    system::require("promtool", "prometheus")
}

/// Renders `template` with alerts for helloworld.Greeter and `values` (a values file's text).
fn render(template: &str, values: &str) -> String {
    let file = cli::values_file(values);
    let mut args = with_sets(&[
        "alerts.enabled=true",
        "alerts.grpcService=helloworld.Greeter",
    ]);
    args.extend([
        "--values".to_owned(),
        file.path().to_str().expect("UTF-8 path").to_owned(),
        "--template".to_owned(),
        template.to_owned(),
    ]);
    cli::render(&args)
}

/// The one YAML document of a render, as JSON.
fn document(stream: &str) -> Json {
    serde_norway::from_str(stream).expect("the render is YAML")
}

/// Runs `promtool ARGS` in `dir`; fails the test with its output unless it succeeds.
fn run_promtool(dir: &Path, args: &[&str], what: &str) -> String {
    let output = Command::new(promtool())
        .args(args)
        .current_dir(dir)
        .output()
        .expect("promtool runs");
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "promtool {args:?} ({what}):\n{text}"
    );
    text
}

/// Value files that change every part of the rules.
const VARIANTS: [&str; 3] = [
    "{}",
    "alerts:\n  selector: 'namespace=\"shop\",job=\"cart\"'\n  labels: {team: payments}\n",
    "alerts:\n  errorRatio: {threshold: 0.001, for: 30s, window: 1m, codes: [Internal], severity: page}\n  \
     latency: {p99Seconds: 0.25, for: 1h, window: 10m}\n  \
     notServing: {healthService: readiness, for: 90s}\n  readinessFlapping: {changes: 1, window: 1h}\n",
];

#[test]
fn promtool_accepts_every_render_and_both_templates_agree() {
    for values in VARIANTS {
        let dir = tempfile::tempdir().expect("temp dir");
        let plain = render("alert-rules", values);
        std::fs::write(dir.path().join("plain.yaml"), &plain).expect("write rules");
        let checked = run_promtool(dir.path(), &["check", "rules", "plain.yaml"], values);
        assert!(checked.contains("SUCCESS: 4 rules found"), "{checked}");

        let rule = document(&render("alerts", values));
        assert_eq!(rule["apiVersion"], "monitoring.coreos.com/v1");
        assert_eq!(rule["kind"], "PrometheusRule");
        assert_eq!(rule["metadata"]["name"], "greeter");
        assert_eq!(rule["spec"], document(&plain), "{values}");
        for alert in rule["spec"]["groups"][0]["rules"]
            .as_array()
            .expect("rules")
        {
            assert_eq!(
                alert["labels"]["grpc_service"], "helloworld.Greeter",
                "{alert}"
            );
            for annotation in ["summary", "description"] {
                assert!(
                    alert["annotations"][annotation]
                        .as_str()
                        .is_some_and(|text| text.len() > 20),
                    "{alert}"
                );
            }
        }
    }
}

#[test]
fn the_full_render_has_the_rule_only_when_enabled_and_never_the_plain_file() {
    let args = with_sets(&["alerts.grpcService=helloworld.Greeter"]);
    assert!(!cli::render(&args).contains("PrometheusRule"));
    let args = with_sets(&[
        "alerts.enabled=true",
        "alerts.grpcService=helloworld.Greeter",
    ]);
    let stream = cli::render(&args);
    assert!(stream.contains("kind: PrometheusRule"), "{stream}");
    assert!(!stream.contains("alert-rules.yaml.j2"), "{stream}");
}

#[test]
fn bad_alert_values_name_the_value_and_the_fix() {
    for (sets, words) in [
        (
            &["alerts.enabled=true"][..],
            "`alerts.grpcService` is missing",
        ),
        (
            &["alerts.grpcService=hello/world"],
            "full gRPC service name",
        ),
        (
            &["alerts.grpcService=a.B", "alerts.errorRatio.threshold=5"],
            "between 0 and 1",
        ),
        (
            &["alerts.grpcService=a.B", "alerts.errorRatio.for=5 minutes"],
            "not a Prometheus duration",
        ),
        (
            &["alerts.grpcService=a.B", "alerts.latency.p99Seconds=0"],
            "above 0",
        ),
        (
            &["alerts.grpcService=a.B", "alerts.selector={job=\"x\"}"],
            "without braces",
        ),
        (
            &["alerts.grpcService=a.B", "alerts.labels.severity=low"],
            "sets itself",
        ),
    ] {
        let run = cli::run(&with_sets(sets));
        assert_eq!(run.code, 1, "{sets:?}: {}", run.stdout);
        assert!(run.stderr.contains(words), "{sets:?}: {}", run.stderr);
    }
    let run = cli::run(&[cli::REQUIRED.as_slice(), &["--template", "alert-rules"]].concat());
    assert!(
        run.stderr.contains("set alerts.grpcService"),
        "{}",
        run.stderr
    );
}

/// One `promtool test rules` case: series, and whether `alert` fires at `at`.
struct Case {
    alert: &'static str,
    series: Vec<(String, &'static str)>,
    at: &'static str,
    /// The labels a firing alert has besides alertname, grpc_service and
    /// severity; `None`: the alert must not fire (nor be only pending).
    fires_with: Option<Json>,
    /// What the annotation templates expand to: (template text, expansion).
    expands: &'static [(&'static str, &'static str)],
}

const SERVICE: &str = r#"grpc_service="helloworld.Greeter",grpc_type="unary",grpc_method="SayHello",instance="pod-a""#;

fn handled(ok: &'static str, unavailable: &'static str) -> Vec<(String, &'static str)> {
    vec![
        (
            format!(r#"grpc_server_handled_total{{{SERVICE},grpc_code="OK"}}"#),
            ok,
        ),
        (
            format!(r#"grpc_server_handled_total{{{SERVICE},grpc_code="Unavailable"}}"#),
            unavailable,
        ),
        // A client mistake: never an error of the service.
        (
            format!(r#"grpc_server_handled_total{{{SERVICE},grpc_code="InvalidArgument"}}"#),
            "0+100x30",
        ),
    ]
}

/// Histogram buckets with every call at or below `all_below` seconds.
fn buckets(all_below: f64) -> Vec<(String, &'static str)> {
    [
        0.005,
        0.01,
        0.025,
        0.05,
        0.1,
        0.25,
        0.5,
        1.0,
        2.5,
        5.0,
        10.0,
        f64::INFINITY,
    ]
    .into_iter()
    .map(|le| {
        let le_text = if le.is_infinite() {
            "+Inf".to_owned()
        } else {
            le.to_string()
        };
        let series = format!(r#"grpc_server_handling_seconds_bucket{{{SERVICE},le="{le_text}"}}"#);
        (series, if le >= all_below { "0+10x30" } else { "0x30" })
    })
    .collect()
}

fn serving(values: &'static str) -> Vec<(String, &'static str)> {
    vec![(
        r#"grpc_health_service_serving{service="helloworld.Greeter",instance="pod-a"}"#.to_owned(),
        values,
    )]
}

fn transitions(values: &'static str) -> Vec<(String, &'static str)> {
    vec![(
        r#"grpc_health_service_transitions_total{service="readiness",to="SERVING",instance="pod-a"}"#.to_owned(),
        values,
    )]
}

fn cases() -> Vec<Case> {
    let pod = json!({"service": "helloworld.Greeter", "instance": "pod-a"});
    let readiness = json!({"service": "readiness", "to": "SERVING", "instance": "pod-a"});
    let instance = &[("{{ $labels.instance }}", "pod-a")][..];
    vec![
        // 10% of calls fail (20 of 200 a minute), for longer than `for`.
        Case {
            alert: "GrpcErrorRatioHigh",
            series: handled("0+80x30", "0+20x30"),
            at: "20m",
            fires_with: Some(json!({})),
            expands: &[("{{ $value | humanizePercentage }}", "10%")],
        },
        // The same, but not yet for 5m: pending, not firing.
        Case {
            alert: "GrpcErrorRatioHigh",
            series: handled("0+80x30", "0+20x30"),
            at: "3m",
            fires_with: None,
            expands: &[],
        },
        // 4% fail (8 of 200), under the 5% threshold: the 100 InvalidArgument do not count.
        Case {
            alert: "GrpcErrorRatioHigh",
            series: handled("0+92x30", "0+8x30"),
            at: "20m",
            fires_with: None,
            expands: &[],
        },
        // Every call between 1s and 2.5s: p99 = 2.485s.
        Case {
            alert: "GrpcLatencyP99High",
            series: buckets(2.5),
            at: "20m",
            fires_with: Some(json!({})),
            expands: &[("{{ $value | humanizeDuration }}", "2.485s")],
        },
        // Every call under 100ms.
        Case {
            alert: "GrpcLatencyP99High",
            series: buckets(0.1),
            at: "20m",
            fires_with: None,
            expands: &[],
        },
        Case {
            alert: "GrpcHealthNotServing",
            series: serving("0x20"),
            at: "10m",
            fires_with: Some(pod),
            expands: instance,
        },
        // NOT_SERVING for 3m (a drain, say) is not long enough.
        Case {
            alert: "GrpcHealthNotServing",
            series: serving("1x5 0x3 1x10"),
            at: "8m",
            fires_with: None,
            expands: &[],
        },
        Case {
            alert: "GrpcHealthNotServing",
            series: serving("1x20"),
            at: "10m",
            fires_with: None,
            expands: &[],
        },
        // A change every minute: 15 in 15m.
        Case {
            alert: "GrpcReadinessFlapping",
            series: transitions("0+1x30"),
            at: "20m",
            fires_with: Some(readiness),
            expands: instance,
        },
        // Two changes in 15m.
        Case {
            alert: "GrpcReadinessFlapping",
            series: transitions("0x10 1 2x20"),
            at: "20m",
            fires_with: None,
            expands: &[],
        },
    ]
}

#[test]
fn promtool_unit_tests_show_each_alert_firing_and_not() {
    let dir = tempfile::tempdir().expect("temp dir");
    let rules = render("alert-rules", "{}");
    std::fs::write(dir.path().join("rules.yaml"), &rules).expect("write rules");
    let rules = document(&rules);
    let rules = rules["groups"][0]["rules"].as_array().expect("rules");
    let mut tests = Vec::new();
    for case in cases() {
        let rule = rules
            .iter()
            .find(|rule| rule["alert"] == case.alert)
            .expect("the alert is rendered");
        let exp_alerts = match &case.fires_with {
            None => json!([]),
            Some(extra) => {
                let mut labels = rule["labels"].clone();
                for (key, value) in extra.as_object().expect("labels") {
                    labels[key] = value.clone();
                }
                let mut annotations = rule["annotations"].clone();
                for text in annotations
                    .as_object_mut()
                    .expect("annotations")
                    .values_mut()
                {
                    let mut expanded = text.as_str().expect("text").to_owned();
                    for (template, expansion) in case.expands {
                        expanded = expanded.replace(template, expansion);
                    }
                    assert!(
                        !expanded.contains("{{"),
                        "{} left unexpanded: {expanded}",
                        case.alert
                    );
                    *text = Json::from(expanded);
                }
                json!([{ "exp_labels": labels, "exp_annotations": annotations }])
            }
        };
        let series: Vec<Json> = case
            .series
            .iter()
            .map(|(series, values)| json!({"series": series, "values": values}))
            .collect();
        tests.push(json!({
            "interval": "1m",
            "input_series": series,
            "alert_rule_test": [{ "eval_time": case.at, "alertname": case.alert, "exp_alerts": exp_alerts }],
        }));
    }
    let firing = cases()
        .iter()
        .filter(|case| case.fires_with.is_some())
        .count();
    assert_eq!(firing, 4, "each of the four alerts fires in some case");
    let unit_tests =
        json!({ "rule_files": ["rules.yaml"], "evaluation_interval": "1m", "tests": tests });
    let text = serde_norway::to_string(&unit_tests).expect("YAML");
    std::fs::write(dir.path().join("rules_test.yaml"), &text).expect("write unit tests");
    let output = run_promtool(dir.path(), &["test", "rules", "rules_test.yaml"], &text);
    assert!(output.contains("SUCCESS"), "{output}");
}
