//! The command line, and the sample sizes of the quick and full runs.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};

/// Measures grpc-probe and health-lib against anchors measured in the same run.
#[derive(Debug, Parser)]
#[command(about, args_conflicts_with_subcommands = true)]
pub(crate) struct Cli {
    /// Fewer samples and shorter rounds: the whole run takes under 3 minutes.
    #[arg(long)]
    pub(crate) quick: bool,
    /// Measure the binaries already built instead of running cargo first.
    #[arg(long)]
    pub(crate) no_build: bool,
    /// Measure only these sections (repeatable); all of them by default.
    #[arg(long, value_enum)]
    pub(crate) only: Vec<Section>,
    /// Also write the run as a Markdown document to PATH (BENCHMARKS.md), with
    /// its plots in `bench/plots/` beside it.
    #[arg(long, value_name = "PATH")]
    pub(crate) markdown: Option<PathBuf>,
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
}

/// The parts of a run, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Section {
    /// `true`, grpc-probe, bare-client and bare-tls-client exec'd against health-demo.
    Probe,
    /// Each probe `cargo xtask dist` shipped in `dist/`: size, crates, a
    /// Check under its emulator.
    Release,
    /// Check load on health-lib, tonic-health and naive evaluation.
    Check,
    /// A 50 ms dependency under 1000 Check/s.
    Slow,
    /// `/readyz` beside Check on one server, and the cost of a `/metrics` scrape.
    Http,
    /// Check and SayHello load with and without grpc-rpc-metrics' server layer.
    RpcLayer,
    /// Watch fan-out and server memory at each scale, and Check p99 while
    /// 10,000 watchers are open; health-lib and tonic-health in turn.
    Watch,
    /// CPU time of one evaluation interval at 10, 100 and 1000 checks.
    Eval,
    /// grpc-health-balance against `balance_list`: failover, rolling drain, cost.
    Balance,
}

impl Cli {
    /// Whether `section` is to be measured.
    pub(crate) fn runs(&self, section: Section) -> bool {
        self.only.is_empty() || self.only.contains(&section)
    }
}

/// Helper processes the bench starts from its own binary.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Serves health-lib with a SERVING service `bench.Flip` on 127.0.0.1:0,
    /// printing `listening on ADDR`; each line on stdin flips the service.
    #[command(hide = true)]
    WatchServer {
        /// Serve tonic-health's `HealthService` instead of health-lib.
        #[arg(long)]
        tonic_health: bool,
    },
    /// Profiles a Watch server: starts `bench watch-server` under PROFILER
    /// (e.g. `valgrind --tool=callgrind`), opens WATCHERS Watch streams on it,
    /// flips the service FLIPS times, then closes its stdin so that it exits
    /// and the profiler writes its output.
    ProfileWatch {
        /// Watch streams held open.
        #[arg(long, default_value_t = 2000)]
        watchers: usize,
        /// Status flips, each delivered to every watcher.
        #[arg(long, default_value_t = 20)]
        flips: usize,
        /// Profile tonic-health's `HealthService` instead of health-lib.
        #[arg(long)]
        tonic_health: bool,
        /// The profiler command and its arguments, before the server's.
        #[arg(last = true, required = true, value_name = "PROFILER")]
        profiler: Vec<String>,
    },
    /// Runs health-lib with CHECKS checks evaluated every INTERVAL_MS, then
    /// prints `cpu_us_per_interval: N`, the process's CPU time over INTERVALS
    /// intervals divided by their number, and `cpu_ns_per_run: N`, divided
    /// by the check runs instead.
    #[command(hide = true)]
    EvalCpu {
        /// How many checks.
        #[arg(long)]
        checks: usize,
        /// Plain closures (run on the blocking pool) instead of async checks.
        #[arg(long, conflicts_with = "mixed")]
        sync: bool,
        /// Async checks, one in ten at ten times the interval.
        #[arg(long)]
        mixed: bool,
        /// The evaluation interval, in ms.
        #[arg(long)]
        interval_ms: u64,
        /// The intervals measured.
        #[arg(long)]
        intervals: u32,
    },
}

/// How many samples a run takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    /// Execs of each of `true`, grpc-probe and the bare clients.
    pub(crate) execs: usize,
    /// Probe runs whose peak RSS is taken.
    pub(crate) rss_runs: u32,
    /// Slices of Check load per server; the servers take turns, slice by slice.
    pub(crate) check_slices: usize,
    /// How long one slice lasts.
    pub(crate) check_slice: Duration,
    /// Rounds of `/readyz` and Check slices (each `check_slice` long) on the
    /// admin server.
    pub(crate) http_slices: usize,
    /// `/metrics` scrapes timed.
    pub(crate) metrics_scrapes: usize,
    /// How long the slow-dependency load lasts, per server.
    pub(crate) slow_duration: Duration,
    /// The numbers of watchers the fan-out is measured at.
    pub(crate) watch_scales: &'static [usize],
    /// Rounds of flips at each scale: one flip of each server per round.
    pub(crate) fanout_rounds: usize,
    /// Slices of Check load on each server while watchers are open.
    pub(crate) busy_check_slices: usize,
    /// Intervals whose CPU time is measured, at each number of checks.
    pub(crate) eval_intervals: u32,
}

impl Plan {
    /// The quick run (`--quick`) or the full one.
    pub(crate) const fn new(quick: bool) -> Self {
        if quick {
            Self {
                execs: 200,
                rss_runs: 20,
                check_slices: 20,
                check_slice: Duration::from_millis(500),
                http_slices: 10,
                metrics_scrapes: 200,
                slow_duration: Duration::from_secs(5),
                watch_scales: &[1_000, 10_000],
                fanout_rounds: 7,
                busy_check_slices: 2,
                eval_intervals: 10,
            }
        } else {
            Self {
                execs: 1000,
                rss_runs: 100,
                check_slices: 40,
                check_slice: Duration::from_millis(500),
                http_slices: 20,
                metrics_scrapes: 1000,
                slow_duration: Duration::from_secs(5),
                watch_scales: &[1_000, 10_000, 50_000],
                fanout_rounds: 15,
                busy_check_slices: 5,
                eval_intervals: 25,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn quick_flag_selects_the_quick_plan() {
        let cli = Cli::try_parse_from(["bench", "--quick"]).expect("valid");
        assert!(cli.quick && !cli.no_build && cli.command.is_none());
        let quick = Plan::new(true);
        let full = Plan::new(false);
        assert!(quick.execs >= 200, "the issue asks for at least 200 execs");
        assert!(full.execs > quick.execs && full.check_slices > quick.check_slices);
        assert!(full.http_slices > quick.http_slices);
        assert!(full.metrics_scrapes > quick.metrics_scrapes);
        // The headline figures are at 10,000 watchers, in either run.
        assert!(quick.watch_scales.contains(&10_000) && full.watch_scales.contains(&10_000));
        assert!(full.watch_scales.contains(&50_000));
        assert!(quick.watch_scales.is_sorted() && full.watch_scales.is_sorted());
    }

    #[test]
    fn watch_server_is_a_hidden_subcommand() {
        let cli = Cli::try_parse_from(["bench", "watch-server"]).expect("valid");
        assert!(matches!(
            cli.command,
            Some(Command::WatchServer {
                tonic_health: false
            })
        ));
        assert!(Cli::try_parse_from(["bench", "--quick", "watch-server"]).is_err());
    }

    #[test]
    fn only_selects_sections() {
        let cli =
            Cli::try_parse_from(["bench", "--only", "watch", "--only", "slow"]).expect("valid");
        assert!(cli.runs(Section::Watch) && cli.runs(Section::Slow));
        assert!(!cli.runs(Section::Probe) && !cli.runs(Section::Check));
        let all = Cli::try_parse_from(["bench"]).expect("valid");
        assert!(all.runs(Section::Probe) && all.runs(Section::Watch));
    }

    #[test]
    fn markdown_takes_a_path() {
        let cli = Cli::try_parse_from(["bench", "--quick", "--markdown", "BENCHMARKS.md"])
            .expect("valid");
        assert_eq!(cli.markdown, Some(PathBuf::from("BENCHMARKS.md")));
        assert!(Cli::try_parse_from(["bench", "--markdown"]).is_err());
    }

    #[test]
    fn eval_cpu_is_a_hidden_subcommand() {
        let cli = Cli::try_parse_from([
            "bench",
            "eval-cpu",
            "--checks",
            "10",
            "--interval-ms",
            "200",
            "--intervals",
            "5",
        ])
        .expect("valid");
        assert!(matches!(
            cli.command,
            Some(Command::EvalCpu {
                checks: 10,
                sync: false,
                mixed: false,
                interval_ms: 200,
                intervals: 5
            })
        ));
    }

    #[test]
    fn profile_watch_takes_the_profiler_after_a_double_dash() {
        let cli = Cli::try_parse_from([
            "bench",
            "profile-watch",
            "--flips",
            "5",
            "--",
            "valgrind",
            "--tool=callgrind",
        ])
        .expect("valid");
        let Some(Command::ProfileWatch {
            watchers,
            flips,
            tonic_health,
            profiler,
        }) = cli.command
        else {
            panic!("not profile-watch: {:?}", cli.command);
        };
        assert_eq!((watchers, flips, tonic_health), (2000, 5, false));
        assert_eq!(profiler, ["valgrind", "--tool=callgrind"]);
        assert!(Cli::try_parse_from(["bench", "profile-watch"]).is_err());
    }

    #[test]
    fn unknown_flags_are_refused() {
        assert!(Cli::try_parse_from(["bench", "--fast"]).is_err());
    }
}
