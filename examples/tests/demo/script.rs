//! `examples/demo.sh`, the README's demo command, runs to the end and shows
//! the exit codes Kubernetes would see.

use test_support::{bins, process, workspace_root};

#[tokio::test]
async fn demo_script_shows_each_probe_exit_code_and_a_clean_drain() {
    let mut script = process::command(
        std::path::Path::new("bash"),
        [workspace_root().join("examples/demo.sh")],
    );
    script.env("DEMO_BIN_DIR", bins::profile_dir());
    let run = process::run(script).await;
    run.assert_exit(0, &[]);
    let probes: Vec<(&str, &str)> = run
        .stdout
        .lines()
        .filter(|line| line.starts_with("$ grpc-probe "))
        .zip(
            run.stdout
                .lines()
                .filter(|line| line.starts_with("-> exit ")),
        )
        .collect();
    let expected = [
        ("-service=liveness", "-> exit 0"),
        ("-service=readiness", "-> exit 4"),
        ("-service=readiness -wait=5s", "-> exit 0"),
        ("-service=helloworld.Greeter", "-> exit 0"),
        ("-list", "-> exit 0"),
        ("-service=no.such.Service", "-> exit 3"),
        ("-addr=127.0.0.1:1", "-> exit 2"),
    ];
    for ((command, code), (ends_with, wanted)) in probes.iter().zip(expected) {
        assert!(
            command.ends_with(ends_with),
            "{command} (wanted …{ends_with})"
        );
        assert_eq!(*code, wanted, "{command}\n{}", run.stdout);
    }
    assert!(probes.len() > expected.len(), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("health-demo exited with 0 after draining"),
        "{}",
        run.stdout
    );
}
