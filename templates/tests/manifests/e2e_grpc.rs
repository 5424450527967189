//! grpc mode end to end: the rendered native probes' `grpc.port` and
//! `grpc.service`, checked against health-demo with a gRPC health call, as
//! kubelet would make it.

use std::fs;
use std::time::Duration;

use grpc_health_checks::ServingStatus;
use test_support::demo::Demo;
use test_support::health::{check, client};
use test_support::process::free_port;

use crate::{cli, manifest};

/// `(port, service)` of readiness, liveness and startup, as rendered.
fn rendered_grpc_probes(port: u16) -> Vec<(i32, String)> {
    let args = cli::with_sets(&[&format!("port={port}"), "probe.mode=grpc"]);
    let docs = manifest::valid(&args);
    manifest::probes(manifest::server(manifest::deployment(&docs)))
        .into_iter()
        .map(|probe| {
            let grpc = probe.grpc.as_ref().expect("grpc handler");
            (grpc.port, grpc.service.clone().unwrap_or_default())
        })
        .collect()
}

#[tokio::test]
async fn rendered_grpc_probes_name_a_port_and_services_the_demo_answers() {
    let port = free_port();
    let probes = rendered_grpc_probes(port);
    let dir = tempfile::tempdir().expect("temp dir");
    let ready_file = dir.path().join("ready");
    let addr = format!("127.0.0.1:{port}");
    // Started with its dependency down (no ready file).
    let _demo = Demo::start(&[
        "--addr",
        &addr,
        "--ready-file",
        ready_file.to_str().expect("UTF-8 path"),
        "--interval",
        "100ms",
    ]);

    for (probe_port, _) in &probes {
        assert_eq!(
            *probe_port,
            i32::from(port),
            "grpc.port is the server's port"
        );
    }
    // One connection, as kubelet makes one per probe to the same port.
    let mut client = client(&addr).await;
    let [readiness, liveness, startup] = [0, 1, 2].map(|i| probes[i].1.clone());
    // Startup and liveness pass with the dependency down; readiness does not.
    for service in [&startup, &liveness] {
        assert_eq!(
            check(&mut client, service).await,
            Ok(ServingStatus::Serving),
            "{service}"
        );
    }
    let status = check(&mut client, &readiness).await;
    assert_eq!(status, Ok(ServingStatus::NotServing), "{readiness}");

    // The dependency comes up: readiness follows, and falls again without it.
    fs::write(&ready_file, "").expect("create the ready file");
    wait_for(&mut client, &readiness, ServingStatus::Serving).await;
    fs::remove_file(&ready_file).expect("remove the ready file");
    wait_for(&mut client, &readiness, ServingStatus::NotServing).await;
    assert_eq!(
        check(&mut client, &liveness).await,
        Ok(ServingStatus::Serving)
    );
}

/// Checks `service` every 20 ms until it reports `want`.
async fn wait_for(
    client: &mut grpc_health_checks::pb::health_client::HealthClient<tonic::transport::Channel>,
    service: &str,
    want: ServingStatus,
) {
    let deadline = tokio::time::Instant::now() + test_support::HANG_GUARD;
    while check(client, service).await != Ok(want) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{service:?} never became {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
