//! Run with `peak-rss RUNS PROGRAM [ARGS]...`
//!
//! Runs PROGRAM `RUNS` times (each run must exit 0), then prints
//! `max_rss_kb: N`: `ru_maxrss` of `getrusage(RUSAGE_CHILDREN)`, the peak RSS
//! of the largest run, in KiB.
//!
//! It is its own small binary because Linux counts, in a child's `ru_maxrss`,
//! the RSS of the image it was forked from before it exec'd: measured from the
//! bench (several MB), every program would look at least that big. The bench
//! builds this one as a static musl binary with the probe's size profile,
//! using only std and `nix` (whose `getrusage` is a safe wrapper), so the
//! image it forks from is a few hundred KB: below what any measured program
//! reaches (see `true_peak_rss_kb`, the floor of the method).

use std::error::Error;
use std::process::{Command, ExitCode, Stdio};

use nix::sys::resource::{UsageWho, getrusage};

fn run() -> Result<ExitCode, Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(runs), Some(program)) = (args.next(), args.next()) else {
        eprintln!("usage: peak-rss RUNS PROGRAM [ARGS]...");
        return Ok(ExitCode::from(1));
    };
    let runs: u32 = runs.parse()?;
    let mut command = Command::new(&program);
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for _ in 0..runs {
        let status = command.status()?;
        if !status.success() {
            return Err(format!("{program} failed: {status}").into());
        }
    }
    println!(
        "max_rss_kb: {}",
        getrusage(UsageWho::RUSAGE_CHILDREN)?.max_rss()
    );
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(error) => {
            eprintln!("peak-rss: {error}");
            ExitCode::FAILURE
        }
    }
}
