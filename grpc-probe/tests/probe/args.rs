//! Argument handling: upstream's checks, unsupported flags, bad TLS files,
//! `-version` and help. None of these needs a server.

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
        (&["-addr=:1", "-no-such-flag"], "unexpected argument"),
        (&["-addr=:1", "-watch", "-list"], "-watch with -list"),
    ];
    for (args, words) in cases {
        run(*args).await.expect(1, &[words]);
    }
}

#[tokio::test]
async fn huge_rpc_header_names_the_flag() {
    let header = format!("x-big: {}", "a".repeat(20_000));
    run(["-addr=127.0.0.1:1", "-rpc-header", &header])
        .await
        .expect(1, &["-rpc-header too large"]);
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
            .expect(1, &["failed to initialize tls credentials", path]);
        let (cert, key) = (
            format!("-tls-client-cert={path}"),
            format!("-tls-client-key={path}"),
        );
        run(["-addr=127.0.0.1:1", "-tls", &cert, &key])
            .await
            .expect(1, &[path]);
    }
}
