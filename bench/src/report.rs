//! The figures of a run: `name: value` lines, and a table with the goals.

use std::fmt::Write as _;

/// What a figure must be to meet its goal (issue "benchmarks").
#[derive(Debug, Clone, Copy, PartialEq)]
enum Goal {
    AtMost(f64),
    AtLeast(f64),
}

impl Goal {
    fn met(self, value: f64) -> bool {
        match self {
            Self::AtMost(limit) => value <= limit,
            Self::AtLeast(limit) => value >= limit,
        }
    }

    fn describe(self) -> String {
        match self {
            Self::AtMost(limit) => format!("≤ {limit}"),
            Self::AtLeast(limit) => format!("≥ {limit}"),
        }
    }
}

/// The goal of a figure, if it has one.
fn goal(name: &str) -> Option<Goal> {
    Some(match name {
        // The nodelay_ pair is the same ratio against a server with TCP_NODELAY.
        "probe_vs_true" | "nodelay_probe_vs_true" => Goal::AtMost(2.5),
        "probe_vs_bare" | "nodelay_probe_vs_bare" => Goal::AtMost(1.1),
        "probe_peak_rss_kb" => Goal::AtMost(2400.0),
        "probe_size_bytes" => Goal::AtMost(2_600_000.0),
        "check_rps_ratio" => Goal::AtLeast(1.0),
        "slow_check_p99_ms" => Goal::AtMost(1.0),
        // At most once per interval, and the interval is 1 s.
        "slow_check_dependency_calls_per_s" => Goal::AtMost(1.0),
        "watch_fanout_10k_ms" => Goal::AtMost(50.0),
        _ => return None,
    })
}

/// One measured figure.
#[derive(Debug, Clone, PartialEq)]
struct Figure {
    name: &'static str,
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
    pub(crate) fn push(&mut self, name: &'static str, value: f64, decimals: usize) {
        eprintln!("bench: {name}: {value:.decimals$}");
        self.figures.push(Figure {
            name,
            value,
            decimals,
        });
    }

    /// One `name: value` line per figure.
    pub(crate) fn lines(&self) -> String {
        self.figures.iter().fold(String::new(), |mut out, figure| {
            let _ = writeln!(out, "{}: {}", figure.name, figure.value_text());
            out
        })
    }

    /// A Markdown table of every figure with its goal and whether it is met.
    pub(crate) fn table(&self) -> String {
        let mut out = String::from("| figure | value | goal | met |\n|---|---:|---|---|\n");
        for figure in &self.figures {
            let (goal_text, met) = match goal(figure.name) {
                Some(goal) if goal.met(figure.value) => (goal.describe(), "yes"),
                Some(goal) => (goal.describe(), "**no**"),
                None => (String::from("–"), "–"),
            };
            let _ = writeln!(
                out,
                "| `{}` | {} | {goal_text} | {met} |",
                figure.name,
                figure.value_text()
            );
        }
        out
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
        figures
    }

    #[test]
    fn lines_are_name_colon_value_with_fixed_decimals() {
        assert_eq!(
            figures().lines(),
            "probe_vs_true: 2.22\nprobe_size_bytes: 2700000\ncheck_rps_naive: 12346\n"
        );
    }

    #[test]
    fn table_marks_goals_met_and_missed() {
        let table = figures().table();
        assert!(
            table.contains("| `probe_vs_true` | 2.22 | ≤ 2.5 | yes |"),
            "{table}"
        );
        assert!(
            table.contains("| `probe_size_bytes` | 2700000 | ≤ 2600000 | **no** |"),
            "{table}"
        );
        assert!(
            table.contains("| `check_rps_naive` | 12346 | – | – |"),
            "{table}"
        );
    }

    #[test]
    fn ratio_goals_point_the_right_way() {
        assert_eq!(goal("check_rps_ratio"), Some(Goal::AtLeast(1.0)));
        assert_eq!(goal("nodelay_probe_vs_bare"), goal("probe_vs_bare"));
        assert!(Goal::AtLeast(1.0).met(1.0) && !Goal::AtLeast(1.0).met(0.99));
        assert!(Goal::AtMost(1.1).met(1.1) && !Goal::AtMost(1.1).met(f64::NAN));
    }
}
