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
//! | `nodelay_*` | the wall times again, against a server with `TCP_NODELAY` |
//! | `check_rps_*`, `check_p99_us_*`, `check_rps_ratio` | closed-loop Check load on health-lib, tonic-health and naive evaluation, taking turns in short slices; medians |
//! | `slow_check_p99_ms`, `slow_check_dependency_calls_per_s`, `naive_check_p99_ms` | 1000 Check/s for 5 s against a 50 ms dependency checked every 1 s |
//! | `watch_fanout_10k_ms`, `watch_kb_per_watcher` | 10,000 Watch streams on one service of a server in a child process, then flips |
//! | `*_tonic_health` | the same load on tonic-health: the floor of the stack |
//!
//! BENCHMARKS.md at the workspace root has a full run and what each figure means.
//!
//! It first builds what it measures with the cargo that runs it: grpc-probe and
//! `bare-client` with `--profile probe`, health-demo and `peak-rss` with `--release`.

mod artifacts;
mod check_path;
mod child_server;
mod cli;
mod dependency;
mod exec;
mod load;
mod naive;
mod report;
mod rusage;
mod servers;
mod slow_dependency;
mod stats;
mod watch_fanout;
mod watch_server;

use std::error::Error;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;

use crate::artifacts::Artifacts;
use crate::cli::{Cli, Command, Plan, Section};
use crate::report::Figures;

/// Any failure of the bench: a message saying what could not be measured.
type BoxError = Box<dyn Error + Send + Sync>;
/// The bench's result type.
type Result<T, E = BoxError> = std::result::Result<T, E>;

/// Builds, measures every figure (or those `--only` asks for) and prints them.
fn bench(cli: &Cli) -> Result<ExitCode> {
    let plan = Plan::new(cli.quick);
    let mut figures = Figures::default();
    let artifacts = match (cli.runs(Section::Probe), cli.no_build) {
        (false, _) => None,
        (true, true) => Some(Artifacts::locate()?),
        (true, false) => Some(Artifacts::build()?),
    };
    let started = Instant::now();
    if let Some(artifacts) = &artifacts {
        exec::measure(artifacts, &plan, &mut figures)?;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        if cli.runs(Section::Check) {
            check_path::measure(&plan, &mut figures).await?;
        }
        if cli.runs(Section::Slow) {
            slow_dependency::measure(&plan, &mut figures).await?;
        }
        if cli.runs(Section::Watch) {
            watch_fanout::measure(&plan, &mut figures).await?;
        }
        Ok::<_, BoxError>(())
    })?;
    eprintln!("bench: measured in {:.0?}", started.elapsed());
    print!("{}", figures.lines());
    println!();
    print!("{}", figures.table());
    Ok(ExitCode::SUCCESS)
}

fn run() -> Result<ExitCode> {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::WatchServer { tonic_health }) => watch_server::main(tonic_health),
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
