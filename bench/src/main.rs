//! Run with `cargo run --release -p bench -- --quick` (or without `--quick` for
//! the full run, with more samples).
//!
//! Measures grpc-probe and health-lib against anchors measured in the same run,
//! on the same machine, and reports ratios, because one machine's absolute
//! numbers say little about another's. It prints one `name: value` line per
//! figure, then a table with the goals.
//!
//! | figures | how |
//! |---|---|
//! | `true_wall_ms`, `probe_wall_ms`, `bare_client_wall_ms`, `probe_vs_true`, `probe_vs_bare` | exec each binary, interleaved, against health-demo in its own process |
//! | `probe_peak_rss_kb`, `probe_size_bytes` (and `bare_client_`, `true_peak_rss_kb`) | `getrusage(RUSAGE_CHILDREN)` in the small `peak-rss` helper, whose only children are the runs; the file's size |
//! | `glibc_*` | the same for the glibc builds |
//! | `bare_tls_client_*`, `probe_vs_bare_tls`, `probe_size_vs_bare_tls`, `probe_rss_vs_bare_tls` | the same for `bare-tls-client`, bare-client with the probe's TLS stack: the probe's own client against tonic's |
//! | `check_rps_*`, `check_p99_us_*`, `check_rps_ratio` | closed-loop Check load on health-lib, tonic-health and naive evaluation, taking turns in short slices; medians |
//! | `slow_check_p99_ms`, `slow_check_dependency_calls_per_s`, `naive_check_p99_ms` | 1000 Check/s for 5 s against a 50 ms dependency checked every 1 s |
//! | `readyz_rps`, `check_rps_admin_server`, `readyz_vs_check_rps` | closed-loop `/readyz` (64 HTTP/1.1 keep-alive connections) and Check (4 × 16 streams) on one health-lib server with 100 checks, taking turns in short slices; medians |
//! | `metrics_scrape_us`, `metrics_scrape_p99_us`, `metrics_scrape_bytes` | `/metrics` of that server scraped back to back on one connection |
//! | `watch_fanout_*_ms`, `watch_server_*_mib`, `watch_fanout_vs_tonic_health`, `watch_kb_per_watcher` | 1k, 10k (and 50k) Watch streams on one service of each server in a child process, then flips taken in turn |
//! | `check_p99_ms_10k_watchers` | open-loop Check load while 10,000 watchers are open |
//! | `rpc_layer_check_rps_*`, `rpc_layer_cpu_us_per_call_*`, `rpc_layer_rps_cost`, `rpc_layer_cpu_cost`, and `rpc_layer_say_hello_*`, `rpc_layer_*_say_hello_*` | closed-loop Check and SayHello load on health-lib with the greeter, plain and behind grpc-rpc-metrics' layer, taking turns in short slices; medians |
//! | `eval_cpu_us_*` | CPU time per evaluation interval at 10, 100 and 1000 checks |
//! | `*_tonic_health` | the same load on tonic-health: the floor of the stack |
//! | `balance_failover_p99_ms_*`, `balance_*drain_*`, `balance_*cpu*`, `balance_*p50*` | grpc-health-balance against tonic's `balance_list` over in-process greeters: failover after a hand-driven NOT_SERVING, a rolling drain, and the cost per RPC |
//!
//! With `--markdown BENCHMARKS.md` it also writes the run as that document,
//! and its plots in `bench/plots/`.
//!
//! It first builds what it measures with the cargo that runs it: grpc-probe and
//! `bare-client` with `--profile probe`, static musl (as shipped) and glibc,
//! `bare-tls-client` static musl, the `peak-rss` helper static musl,
//! health-demo with `--release`.
//!
//! `harness/` is the machinery (building and spawning binaries, CPU and
//! memory accounting, statistics, the report, Markdown and plots),
//! `fixtures/` the servers and load clients, `scenarios/` one module per
//! measured scenario, each returning a typed result.

mod cli;
mod fixtures;
mod harness;
mod scenarios;

use std::error::Error;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

use crate::cli::{Cli, Command, Plan};
use crate::scenarios::Results;

/// Any failure of the bench: a message saying what could not be measured.
type BoxError = Box<dyn Error + Send + Sync>;
/// The bench's result type.
type Result<T, E = BoxError> = std::result::Result<T, E>;

/// Builds, measures every figure (or those `--only` asks for) and prints them.
fn bench(cli: &Cli) -> Result<ExitCode> {
    let plan = Plan::new(cli.quick);
    let (results, figures) = Results::run(cli, &plan)?;
    print!("{}", figures.lines());
    println!();
    print!("{}", figures.goals_table());
    if let Some(path) = &cli.markdown {
        harness::markdown::write(path, &results, &figures, &plan, cli.quick)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn run() -> Result<ExitCode> {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::WatchServer { tonic_health }) => fixtures::watch_server::main(tonic_health),
        Some(Command::ProfileWatch {
            watchers,
            flips,
            tonic_health,
            profiler,
        }) => scenarios::watch_fanout::profile_main(tonic_health, watchers, flips, &profiler),
        Some(Command::EvalCpu {
            checks,
            sync,
            mixed,
            interval_ms,
            intervals,
        }) => {
            let kind = match (sync, mixed) {
                (true, _) => scenarios::eval_cpu::Kind::Sync,
                (false, true) => scenarios::eval_cpu::Kind::Mixed,
                (false, false) => scenarios::eval_cpu::Kind::Async,
            };
            scenarios::eval_cpu::main(checks, kind, Duration::from_millis(interval_ms), intervals)
        }
        None => bench(&cli),
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(error) => {
            eprintln!("bench: {error}");
            ExitCode::FAILURE
        }
    }
}
