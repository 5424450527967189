//! The cost of grpc-rpc-metrics' server layer: the same closed-loop Check
//! load on health-lib served plain and served behind the layer (recording
//! every Check: `include_health`, since health calls are otherwise passed
//! through uncounted), taking turns in short slices as the Check path does.
//!
//! Throughput is the median over slices; CPU per call is this process's CPU
//! time (server and client share it) over a slice's calls, median over
//! slices; the ratios are medians of each round's plain ÷ layered (rps) and
//! layered ÷ plain (CPU), two slices run back to back.

use std::time::Duration;

use grpc_rpc_metrics::{RpcKind, RpcMetrics};
use prometheus_client::registry::Registry;
use tokio::net::TcpListener;
use tonic::transport::Server;

use crate::Result;
use crate::cli::Plan;
use crate::dependency::Dependency;
use crate::eval_cpu::cpu_time;
use crate::load::{Clients, closed_loop};
use crate::report::Figures;
use crate::servers::{self, Running, incoming};
use crate::stats::{Spread, median, ratio};

/// As on the Check path.
const CONNECTIONS: usize = 4;
const STREAMS: usize = 16;

/// health-lib behind the layer, on a fresh `127.0.0.1:0` listener.
async fn serve_layered(dependencies: &[Dependency]) -> Result<(Running, Registry)> {
    let mut registry = Registry::default();
    let layer = RpcMetrics::server()
        .method("grpc.health.v1.Health", "Check", RpcKind::Unary)
        .include_health()
        .register_server(&mut registry)?;
    let routes = servers::grpc_health_checks(dependencies, grpc_health_checks::DEFAULT_INTERVAL)?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let served = Server::builder()
        .layer(layer)
        .add_routes(routes)
        .serve_with_incoming(incoming(listener));
    Ok((servers::spawn(addr, served), registry))
}

/// One slice's throughput and CPU microseconds per call.
async fn slice(clients: &Clients, length: Duration) -> Result<(f64, f64)> {
    let before = cpu_time()?;
    let result = closed_loop(clients, STREAMS, length).await?;
    let cpu = cpu_time()?.saturating_sub(before);
    let calls = result.latencies().len() as f64;
    Ok((result.rps(), ratio(cpu.as_secs_f64() * 1e6, calls)))
}

/// Measures the layer's cost into `figures`.
pub(crate) async fn measure(plan: &Plan, figures: &mut Figures) -> Result<()> {
    let dependencies: Vec<_> = (0..3).map(|_| Dependency::instant()).collect();
    let plain = servers::serve(servers::grpc_health_checks(
        &dependencies,
        grpc_health_checks::DEFAULT_INTERVAL,
    )?)
    .await?;
    let (layered, registry) = serve_layered(&dependencies).await?;
    let clients = [
        Clients::connect(plain.addr, CONNECTIONS).await?,
        Clients::connect(layered.addr, CONNECTIONS).await?,
    ];
    // Readiness is NOT_SERVING until the first evaluation; the warm-up also fills buffers.
    tokio::time::sleep(Duration::from_millis(200)).await;
    for server in &clients {
        closed_loop(server, STREAMS, plan.check_slice).await?;
    }
    eprintln!(
        "bench: RPC metrics layer, {} slices of {:?} on plain and layered health-lib",
        plan.check_slices, plan.check_slice
    );
    let (mut rps, mut cpu) = ([Vec::new(), Vec::new()], [Vec::new(), Vec::new()]);
    let (mut rps_ratios, mut cpu_ratios) = (Vec::new(), Vec::new());
    for round in 0..plan.check_slices {
        for offset in 0..2 {
            let index = (round + offset) % 2;
            let (slice_rps, slice_cpu) = slice(&clients[index], plan.check_slice).await?;
            rps[index].push(slice_rps);
            cpu[index].push(slice_cpu);
        }
        rps_ratios.push(ratio(rps[0][round], rps[1][round]));
        cpu_ratios.push(ratio(cpu[1][round], cpu[0][round]));
    }
    // The layer did record: every call of the layered slices is counted.
    let mut scrape = String::new();
    prometheus_client::encoding::text::encode(&mut scrape, &registry)?;
    if !scrape.contains(r#"grpc_code="OK""#) {
        return Err("the layered server recorded no call".into());
    }
    figures.push("rpc_layer_check_rps_plain", median(&rps[0]), 0);
    figures.push("rpc_layer_check_rps_layered", median(&rps[1]), 0);
    figures.push("rpc_layer_cpu_us_per_call_plain", median(&cpu[0]), 1);
    figures.push("rpc_layer_cpu_us_per_call_layered", median(&cpu[1]), 1);
    // Plain ÷ layered throughput and layered ÷ plain CPU: the layer's cost as a factor.
    figures.push_spread("rpc_layer_rps_cost", Spread::of(&rps_ratios), 3);
    figures.push_spread("rpc_layer_cpu_cost", Spread::of(&cpu_ratios), 3);
    Ok(())
}
