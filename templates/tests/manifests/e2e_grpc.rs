//! grpc mode end to end: the rendered native probes' `grpc.port` and
//! `grpc.service`, checked against health-demo with a gRPC health call, as
//! kubelet would make it.

use std::fs;
use std::time::{Duration, Instant};

use grpc_health_checks::pb::HealthCheckRequest;
use grpc_health_checks::pb::health_check_response::ServingStatus;
use grpc_health_checks::pb::health_client::HealthClient;
use tonic::transport::Channel;

use crate::demo::{self, Demo};
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

async fn status(client: &mut HealthClient<Channel>, service: &str) -> ServingStatus {
    let request = HealthCheckRequest {
        service: service.to_owned(),
    };
    let response = client.check(request).await.unwrap_or_else(|status| {
        panic!("Check({service:?}) failed: {status}; the rendered service must be registered")
    });
    response.into_inner().status()
}

/// Checks `service` every 50 ms until it reports `want`, for at most 5 s.
async fn wait_for(client: &mut HealthClient<Channel>, service: &str, want: ServingStatus) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while status(client, service).await != want {
        assert!(
            Instant::now() < deadline,
            "{service:?} never became {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn rendered_grpc_probes_name_a_port_and_services_the_demo_answers() {
    let port = demo::free_port();
    let probes = rendered_grpc_probes(port);
    let dir = tempfile::tempdir().expect("temp dir");
    let ready_file = dir.path().join("ready");
    fs::write(&ready_file, "").expect("create the ready file");
    let _demo = Demo::start(port, &ready_file);

    let mut clients = Vec::new();
    for (probe_port, _) in &probes {
        assert_eq!(
            *probe_port,
            i32::from(port),
            "grpc.port is the server's port"
        );
        let channel = Channel::from_shared(format!("http://127.0.0.1:{probe_port}"))
            .expect("endpoint")
            .connect_timeout(Duration::from_secs(1))
            .connect()
            .await
            .expect("kubelet's connection to grpc.port");
        clients.push(HealthClient::new(channel));
    }
    // Like kubelet, wait for the startup probe (readiness' service) before the others;
    // the first evaluation of the checks may come just after the server listens.
    wait_for(&mut clients[2], &probes[2].1, ServingStatus::Serving).await;
    for ((_, service), client) in probes.iter().zip(&mut clients) {
        assert_eq!(
            status(client, service).await,
            ServingStatus::Serving,
            "{service}"
        );
    }

    // Readiness (and startup, which checks readiness) follow the ready file; liveness does not.
    fs::remove_file(&ready_file).expect("remove the ready file");
    wait_for(&mut clients[0], &probes[0].1, ServingStatus::NotServing).await;
    assert_eq!(
        status(&mut clients[1], &probes[1].1).await,
        ServingStatus::Serving,
        "liveness"
    );
}
