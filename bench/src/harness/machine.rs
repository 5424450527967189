//! What a run ran on and when: CPU model, logical CPUs, memory, kernel,
//! rustc, and the UTC date, for the Markdown report.

use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

/// The machine of a run.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Machine {
    cpu: String,
    cpus: usize,
    memory_gib: f64,
    kernel: String,
    rustc: String,
}

impl Machine {
    /// Reads it from `/proc`, `available_parallelism` and `rustc --version`;
    /// what cannot be read is `unknown`.
    pub(crate) fn read() -> Self {
        let proc_file = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
        let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
        let rustc = Command::new(rustc)
            .arg("--version")
            .output()
            .ok()
            .filter(|output| output.status.success())
            .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned());
        Self {
            cpu: cpu_model(&proc_file("/proc/cpuinfo")).unwrap_or_else(unknown),
            cpus: std::thread::available_parallelism().map_or(0, usize::from),
            memory_gib: mem_total_kb(&proc_file("/proc/meminfo"))
                .map_or(f64::NAN, |kb| kb as f64 / (1024.0 * 1024.0)),
            kernel: Some(proc_file("/proc/sys/kernel/osrelease").trim().to_owned())
                .filter(|kernel| !kernel.is_empty())
                .unwrap_or_else(unknown),
            rustc: rustc.unwrap_or_else(unknown),
        }
    }

    /// One Markdown list item per fact.
    pub(crate) fn markdown(&self) -> String {
        format!(
            "- CPU: {} ({} logical CPUs, as `nproc` counts them)\n- Memory: {:.1} GiB\n- Kernel: Linux {}\n- Compiler: {}\n",
            self.cpu, self.cpus, self.memory_gib, self.kernel, self.rustc
        )
    }
}

fn unknown() -> String {
    String::from("unknown")
}

/// The first `model name` of `/proc/cpuinfo`.
fn cpu_model(cpuinfo: &str) -> Option<String> {
    cpuinfo.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        (key.trim() == "model name").then(|| value.trim().to_owned())
    })
}

/// `MemTotal` of `/proc/meminfo`, in KiB.
fn mem_total_kb(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|line| line.starts_with("MemTotal:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Now, as `YYYY-MM-DD HH:MM UTC`.
pub(crate) fn utc_now() -> String {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    utc(seconds)
}

/// `seconds` since the Unix epoch as `YYYY-MM-DD HH:MM UTC`.
fn utc(seconds: u64) -> String {
    let days = i64::try_from(seconds / 86_400).unwrap_or(0);
    let (year, month, day) = civil_from_days(days);
    let minutes = seconds % 86_400 / 60;
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        minutes / 60,
        minutes % 60
    )
}

/// The proleptic Gregorian date `days` after 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month as u32, day as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_civil_utc() {
        assert_eq!(utc(0), "1970-01-01 00:00 UTC");
        // 2000-02-29 12:34:56 UTC, a leap day.
        assert_eq!(utc(951_827_696), "2000-02-29 12:34 UTC");
        // 2026-11-29 08:55:05 UTC.
        assert_eq!(utc(1_795_942_505), "2026-11-29 08:55 UTC");
    }

    #[test]
    fn proc_files_are_parsed() {
        let cpuinfo = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 9R14\n";
        assert_eq!(cpu_model(cpuinfo).as_deref(), Some("AMD EPYC 9R14"));
        assert_eq!(
            mem_total_kb("MemTotal:       24572356 kB\nMemFree: 1 kB\n"),
            Some(24_572_356)
        );
        assert_eq!(cpu_model(""), None);
    }

    #[test]
    fn this_machine_is_described() {
        let text = Machine::read().markdown();
        assert!(
            text.contains("- Kernel: Linux ") && text.contains("logical CPUs"),
            "{text}"
        );
    }
}
