//! Peak RSS of a program, from `getrusage(RUSAGE_CHILDREN)` in the small
//! `peak-rss` helper binary (see its docs for why it is a separate binary).

use std::path::Path;
use std::process::{Command, Stdio};

use crate::Result;

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
    parse_max_rss(&String::from_utf8_lossy(&output.stdout))
        .ok_or_else(|| "peak-rss printed no max_rss_kb".into())
}

fn parse_max_rss(output: &str) -> Option<u64> {
    output
        .lines()
        .find_map(|line| line.strip_prefix("max_rss_kb: "))?
        .trim()
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helper_output_is_parsed() {
        assert_eq!(parse_max_rss("max_rss_kb: 2048\n"), Some(2048));
        assert_eq!(parse_max_rss("nothing\n"), None);
    }
}
