//! CPU and memory accounting: this process's (or thread's) CPU time from
//! `getrusage`, and the peak RSS of a program, from `getrusage(RUSAGE_CHILDREN)`
//! in the small `peak-rss` helper binary (see its docs for why it is a
//! separate binary).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use nix::sys::resource::{UsageWho, getrusage};
use nix::sys::time::TimeVal;

use crate::Result;
use crate::harness::child_server::printed_value;

/// The peak RSS in KiB of the largest of `runs` runs of `program args`, as
/// measured by the `helper` binary.
pub(crate) fn peak_rss_kb(
    helper: &Path,
    program: &Path,
    args: &[String],
    runs: u32,
) -> Result<u64> {
    let output = Command::new(helper)
        .arg(runs.to_string())
        .arg(program)
        .args(args)
        .stderr(Stdio::inherit())
        .output()?;
    if !output.status.success() {
        return Err(format!("measuring the RSS of {} failed", program.display()).into());
    }
    printed_value(&String::from_utf8_lossy(&output.stdout), "max_rss_kb")
        .ok_or_else(|| "peak-rss printed no max_rss_kb".into())
}

/// This process's user and system CPU time so far.
pub(crate) fn cpu_time() -> Result<Duration> {
    cpu_time_of(UsageWho::RUSAGE_SELF)
}

/// The user and system CPU time so far of `who` (this process, or this thread).
pub(crate) fn cpu_time_of(who: UsageWho) -> Result<Duration> {
    let usage = getrusage(who)?;
    Ok(duration(usage.user_time()) + duration(usage.system_time()))
}

fn duration(time: TimeVal) -> Duration {
    let seconds = u64::try_from(time.tv_sec()).unwrap_or(0);
    let micros = u64::try_from(time.tv_usec()).unwrap_or(0);
    Duration::from_secs(seconds) + Duration::from_micros(micros)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rusage_time_converts() {
        assert_eq!(
            duration(TimeVal::new(2, 500_000)),
            Duration::from_millis(2500)
        );
        assert!(cpu_time().is_ok());
    }
}
