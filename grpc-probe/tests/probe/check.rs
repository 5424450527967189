//! Check against real servers: health-lib over TCP and unix sockets, a tonic
//! server without the health service, several services, and a raw h2 server
//! that records the request headers.

use grpc_health_checks::{Check, Group, HealthChecks};
use tokio_stream::wrappers::UnixListenerStream;

use test_support::process::Run;
use test_support::server::{TestServer, serve_incoming, start};

use crate::support::{Reply, empty_tonic_server, raw_h2_server, run};

/// A server where `up` is SERVING, `down` NOT_SERVING and the rest unknown.
async fn up_down_server() -> (String, TestServer) {
    let server = start(HealthChecks::new()).await;
    server.handle.set_serving("up").expect("manual service");
    server
        .handle
        .set_not_serving("down")
        .expect("manual service");
    (server.addr.to_string(), server)
}

#[tokio::test]
async fn serving_exits_0() {
    let (addr, _stop) = up_down_server().await;
    for args in [
        vec![format!("-addr={addr}")],
        vec![
            "--addr".into(),
            addr.clone(),
            "-service".into(),
            "up".into(),
        ],
    ] {
        let r = run(&args).await;
        r.assert_exit(0, &["status: SERVING"]);
        assert!(r.stdout.is_empty());
    }
}

#[tokio::test]
async fn not_serving_exits_4() {
    let (addr, _stop) = up_down_server().await;
    run(["-addr", &addr, "-service=down"])
        .await
        .assert_exit(4, &[r#"service unhealthy (responded with "NOT_SERVING")"#]);
}

#[tokio::test]
async fn failing_check_makes_readiness_not_serving() {
    let checks = HealthChecks::new()
        .check(Check::new("db", || false))
        .service("app.Greeter", Group::Readiness);
    let server = start(checks).await;
    let addr = server.addr.to_string();
    run(["-addr", &addr, "-service=app.Greeter"])
        .await
        .assert_exit(4, &["NOT_SERVING"]);
    run(["-addr", &addr, "-service=liveness"])
        .await
        .assert_exit(0, &["status: SERVING"]);
}

#[tokio::test]
async fn unknown_service_exits_3() {
    let (addr, _stop) = up_down_server().await;
    run(["-addr", &addr, "-service=nope"])
        .await
        .assert_exit(3, &["error: health rpc failed", "NotFound"]);
}

#[tokio::test]
async fn server_without_health_service_exits_3() {
    let (addr, _stop) = empty_tonic_server().await;
    run(["-addr", &addr]).await.assert_exit(
        3,
        &["does not implement the grpc health protocol (grpc.health.v1.Health)"],
    );
}

#[tokio::test]
async fn several_services_any_order() {
    let (addr, _stop) = up_down_server().await;
    let probe = |services: &[&str]| {
        let mut args = vec!["-addr".to_owned(), addr.clone()];
        args.extend(services.iter().map(|s| format!("-service={s}")));
        async move { run(&args).await }
    };
    probe(&["up", "liveness", ""])
        .await
        .assert_exit(0, &[r#"service "up": status: SERVING"#]);
    for order in [["up", "down"], ["down", "up"]] {
        probe(&order)
            .await
            .assert_exit(4, &[r#"service "down": service unhealthy"#]);
    }
    for order in [
        ["down", "nope", "up"],
        ["nope", "down", "up"],
        ["up", "down", "nope"],
    ] {
        let r: Run = probe(&order).await;
        r.assert_exit(
            3,
            &[
                r#"service "nope": error: health rpc failed"#,
                r#"service "down""#,
            ],
        );
    }
}

#[tokio::test]
async fn address_forms() {
    let (addr, _stop) = up_down_server().await;
    let port = addr.rsplit_once(':').unwrap().1;
    for form in [
        addr.clone(),
        format!(":{port}"),
        format!("localhost:{port}"),
    ] {
        run(["-addr", &form])
            .await
            .assert_exit(0, &["status: SERVING"]);
    }
    if let Ok(listener) = tokio::net::TcpListener::bind("[::1]:0").await {
        let v6 = format!("[::1]:{}", listener.local_addr().unwrap().port());
        let _served = serve_incoming(
            HealthChecks::new(),
            tokio_stream::wrappers::TcpListenerStream::new(listener),
        );
        run(["-addr", &v6])
            .await
            .assert_exit(0, &["status: SERVING"]);
    }
}

#[tokio::test]
async fn unix_sockets_absolute_and_relative() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("health.sock");
    let listener = tokio::net::UnixListener::bind(&path).unwrap();
    let (_handle, _stop) = serve_incoming(HealthChecks::new(), UnixListenerStream::new(listener));
    run([format!("-addr=unix://{}", path.display())])
        .await
        .assert_exit(0, &["status: SERVING"]);
    let mut relative = crate::support::probe(["-addr=unix:health.sock"]);
    relative.current_dir(dir.path());
    test_support::process::run(relative)
        .await
        .assert_exit(0, &["status: SERVING"]);
    run(["-addr=unix:///no/such/socket"])
        .await
        .assert_exit(2, &["failed to connect service"]);
}

#[tokio::test]
async fn sends_grpc_headers_user_agent_and_rpc_headers() {
    let (addr, mut seen, _stop) = raw_h2_server(Reply::Status(1)).await;
    run(["-addr", &addr])
        .await
        .assert_exit(0, &["status: SERVING"]);
    let first = seen.recv().await.unwrap();
    assert_eq!(first.headers["user-agent"], "grpc_health_probe");
    assert_eq!(first.headers["content-type"], "application/grpc");
    assert_eq!(first.headers["te"], "trailers");
    assert_eq!(first.headers["grpc-timeout"], "1000000u");
    assert_eq!(first.compressed_flag, 0);

    let args = [
        "-addr",
        &addr,
        "-user-agent=kube-probe/1.33",
        "-rpc-header",
        "Authorization: Bearer t0k",
        "-rpc-header=x-a:1",
        "-rpc-timeout=250ms",
    ];
    run(args).await.assert_exit(0, &["status: SERVING"]);
    let second = seen.recv().await.unwrap();
    assert_eq!(second.headers["user-agent"], "kube-probe/1.33");
    assert_eq!(second.headers["authorization"], "Bearer t0k");
    assert_eq!(second.headers["x-a"], "1");
    assert_eq!(second.headers["grpc-timeout"], "250000u");
}

#[tokio::test]
async fn gzip_compresses_request_and_reads_compressed_response() {
    let (addr, mut seen, _stop) = raw_h2_server(Reply::Status(2)).await;
    run(["-addr", &addr, "-gzip"])
        .await
        .assert_exit(4, &["NOT_SERVING"]);
    let request = seen.recv().await.unwrap();
    assert_eq!(request.compressed_flag, 1);
    assert_eq!(request.headers["grpc-encoding"], "gzip");
}

#[tokio::test]
async fn verbose_prints_each_timing_once_and_consistently() {
    let (addr, _stop) = up_down_server().await;
    let r = run(["-addr", &addr, "-v"]).await;
    r.assert_exit(0, &["parsed options", "status: SERVING"]);
    // The connection's phases in order, each once, then the summary.
    let timed: Vec<&str> = r
        .stderr
        .lines()
        .filter_map(|l| l.split_once(" (took ").map(|(phase, _)| phase))
        .collect();
    assert_eq!(
        timed,
        [
            "transport connected",
            "http2 handshake sent",
            "http2 ping answered",
            "connection established"
        ],
        "{}",
        r.stderr
    );
    // The summary repeats the measured connect time; it does not measure again.
    let took = |prefix: &str, end: char| {
        let line = r.stderr.lines().find(|l| l.starts_with(prefix)).unwrap();
        line[prefix.len()..].split(end).next().unwrap().to_owned()
    };
    assert_eq!(
        took("connection established (took ", ')'),
        took("time elapsed: connect=", ' '),
        "{}",
        r.stderr
    );
}
