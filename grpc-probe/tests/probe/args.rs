//! Argument handling: upstream's checks, unsupported flags, bad TLS files,
//! `-version` and help. None of these needs a server.

use proptest::prelude::*;

use crate::support::run;

#[tokio::test]
async fn version_goes_to_stdout() {
    for flag in ["-version", "--version"] {
        let r = run([flag]).await;
        assert_eq!(r.code, 0);
        assert!(r.stdout.starts_with("grpc-probe "), "{r:?}");
        assert!(r.stderr.is_empty());
    }
}

#[tokio::test]
async fn help_exits_0() {
    let r = run(["-help"]).await;
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("-rpc-header") && r.stdout.contains("-connect-timeout"));
}

#[tokio::test]
async fn upstream_argument_checks_exit_1() {
    let cases: &[(&[&str], &str)] = &[
        (&[], "-addr not specified"),
        (
            &["-addr=:1", "-connect-timeout=0"],
            "-connect-timeout must be greater than zero",
        ),
        (
            &["-addr=:1", "-rpc-timeout", "-1s"],
            "must be greater than zero",
        ),
        (&["-addr=:1", "-rpc-timeout=soon"], "invalid duration"),
        (
            &["-addr=:1", "-tls-no-verify"],
            "specified -tls-no-verify without specifying -tls",
        ),
        (
            &["-addr=:1", "-tls-ca-cert=x"],
            "specified -tls-ca-cert without specifying -tls",
        ),
        (
            &["-addr=:1", "-tls", "-tls-client-cert=c"],
            "without specifying -tls-client-key",
        ),
        (
            &["-addr=:1", "-tls", "-tls-client-key=k"],
            "without specifying -tls-client-cert",
        ),
        (
            &["-addr=:1", "-tls", "-tls-no-verify", "-tls-ca-cert=c"],
            "CA cert would not be used",
        ),
        (&["-addr=:1", "-alts"], "-alts is not supported"),
        (&["-addr=:1", "-spiffe"], "-spiffe is not supported"),
        (
            &["-addr=:1", "-rpc-header=nocolon"],
            "expected 'key: value'",
        ),
        (&["-addr=nope"], "invalid -addr"),
        (
            &["-addr=:1", "-no-such-flag"],
            "flag provided but not defined: -no-such-flag",
        ),
        (&["-addr=:1", "-watch", "-list"], "-watch with -list"),
    ];
    for (args, words) in cases {
        run(*args).await.assert_exit(1, &[words]);
    }
}

#[tokio::test]
async fn huge_rpc_header_names_the_flag() {
    let header = format!("x-big: {}", "a".repeat(20_000));
    run(["-addr=127.0.0.1:1", "-rpc-header", &header])
        .await
        .assert_exit(1, &["-rpc-header too large"]);
}

#[tokio::test]
async fn bad_tls_files_exit_1_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let invalid = dir.path().join("invalid.pem");
    std::fs::write(
        &invalid,
        "-----BEGIN CERTIFICATE-----\n!!!not base64!!!\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "").unwrap();
    let directory = dir.path().join("a-directory");
    std::fs::create_dir(&directory).unwrap();
    let missing = dir.path().join("missing.pem");
    for path in [&invalid, &empty, &directory, &missing] {
        let path = path.to_str().unwrap();
        let ca = format!("-tls-ca-cert={path}");
        run(["-addr=127.0.0.1:1", "-tls", &ca])
            .await
            .assert_exit(1, &["failed to initialize tls credentials", path]);
        let (cert, key) = (
            format!("-tls-client-cert={path}"),
            format!("-tls-client-key={path}"),
        );
        run(["-addr=127.0.0.1:1", "-tls", &cert, &key])
            .await
            .assert_exit(1, &[path]);
    }
}

/// Runs the real binary on argv and returns its exit code, killing it after 10 s.
fn exit_code_of(argv: &[String]) -> Option<i32> {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_grpc-probe"))
        .args(argv)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn grpc-probe");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().expect("wait for grpc-probe") {
            return status.code();
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("grpc-probe {argv:?} still running after 10 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Arbitrary argv never panics the real binary (a panic exits 101 or by
    /// signal) and always ends with one of the documented codes 0–4. Addresses
    /// are only loopback or unix paths nobody listens on; free text has no `:`
    /// or `.`, so it can never form another address, and waits stay short.
    #[test]
    fn binary_always_exits_with_a_documented_code(argv in proptest::collection::vec(
        prop_oneof![
            proptest::sample::select(vec![
                "-addr=127.0.0.1:1", "-addr=[::1]:1", "-addr=:1", "-addr=unix:/nonexistent/probe.sock",
                "-addr=unix:", "-addr=nohost", "-wait=20ms", "-wait=0", "-watch", "-list", "-tls",
                "-tls-no-verify", "-gzip", "-v", "-version", "-alts", "-service", "-rpc-header",
                "-connect-timeout=5ms", "-rpc-timeout", "--", "-h",
            ]).prop_map(str::to_owned),
            "-{1,2}(service|tls-ca-cert|tls-client-cert|tls-client-key|tls-server-name|rpc-header|user-agent|connect-timeout|rpc-timeout|tls|gzip)(=[ -9;-~&&[^.]]{0,10})?",
            "[ -9;-~&&[^.]]{0,12}",
        ],
        0..7,
    )) {
        let code = exit_code_of(&argv);
        prop_assert!(matches!(code, Some(0..=4)), "argv {:?} exited with {:?}", argv, code);
    }
}
