//! The figures of a run: `name: value` lines, a table of every figure, and
//! the goals (issue "performance"), met or not.

use std::fmt::Write as _;

use crate::harness::stats::Spread;

/// A scenario's typed result, written out as figures of the report.
pub(crate) trait Measured {
    /// Pushes its figures into `figures`, each under its stable name.
    fn record(&self, figures: &mut Figures);
}

/// What a figure must be to meet its goal.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Bound {
    /// At most this value.
    Max(f64),
    /// At least this value.
    Min(f64),
    /// At most another figure of the same run.
    NoMoreThan(&'static str),
}

/// A goal on one figure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Goal {
    figure: &'static str,
    bound: Bound,
    /// The figures to read it against: its anchors and floors.
    context: &'static [&'static str],
}

/// Every goal, in the order the issue lists them.
const GOALS: [Goal; 21] = [
    Goal::at_most(
        "probe_vs_true",
        2.2,
        &["probe_wall_ms", "true_wall_ms", "glibc_probe_vs_true"],
    ),
    // bare-tls-client has the probe's TLS stack: against it, the probe's
    // own client is isolated from TLS (read beside, no goal of its own).
    Goal::at_most(
        "probe_vs_bare",
        1.05,
        &[
            "bare_client_wall_ms",
            "glibc_probe_vs_bare",
            "probe_vs_bare_tls",
            "bare_tls_client_wall_ms",
        ],
    ),
    Goal::at_most(
        "probe_peak_rss_kb",
        2000.0,
        &[
            "bare_client_peak_rss_kb",
            "bare_tls_client_peak_rss_kb",
            "probe_rss_vs_bare_tls",
            "glibc_probe_peak_rss_kb",
            "true_peak_rss_kb",
        ],
    ),
    Goal::at_most(
        "probe_size_bytes",
        2_600_000.0,
        &[
            "bare_client_size_bytes",
            "bare_tls_client_size_bytes",
            "probe_size_vs_bare_tls",
            "glibc_probe_size_bytes",
        ],
    ),
    // Per-check intervals make no check run dearer (issue 23): 1000 checks,
    // one in ten at ten times the interval, against one interval for all;
    // 5% is the spread of this figure between runs.
    Goal::at_most(
        "eval_mixed_vs_uniform_per_run_1000",
        1.05,
        &[
            "eval_cpu_ns_per_run_1000_mixed",
            "eval_cpu_ns_per_run_1000_uniform",
            "eval_mixed_vs_uniform_per_run_100",
        ],
    ),
    // Every architecture `cargo xtask dist` ships stays under the ceiling.
    Goal::at_most(
        "release_largest_size_bytes",
        2_600_000.0,
        &[
            "release_x86_64_size_bytes",
            "release_aarch64_size_bytes",
            "release_i686_size_bytes",
            "release_x86_64_crates",
        ],
    ),
    Goal::at_most(
        "watch_fanout_vs_tonic_health",
        0.8,
        &[
            "watch_fanout_10000_ms",
            "watch_fanout_10000_ms_tonic_health",
        ],
    ),
    Goal {
        figure: "watch_kb_per_watcher",
        bound: Bound::NoMoreThan("watch_kb_per_watcher_tonic_health"),
        context: &["watch_kb_per_watcher_tonic_health"],
    },
    Goal::at_least(
        "check_rps_ratio",
        1.0,
        &["check_rps_grpc_health_checks", "check_rps_tonic_health"],
    ),
    Goal::at_least("check_rps_ratio_q1", 0.95, &[]),
    // grpc-rpc-metrics' layer costs at most 3% in throughput and in CPU per
    // call, on Check and on SayHello (issue 22).
    Goal::at_most(
        "rpc_layer_rps_cost",
        1.03,
        &["rpc_layer_check_rps_plain", "rpc_layer_check_rps_layered"],
    ),
    Goal::at_most(
        "rpc_layer_cpu_cost",
        1.03,
        &[
            "rpc_layer_cpu_us_per_call_plain",
            "rpc_layer_cpu_us_per_call_layered",
        ],
    ),
    Goal::at_most(
        "rpc_layer_say_hello_rps_cost",
        1.03,
        &[
            "rpc_layer_say_hello_rps_plain",
            "rpc_layer_say_hello_rps_layered",
        ],
    ),
    Goal::at_most(
        "rpc_layer_say_hello_cpu_cost",
        1.03,
        &[
            "rpc_layer_cpu_us_per_call_say_hello_plain",
            "rpc_layer_cpu_us_per_call_say_hello_layered",
        ],
    ),
    Goal::at_most(
        "slow_check_p99_ms",
        1.0,
        &["slow_check_p99_ms_tonic_health", "naive_check_p99_ms"],
    ),
    // A dependency is called at most once per interval, and the interval is 1 s.
    Goal::at_most(
        "slow_check_dependency_calls_per_s",
        1.0,
        &["naive_check_dependency_calls_per_s"],
    ),
    // grpc-health-balance (issue 21): failover, rolling drain, cost.
    Goal::at_most("balance_failover_p99_ms_3", 10.0, &[]),
    Goal::at_most("balance_failover_p99_ms_100", 50.0, &[]),
    Goal::at_most(
        "balance_drain_failed",
        0.0,
        &["balance_drain_sent", "balance_list_drain_failed"],
    ),
    Goal::at_most(
        "balance_cpu_ratio",
        1.05,
        &["balance_cpu_us_per_rpc", "balance_list_cpu_us_per_rpc"],
    ),
    Goal::at_most(
        "balance_p50_ratio",
        1.05,
        &["balance_p50_us", "balance_list_p50_us"],
    ),
];

impl Goal {
    const fn at_most(figure: &'static str, limit: f64, context: &'static [&'static str]) -> Self {
        Self {
            figure,
            bound: Bound::Max(limit),
            context,
        }
    }

    const fn at_least(figure: &'static str, limit: f64, context: &'static [&'static str]) -> Self {
        Self {
            figure,
            bound: Bound::Min(limit),
            context,
        }
    }

    /// Whether `figures` meet it; `None` when a figure it needs was not measured.
    fn met(self, figures: &Figures) -> Option<bool> {
        let value = figures.get(self.figure)?;
        Some(match self.bound {
            Bound::Max(limit) => value <= limit,
            Bound::Min(limit) => value >= limit,
            Bound::NoMoreThan(other) => value <= figures.get(other)?,
        })
    }

    fn describe(self) -> String {
        match self.bound {
            Bound::Max(limit) => format!("≤ {limit}"),
            Bound::Min(limit) => format!("≥ {limit}"),
            Bound::NoMoreThan(other) => format!("≤ `{other}`"),
        }
    }
}

/// One measured figure.
#[derive(Debug, Clone, PartialEq)]
struct Figure {
    name: String,
    value: f64,
    decimals: usize,
}

impl Figure {
    fn value_text(&self) -> String {
        format!("{:.*}", self.decimals, self.value)
    }
}

/// The figures of a run, in the order they were measured.
#[derive(Debug, Default)]
pub(crate) struct Figures {
    figures: Vec<Figure>,
}

impl Figures {
    /// Records `name` with `value`, printed with `decimals` decimals.
    pub(crate) fn push(&mut self, name: impl Into<String>, value: f64, decimals: usize) {
        self.figures.push(Figure {
            name: name.into(),
            value,
            decimals,
        });
    }

    /// Appends the figures of `result`, and tells them on stderr as they come.
    pub(crate) fn record(&mut self, result: &impl Measured) {
        let mut recorded = Self::default();
        result.record(&mut recorded);
        for line in recorded.lines().lines() {
            eprintln!("bench: {line}");
        }
        self.figures.append(&mut recorded.figures);
    }

    /// Records a median of per-round samples as `name`, and its quartiles as
    /// `name_q1` and `name_q3`. The bench gives its ratios three decimals, so
    /// that a ratio just short of its goal does not print as the goal itself.
    pub(crate) fn push_spread(&mut self, name: &str, spread: Spread, decimals: usize) {
        self.push(name, spread.median, decimals);
        self.push(format!("{name}_q1"), spread.q1, decimals);
        self.push(format!("{name}_q3"), spread.q3, decimals);
    }

    /// The value of `name`, if it was measured.
    pub(crate) fn get(&self, name: &str) -> Option<f64> {
        self.find(name).map(|figure| figure.value)
    }

    fn find(&self, name: &str) -> Option<&Figure> {
        self.figures.iter().find(|figure| figure.name == name)
    }

    /// `name`'s value as printed, or `–` when it was not measured.
    pub(crate) fn text(&self, name: &str) -> String {
        self.find(name)
            .map_or_else(|| String::from("–"), Figure::value_text)
    }

    /// One `name: value` line per figure.
    pub(crate) fn lines(&self) -> String {
        self.figures.iter().fold(String::new(), |mut out, figure| {
            let _ = writeln!(out, "{}: {}", figure.name, figure.value_text());
            out
        })
    }

    /// A Markdown table of every figure.
    pub(crate) fn table(&self) -> String {
        let mut out = String::from("| figure | value |\n|---|---:|\n");
        for figure in &self.figures {
            let _ = writeln!(out, "| `{}` | {} |", figure.name, figure.value_text());
        }
        out
    }

    /// A Markdown table of the goals whose figures were measured: the value,
    /// its q1–q3 spread where it is a median of rounds, whether it is met,
    /// and the figures to read it against.
    pub(crate) fn goals_table(&self) -> String {
        let mut out = String::from(
            "| figure | value | q1–q3 | goal | met | against |\n|---|---:|---|---|---|---|\n",
        );
        for goal in GOALS {
            let Some(met) = goal.met(self) else {
                continue;
            };
            let spread = match (
                self.find(&format!("{}_q1", goal.figure)),
                self.find(&format!("{}_q3", goal.figure)),
            ) {
                (Some(q1), Some(q3)) => format!("{} – {}", q1.value_text(), q3.value_text()),
                _ => String::from("–"),
            };
            let context: Vec<_> = goal
                .context
                .iter()
                .filter_map(|name| self.find(name))
                .map(|figure| format!("`{}` {}", figure.name, figure.value_text()))
                .collect();
            let _ = writeln!(
                out,
                "| `{}` | {} | {spread} | {} | {} | {} |",
                goal.figure,
                self.text(goal.figure),
                goal.describe(),
                if met { "yes" } else { "**no**" },
                context.join(", "),
            );
        }
        out
    }

    /// The goals measured and missed.
    pub(crate) fn missed(&self) -> Vec<&'static str> {
        GOALS
            .iter()
            .filter(|goal| goal.met(self) == Some(false))
            .map(|goal| goal.figure)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures() -> Figures {
        let mut figures = Figures::default();
        figures.push("probe_vs_true", 2.0 / 0.9, 2);
        figures.push("probe_size_bytes", 2_700_000.0, 0);
        figures.push("check_rps_naive", 12345.678, 0);
        figures.push("watch_kb_per_watcher", 6.0, 2);
        figures.push("watch_kb_per_watcher_tonic_health", 7.0, 2);
        figures.push_spread(
            "check_rps_ratio",
            Spread {
                median: 1.01,
                q1: 0.94,
                q3: 1.05,
            },
            2,
        );
        figures
    }

    #[test]
    fn lines_are_name_colon_value_with_fixed_decimals() {
        let lines = figures().lines();
        assert!(
            lines.starts_with(
                "probe_vs_true: 2.22\nprobe_size_bytes: 2700000\ncheck_rps_naive: 12346\n"
            ),
            "{lines}"
        );
        assert!(lines.contains("check_rps_ratio_q1: 0.94\n"), "{lines}");
    }

    #[test]
    fn goals_table_marks_goals_met_and_missed() {
        let table = figures().goals_table();
        assert!(
            table.contains("| `probe_vs_true` | 2.22 | – | ≤ 2.2 | **no** |  |"),
            "{table}"
        );
        assert!(
            table.contains("| `probe_size_bytes` | 2700000 | – | ≤ 2600000 | **no** |  |"),
            "{table}"
        );
        assert!(
            table.contains("| `check_rps_ratio` | 1.01 | 0.94 – 1.05 | ≥ 1 | yes |  |"),
            "{table}"
        );
        assert!(
            table.contains(
                "| `watch_kb_per_watcher` | 6.00 | – | ≤ `watch_kb_per_watcher_tonic_health` | yes | `watch_kb_per_watcher_tonic_health` 7.00 |"
            ),
            "{table}"
        );
        assert!(!table.contains("probe_peak_rss_kb"), "unmeasured: {table}");
    }

    #[test]
    fn missed_goals_are_listed() {
        assert_eq!(
            figures().missed(),
            ["probe_vs_true", "probe_size_bytes", "check_rps_ratio_q1"]
        );
    }

    #[test]
    fn a_relative_goal_needs_both_figures() {
        let mut figures = Figures::default();
        let goal = GOALS
            .iter()
            .find(|goal| goal.figure == "watch_kb_per_watcher")
            .expect("a goal on memory per watcher");
        figures.push("watch_kb_per_watcher", 6.0, 2);
        assert_eq!(goal.met(&figures), None);
        figures.push("watch_kb_per_watcher_tonic_health", 5.0, 2);
        assert_eq!(goal.met(&figures), Some(false));
    }
}
