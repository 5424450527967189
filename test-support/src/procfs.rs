//! What Linux's `/proc` says about a process a test started: its memory, CPU
//! time and open file descriptors, for bounds on a server under attack.

/// Clock ticks per second of `/proc/PID/stat` times: `USER_HZ`, fixed at 100
/// in Linux's user-space ABI.
pub const TICKS_PER_SECOND: u64 = 100;

fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_else(|error| panic!("read /proc/{pid}/status: {error}"));
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
}

/// The resident set size of `pid` now, in KiB (`VmRSS`).
pub fn rss_kib(pid: u32) -> u64 {
    status_kib(pid, "VmRSS")
}

/// The largest resident set size `pid` ever had, in KiB (`VmHWM`).
pub fn peak_rss_kib(pid: u32) -> u64 {
    status_kib(pid, "VmHWM")
}

/// The CPU time `pid` has used, user and system, in [`TICKS_PER_SECOND`] ticks.
pub fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .unwrap_or_else(|error| panic!("read /proc/{pid}/stat: {error}"));
    // The command name may hold spaces and parentheses: fields count from the last ')'.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    // utime and stime are fields 14 and 15 of stat(5), 12 and 13 after the name.
    let ticks = |index: usize| -> u64 {
        fields
            .get(index)
            .and_then(|value| value.parse().ok())
            .unwrap_or_else(|| panic!("no field {} in /proc/{pid}/stat: {stat}", index + 3))
    };
    ticks(11) + ticks(12)
}

/// How many file descriptors `pid` has open.
pub fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap_or_else(|error| panic!("read /proc/{pid}/fd: {error}"))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_figures_are_readable() {
        let pid = std::process::id();
        assert!(rss_kib(pid) > 0);
        assert!(peak_rss_kib(pid) >= rss_kib(pid));
        let spent = cpu_ticks(pid);
        let busy = std::time::Instant::now();
        while cpu_ticks(pid) == spent {
            assert!(busy.elapsed().as_secs() < 30, "CPU time never advanced");
        }
        assert!(open_fds(pid) >= 3, "stdin, stdout and stderr at least");
    }
}
