//! Peak RSS of a program, from `getrusage(RUSAGE_CHILDREN)` in the small
//! `peak-rss` helper binary (see its docs for why it is a separate binary).

use std::path::Path;
use std::process::{Command, Stdio};

use crate::Result;
use crate::child_server::printed_value;

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
