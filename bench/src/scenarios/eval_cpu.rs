//! Evaluation cost: the CPU time health-lib spends per interval running 10,
//! 100 and 1000 checks, async checks and plain closures (which run on the
//! blocking pool). Each count runs in a child process (`bench eval-cpu`) that
//! serves nothing, so its CPU time, from `getrusage(RUSAGE_SELF)`, is the
//! evaluation's.
//!
//! Mixed intervals: the same numbers of async checks, one in ten with its own
//! interval ten times the others' (`Check::interval`), so fewer checks are
//! due at each wake-up. Their cost is read per check run (the snapshot's
//! evaluation counts over the window), against the uniform run's per-run
//! cost: per-check scheduling must not make a run dearer.

use std::io::Read;
use std::process::{Command, ExitCode, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use grpc_health_checks::{Check, HealthChecks};

use crate::Result;
use crate::cli::Plan;
use crate::harness::child_server::printed_value;
use crate::harness::report::{Figures, Measured};
use crate::harness::rusage::cpu_time;
use crate::harness::stats::{Spread, median, ratio};

/// The numbers of checks measured.
pub(crate) const CHECK_COUNTS: [usize; 3] = [10, 100, 1000];
/// The evaluation interval of the measured runs.
const INTERVAL: Duration = Duration::from_millis(200);
/// The name of the line the child prints its figure on.
const CPU_LINE: &str = "cpu_us_per_interval";
/// The name of the line the child prints its CPU time per check run on.
const RUN_LINE: &str = "cpu_ns_per_run";
/// In the mixed runs, every `SLOW_EVERY`th check runs `SLOW_EVERY` times
/// less often.
const SLOW_EVERY: usize = 10;
/// Rounds of one uniform and one mixed child, the order alternating: one
/// child's CPU time varies by a fifth from run to run, so the ratio is the
/// median of the rounds'.
const RATIO_ROUNDS: usize = 5;
/// How long past its own intervals a child may take before the run fails.
const GRACE: Duration = Duration::from_secs(30);

/// The figure for `checks` checks of one kind.
fn figure_name(checks: usize, sync: bool) -> String {
    let kind = if sync { "sync" } else { "async" };
    format!("eval_cpu_us_{checks}_{kind}_checks")
}

/// The figure for CPU ns per check run at `checks` async checks.
fn per_run_name(checks: usize, mixed: bool) -> String {
    let kind = if mixed { "mixed" } else { "uniform" };
    format!("eval_cpu_ns_per_run_{checks}_{kind}")
}

/// The figure for the mixed run's per-run cost over the uniform one's.
fn mixed_ratio_name(checks: usize) -> String {
    format!("eval_mixed_vs_uniform_per_run_{checks}")
}

/// The kind of checks a child runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Async checks, all at the interval.
    Async,
    /// Plain closures, all at the interval.
    Sync,
    /// Async checks, one in ten at ten times the interval.
    Mixed,
}

/// What a child measured.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Cost {
    /// CPU µs per base interval.
    per_interval_us: f64,
    /// CPU ns per check run.
    per_run_ns: f64,
}

/// The CPU time of one evaluation interval at each number of checks.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct EvalCpu {
    /// One point per number of checks, in `CHECK_COUNTS` order.
    pub(crate) points: Vec<EvalPoint>,
}

/// The evaluation cost at one number of checks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct EvalPoint {
    /// How many checks.
    pub(crate) checks: usize,
    /// CPU µs per interval with async checks.
    pub(crate) async_us: f64,
    /// CPU µs per interval with plain closures (on the blocking pool).
    pub(crate) sync_us: f64,
    /// CPU ns per check run, async checks at one interval (median of rounds).
    pub(crate) uniform_ns_per_run: f64,
    /// CPU ns per check run, async checks at mixed intervals (median of rounds).
    pub(crate) mixed_ns_per_run: f64,
    /// Each round's mixed ÷ uniform per-run cost.
    pub(crate) mixed_vs_uniform: Spread,
}

impl Measured for EvalCpu {
    fn record(&self, figures: &mut Figures) {
        for point in &self.points {
            figures.push(figure_name(point.checks, false), point.async_us, 0);
            figures.push(figure_name(point.checks, true), point.sync_us, 0);
            figures.push(
                per_run_name(point.checks, false),
                point.uniform_ns_per_run,
                0,
            );
            figures.push(per_run_name(point.checks, true), point.mixed_ns_per_run, 0);
            figures.push_spread(&mixed_ratio_name(point.checks), point.mixed_vs_uniform, 3);
        }
    }
}

/// Measures the evaluation cost.
pub(crate) fn measure(plan: &Plan) -> Result<EvalCpu> {
    eprintln!(
        "bench: evaluation CPU over {} intervals of {INTERVAL:?} at {CHECK_COUNTS:?} checks",
        plan.eval_intervals
    );
    let mut points = Vec::with_capacity(CHECK_COUNTS.len());
    for checks in CHECK_COUNTS {
        let sync = run_child(checks, Kind::Sync, plan.eval_intervals)?;
        let (mut uniform, mut mixed, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
        for round in 0..RATIO_ROUNDS {
            let run = |kind| run_child(checks, kind, plan.eval_intervals);
            let (one, mix) = if round % 2 == 0 {
                let one = run(Kind::Async)?;
                (one, run(Kind::Mixed)?)
            } else {
                let mix = run(Kind::Mixed)?;
                (run(Kind::Async)?, mix)
            };
            ratios.push(ratio(mix.per_run_ns, one.per_run_ns));
            uniform.push(one);
            mixed.push(mix);
        }
        let median_of = |costs: &[Cost], field: fn(&Cost) -> f64| {
            median(&costs.iter().map(field).collect::<Vec<_>>())
        };
        points.push(EvalPoint {
            checks,
            async_us: median_of(&uniform, |cost| cost.per_interval_us),
            sync_us: sync.per_interval_us,
            uniform_ns_per_run: median_of(&uniform, |cost| cost.per_run_ns),
            mixed_ns_per_run: median_of(&mixed, |cost| cost.per_run_ns),
            mixed_vs_uniform: Spread::of(&ratios),
        });
    }
    Ok(EvalCpu { points })
}

/// Runs `bench eval-cpu` and reads its figures.
fn run_child(checks: usize, kind: Kind, intervals: u32) -> Result<Cost> {
    let mut command = Command::new(std::env::current_exe()?);
    command
        .arg("eval-cpu")
        .arg(format!("--checks={checks}"))
        .arg(format!("--interval-ms={}", INTERVAL.as_millis()))
        .arg(format!("--intervals={intervals}"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    match kind {
        Kind::Async => {}
        Kind::Sync => {
            command.arg("--sync");
        }
        Kind::Mixed => {
            command.arg("--mixed");
        }
    }
    let mut child = command.spawn()?;
    let mut stdout = child.stdout.take().ok_or("eval-cpu stdout not piped")?;
    let (sender, receiver) = mpsc::channel();
    thread::spawn(move || {
        let mut output = String::new();
        let _ = sender.send(stdout.read_to_string(&mut output).map(|_| output));
    });
    let limit = INTERVAL * (intervals + 3) + GRACE;
    let output = match receiver.recv_timeout(limit) {
        Ok(output) => output?,
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("{command:?} did not finish within {limit:?}").into());
        }
    };
    let status = child.wait()?;
    if !status.success() {
        return Err(format!("{command:?} failed: {status}").into());
    }
    let read = |line: &str| {
        printed_value(&output, line).ok_or_else(|| format!("{command:?} printed no {line}"))
    };
    Ok(Cost {
        per_interval_us: read(CPU_LINE)?,
        per_run_ns: read(RUN_LINE)?,
    })
}

/// The checks' evaluations so far, all together.
fn runs(handle: &grpc_health_checks::HealthHandle) -> u64 {
    handle
        .snapshot()
        .iter()
        .map(|check| check.evaluations)
        .sum()
}

/// The child: builds health-lib with `checks` checks and measures its CPU time.
pub(crate) fn main(
    checks: usize,
    kind: Kind,
    interval: Duration,
    intervals: u32,
) -> Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let (cpu_us, ns_per_run) = runtime.block_on(async {
        let builder = (0..checks).fold(HealthChecks::new().interval(interval), |builder, index| {
            let name = format!("check-{index}");
            builder.check(match kind {
                Kind::Sync => Check::new(name, || true),
                Kind::Async => Check::new_async(name, || async { true }),
                Kind::Mixed if index % SLOW_EVERY == 0 => {
                    Check::new_async(name, || async { true }).interval(interval * SLOW_EVERY as u32)
                }
                Kind::Mixed => Check::new_async(name, || async { true }),
            })
        });
        let (_service, handle) = builder.build()?;
        // Evaluation runs at 0, T, 2T, …: a window from 2.5 T to (2.5 + n) T
        // starts and ends between evaluations and holds n of them, past the
        // first (which also starts the blocking pool's threads).
        tokio::time::sleep(interval * 5 / 2).await;
        let (before, runs_before) = (cpu_time()?, runs(&handle));
        tokio::time::sleep(interval * intervals).await;
        let (after, runs_after) = (cpu_time()?, runs(&handle));
        drop(handle);
        let cpu = after.saturating_sub(before).as_secs_f64();
        let runs = runs_after.saturating_sub(runs_before).max(1) as f64;
        Ok::<_, crate::BoxError>((cpu * 1e6 / f64::from(intervals.max(1)), cpu * 1e9 / runs))
    })?;
    println!("{CPU_LINE}: {cpu_us:.1}");
    println!("{RUN_LINE}: {ns_per_run:.1}");
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_tell_count_and_kind() {
        assert_eq!(figure_name(100, true), "eval_cpu_us_100_sync_checks");
        assert_eq!(figure_name(10, false), "eval_cpu_us_10_async_checks");
        assert_eq!(per_run_name(1000, true), "eval_cpu_ns_per_run_1000_mixed");
        assert_eq!(mixed_ratio_name(1000), "eval_mixed_vs_uniform_per_run_1000");
    }
}
