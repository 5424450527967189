//! One module per measured scenario. Each `measure` returns the scenario's
//! typed result (a struct of what it measured), which writes itself out as
//! the report's figures (`Measured`) and which the Markdown and plots read.

pub(crate) mod admin_http;
pub(crate) mod balance;
pub(crate) mod check_path;
pub(crate) mod eval_cpu;
pub(crate) mod probe;
pub(crate) mod release;
pub(crate) mod rpc_layer;
pub(crate) mod slow_dependency;
pub(crate) mod watch_fanout;

use std::time::Instant;

use crate::cli::{Cli, Plan, Section};
use crate::harness::artifacts::Artifacts;
use crate::harness::report::{Figures, Measured};
use crate::{BoxError, Result};

/// What a run measured: each scenario's result, when it ran.
#[derive(Debug, Default)]
pub(crate) struct Results {
    pub(crate) probe: Option<probe::Probe>,
    pub(crate) release: Option<release::Release>,
    pub(crate) check_path: Option<check_path::CheckPath>,
    pub(crate) slow_dependency: Option<slow_dependency::SlowDependency>,
    pub(crate) admin_http: Option<admin_http::AdminHttp>,
    pub(crate) rpc_layer: Option<rpc_layer::RpcLayer>,
    pub(crate) watch_fanout: Option<watch_fanout::WatchFanout>,
    pub(crate) balance: Option<balance::Balance>,
    pub(crate) eval_cpu: Option<eval_cpu::EvalCpu>,
}

/// Keeps `result` in `slot` and records its figures, telling them on stderr.
fn keep<T: Measured>(slot: &mut Option<T>, result: T, figures: &mut Figures) {
    figures.record(&result);
    *slot = Some(result);
}

impl Results {
    /// Builds what the probe section needs, then runs every section `cli`
    /// asks for, in order; also returns their figures, in the order measured.
    pub(crate) fn run(cli: &Cli, plan: &Plan) -> Result<(Self, Figures)> {
        let mut results = Self::default();
        let mut figures = Figures::default();
        let needs_artifacts = cli.runs(Section::Probe) || cli.runs(Section::Release);
        let artifacts = match (needs_artifacts, cli.no_build) {
            (false, _) => None,
            (true, true) => Some(Artifacts::locate()?),
            (true, false) => Some(Artifacts::build()?),
        };
        // Measuring starts once everything is built.
        let started = Instant::now();
        if let Some(artifacts) = artifacts.as_ref().filter(|_| cli.runs(Section::Probe)) {
            keep(
                &mut results.probe,
                probe::measure(artifacts, plan)?,
                &mut figures,
            );
        }
        if let Some(artifacts) = artifacts.as_ref().filter(|_| cli.runs(Section::Release)) {
            keep(
                &mut results.release,
                release::measure(artifacts)?,
                &mut figures,
            );
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        runtime.block_on(async {
            if cli.runs(Section::Check) {
                let measured = check_path::measure(plan).await?;
                keep(&mut results.check_path, measured, &mut figures);
            }
            if cli.runs(Section::Slow) {
                let measured = slow_dependency::measure(plan).await?;
                keep(&mut results.slow_dependency, measured, &mut figures);
            }
            if cli.runs(Section::Http) {
                let measured = admin_http::measure(plan).await?;
                keep(&mut results.admin_http, measured, &mut figures);
            }
            if cli.runs(Section::RpcLayer) {
                let measured = rpc_layer::measure(plan).await?;
                keep(&mut results.rpc_layer, measured, &mut figures);
            }
            if cli.runs(Section::Watch) {
                let measured = watch_fanout::measure(plan).await?;
                keep(&mut results.watch_fanout, measured, &mut figures);
            }
            if cli.runs(Section::Balance) {
                let measured = balance::measure(cli.quick).await?;
                keep(&mut results.balance, measured, &mut figures);
            }
            Ok::<_, BoxError>(())
        })?;
        if cli.runs(Section::Eval) {
            keep(
                &mut results.eval_cpu,
                eval_cpu::measure(plan)?,
                &mut figures,
            );
        }
        eprintln!("bench: measured in {:.0?}", started.elapsed());
        Ok((results, figures))
    }
}
