//! Evaluation cost: the CPU time health-lib spends per interval running 10,
//! 100 and 1000 checks, async checks and plain closures (which run on the
//! blocking pool). Each count runs in a child process (`bench eval-cpu`) that
//! serves nothing, so its CPU time, from `getrusage(RUSAGE_SELF)`, is the
//! evaluation's.

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

/// The numbers of checks measured.
pub(crate) const CHECK_COUNTS: [usize; 3] = [10, 100, 1000];
/// The evaluation interval of the measured runs.
const INTERVAL: Duration = Duration::from_millis(200);
/// The name of the line the child prints its figure on.
const CPU_LINE: &str = "cpu_us_per_interval";
/// How long past its own intervals a child may take before the run fails.
const GRACE: Duration = Duration::from_secs(30);

/// The figure for `checks` checks of one kind.
fn figure_name(checks: usize, sync: bool) -> String {
    let kind = if sync { "sync" } else { "async" };
    format!("eval_cpu_us_{checks}_{kind}_checks")
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
}

impl Measured for EvalCpu {
    fn record(&self, figures: &mut Figures) {
        for point in &self.points {
            figures.push(figure_name(point.checks, false), point.async_us, 0);
            figures.push(figure_name(point.checks, true), point.sync_us, 0);
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
        points.push(EvalPoint {
            checks,
            async_us: run_child(checks, false, plan.eval_intervals)?,
            sync_us: run_child(checks, true, plan.eval_intervals)?,
        });
    }
    Ok(EvalCpu { points })
}

/// Runs `bench eval-cpu` and reads its figure.
fn run_child(checks: usize, sync: bool, intervals: u32) -> Result<f64> {
    let mut command = Command::new(std::env::current_exe()?);
    command
        .arg("eval-cpu")
        .arg(format!("--checks={checks}"))
        .arg(format!("--interval-ms={}", INTERVAL.as_millis()))
        .arg(format!("--intervals={intervals}"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if sync {
        command.arg("--sync");
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
    printed_value(&output, CPU_LINE)
        .ok_or_else(|| format!("{command:?} printed no {CPU_LINE}").into())
}

/// The child: builds health-lib with `checks` checks and measures its CPU time.
pub(crate) fn main(
    checks: usize,
    sync: bool,
    interval: Duration,
    intervals: u32,
) -> Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let cpu_us = runtime.block_on(async {
        let builder = (0..checks).fold(HealthChecks::new().interval(interval), |builder, index| {
            let name = format!("check-{index}");
            builder.check(if sync {
                Check::new(name, || true)
            } else {
                Check::new_async(name, || async { true })
            })
        });
        let (_service, handle) = builder.build()?;
        // Evaluation runs at 0, T, 2T, …: a window from 2.5 T to (2.5 + n) T
        // starts and ends between evaluations and holds n of them, past the
        // first (which also starts the blocking pool's threads).
        tokio::time::sleep(interval * 5 / 2).await;
        let before = cpu_time()?;
        tokio::time::sleep(interval * intervals).await;
        let after = cpu_time()?;
        drop(handle);
        Ok::<_, crate::BoxError>(
            after.saturating_sub(before).as_secs_f64() * 1e6 / f64::from(intervals.max(1)),
        )
    })?;
    println!("{CPU_LINE}: {cpu_us:.1}");
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_tell_count_and_kind() {
        assert_eq!(figure_name(100, true), "eval_cpu_us_100_sync_checks");
        assert_eq!(figure_name(10, false), "eval_cpu_us_10_async_checks");
    }
}
