//! The cost of grpc-rpc-metrics' server layer, for a health call and an
//! application call side by side: the same closed-loop load of Check and of
//! the greeter's SayHello on one server (health-lib and `helloworld.Greeter`,
//! as health-demo serves them) served plain and on another served behind the
//! layer (recording both methods; `include_health`, since health calls are
//! otherwise passed through uncounted). The four loads take turns in short
//! slices, the order rotating every round, as the Check path does.
//!
//! Throughput is the median over slices; CPU per call is this process's CPU
//! time (server and client share it) over a slice's calls, median over
//! slices; each method's ratios are medians of each round's plain ÷ layered
//! (rps) and layered ÷ plain (CPU).

use std::time::Duration;

use examples::greeter::{GreeterClient, GreeterServer, HelloGreeter, SERVICE_NAME};
use grpc_rpc_metrics::{RpcKind, RpcMetrics};
use prometheus_client::registry::Registry;
use tokio::net::TcpListener;
use tonic::service::Routes;
use tonic::transport::{Channel, Server};

use crate::Result;
use crate::cli::Plan;
use crate::fixtures::dependency::Dependency;
use crate::fixtures::load::{CheckClients, Clients, Unary, closed_loop};
use crate::fixtures::servers::{self, Running, incoming};
use crate::harness::report::{Figures, Measured};
use crate::harness::rusage::cpu_time;
use crate::harness::stats::{Spread, median, ratio};

/// As on the Check path.
const CONNECTIONS: usize = 4;
const STREAMS: usize = 16;

/// The layer's cost on each method measured.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RpcLayer {
    /// `grpc.health.v1.Health/Check`.
    pub(crate) check: LayerCost,
    /// `helloworld.Greeter/SayHello`.
    pub(crate) say_hello: LayerCost,
}

/// One method served plain and behind the layer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LayerCost {
    /// Calls per second served plain, the median over slices.
    pub(crate) rps_plain: f64,
    /// Behind the layer.
    pub(crate) rps_layered: f64,
    /// CPU µs per call served plain (client and server), median over slices.
    pub(crate) cpu_us_plain: f64,
    /// Behind the layer.
    pub(crate) cpu_us_layered: f64,
    /// Each round's plain ÷ layered throughput: the layer's cost as a factor.
    pub(crate) rps_cost: Spread,
    /// Each round's layered ÷ plain CPU per call.
    pub(crate) cpu_cost: Spread,
}

impl LayerCost {
    /// Its figures: `rpc_layer_{rps}_plain` and so on for the throughputs,
    /// `rpc_layer_cpu_us_per_call{method}_plain` for CPU, and
    /// `rpc_layer{method}_rps_cost` for the ratios.
    fn record(&self, figures: &mut Figures, rps: &str, method: &str) {
        figures.push(format!("rpc_layer_{rps}_plain"), self.rps_plain, 0);
        figures.push(format!("rpc_layer_{rps}_layered"), self.rps_layered, 0);
        let cpu = format!("rpc_layer_cpu_us_per_call{method}");
        figures.push(format!("{cpu}_plain"), self.cpu_us_plain, 1);
        figures.push(format!("{cpu}_layered"), self.cpu_us_layered, 1);
        figures.push_spread(&format!("rpc_layer{method}_rps_cost"), self.rps_cost, 3);
        figures.push_spread(&format!("rpc_layer{method}_cpu_cost"), self.cpu_cost, 3);
    }
}

impl Measured for RpcLayer {
    fn record(&self, figures: &mut Figures) {
        // Check's names predate SayHello's and stay as they were.
        self.check.record(figures, "check_rps", "");
        self.say_hello
            .record(figures, "say_hello_rps", "_say_hello");
    }
}

/// health-lib's routes with the greeter beside them, as health-demo serves.
fn routes(dependencies: &[Dependency]) -> Result<Routes> {
    Ok(
        servers::grpc_health_checks(dependencies, grpc_health_checks::DEFAULT_INTERVAL)?
            .add_service(GreeterServer::new(HelloGreeter)),
    )
}

/// Those routes behind the layer, on a fresh `127.0.0.1:0` listener.
async fn serve_layered(dependencies: &[Dependency]) -> Result<(Running, Registry)> {
    let mut registry = Registry::default();
    let layer = RpcMetrics::server()
        .method("grpc.health.v1.Health", "Check", RpcKind::Unary)
        .method(SERVICE_NAME, "SayHello", RpcKind::Unary)
        .include_health()
        .register_server(&mut registry)?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let served = Server::builder()
        .layer(layer)
        .add_routes(routes(dependencies)?)
        .serve_with_incoming(incoming(listener));
    Ok((servers::spawn(addr, served), registry))
}

/// One slice's throughput and CPU microseconds per call.
async fn slice<C: Unary>(clients: &Clients<C>, length: Duration) -> Result<(f64, f64)> {
    let before = cpu_time()?;
    let result = closed_loop(clients, STREAMS, length).await?;
    let cpu = cpu_time()?.saturating_sub(before);
    let calls = result.latencies().len() as f64;
    Ok((result.rps(), ratio(cpu.as_secs_f64() * 1e6, calls)))
}

/// The slices of one method on one server.
#[derive(Debug, Default)]
struct Slices {
    rps: Vec<f64>,
    cpu_us: Vec<f64>,
}

/// The four loads: each method, plain and layered.
const LOADS: usize = 4;

/// A load's slice: index 0 and 1 are Check plain and layered, 2 and 3
/// SayHello plain and layered.
async fn run_slice(
    load: usize,
    checks: &[CheckClients; 2],
    hellos: &[Clients<GreeterClient<Channel>>; 2],
    length: Duration,
) -> Result<(f64, f64)> {
    match load {
        0 | 1 => slice(&checks[load], length).await,
        _ => slice(&hellos[load - 2], length).await,
    }
}

/// Method `plain` and `layered` slices as the layer's cost.
fn cost(plain: &Slices, layered: &Slices) -> LayerCost {
    let per_round = |numerator: &[f64], denominator: &[f64]| {
        let ratios: Vec<f64> = numerator
            .iter()
            .zip(denominator)
            .map(|(numerator, denominator)| ratio(*numerator, *denominator))
            .collect();
        Spread::of(&ratios)
    };
    LayerCost {
        rps_plain: median(&plain.rps),
        rps_layered: median(&layered.rps),
        cpu_us_plain: median(&plain.cpu_us),
        cpu_us_layered: median(&layered.cpu_us),
        rps_cost: per_round(&plain.rps, &layered.rps),
        cpu_cost: per_round(&layered.cpu_us, &plain.cpu_us),
    }
}

/// Measures the layer's cost on Check and SayHello.
pub(crate) async fn measure(plan: &Plan) -> Result<RpcLayer> {
    let dependencies: Vec<_> = (0..3).map(|_| Dependency::instant()).collect();
    let plain = servers::serve(routes(&dependencies)?).await?;
    let (layered, registry) = serve_layered(&dependencies).await?;
    let checks: [CheckClients; 2] = [
        Clients::connect(plain.addr, CONNECTIONS).await?,
        Clients::connect(layered.addr, CONNECTIONS).await?,
    ];
    let hellos: [Clients<GreeterClient<Channel>>; 2] = [
        Clients::connect(plain.addr, CONNECTIONS).await?,
        Clients::connect(layered.addr, CONNECTIONS).await?,
    ];
    // Readiness is NOT_SERVING until the first evaluation; the warm-up also fills buffers.
    tokio::time::sleep(Duration::from_millis(200)).await;
    for load in 0..LOADS {
        run_slice(load, &checks, &hellos, plan.check_slice).await?;
    }
    eprintln!(
        "bench: RPC metrics layer, {} slices of {:?} of Check and SayHello on plain and layered servers",
        plan.check_slices, plan.check_slice
    );
    let mut slices: [Slices; LOADS] = Default::default();
    for round in 0..plan.check_slices {
        for offset in 0..LOADS {
            let load = (round + offset) % LOADS;
            let (rps, cpu_us) = run_slice(load, &checks, &hellos, plan.check_slice).await?;
            slices[load].rps.push(rps);
            slices[load].cpu_us.push(cpu_us);
        }
    }
    // The layer did record: calls of both methods are counted.
    let mut scrape = String::new();
    prometheus_client::encoding::text::encode(&mut scrape, &registry)?;
    for method in ["Check", "SayHello"] {
        let recorded = scrape.lines().any(|line| {
            line.contains(&format!(r#"grpc_method="{method}""#))
                && line.contains(r#"grpc_code="OK""#)
        });
        if !recorded {
            return Err(format!("the layered server recorded no {method} call").into());
        }
    }
    let [check_plain, check_layered, hello_plain, hello_layered] = &slices;
    Ok(RpcLayer {
        check: cost(check_plain, check_layered),
        say_hello: cost(hello_plain, hello_layered),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_keeps_its_figure_names_and_say_hello_gets_its_own() {
        let spread = Spread {
            median: 1.01,
            q1: 1.0,
            q3: 1.02,
        };
        let cost = LayerCost {
            rps_plain: 100.0,
            rps_layered: 99.0,
            cpu_us_plain: 10.0,
            cpu_us_layered: 10.1,
            rps_cost: spread,
            cpu_cost: spread,
        };
        let mut figures = Figures::default();
        RpcLayer {
            check: cost.clone(),
            say_hello: cost,
        }
        .record(&mut figures);
        for name in [
            "rpc_layer_check_rps_plain",
            "rpc_layer_check_rps_layered",
            "rpc_layer_cpu_us_per_call_plain",
            "rpc_layer_cpu_us_per_call_layered",
            "rpc_layer_rps_cost",
            "rpc_layer_cpu_cost_q3",
            "rpc_layer_say_hello_rps_plain",
            "rpc_layer_say_hello_rps_layered",
            "rpc_layer_cpu_us_per_call_say_hello_plain",
            "rpc_layer_cpu_us_per_call_say_hello_layered",
            "rpc_layer_say_hello_rps_cost",
            "rpc_layer_say_hello_cpu_cost_q1",
        ] {
            assert!(
                figures.get(name).is_some(),
                "{name} missing:\n{}",
                figures.lines()
            );
        }
    }
}
