//! `--markdown PATH`: the run as a Markdown document (BENCHMARKS.md), with
//! its plots in `bench/plots/` beside it. Every figure in it comes from the
//! run; the prose is the fixed template below.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::Result;
use crate::admin_http;
use crate::cli::Plan;
use crate::eval_cpu::{self, CHECK_COUNTS};
use crate::machine::{Machine, utc_now};
use crate::plots;
use crate::report::Figures;
use crate::watch_fanout::{self, Server};

/// Where the plots go, from the document's directory; also their links.
const PLOT_DIR: &str = "bench/plots";

/// What the document says before the figures.
const INTRO: &str = "\
# Benchmarks

<!-- Written by `bench --markdown` from one run: do not edit, re-run it. -->

What grpc-probe and grpc-health-checks cost, measured against anchors run in the
same process on the same machine: `true` and a bare tonic client for the probe,
tonic-health for the server. Every ratio is the median of interleaved rounds
(the order rotating each round), printed with its first and third quartiles,
because the spread says how far one run can be trusted. Every figure below was
written by the bench from the run it describes.
";

/// How each figure is measured.
const METHOD: &str = "\
## How each figure is measured

- **Probe.** health-demo runs in its own process. `true`, the shipped
  grpc-probe (static musl, `--profile probe`: the file `cargo xtask dist`
  writes when it is there, else the same build), `bare-client` built the same
  way (tonic's channel and the generated client only), and the glibc builds of
  both are exec'd in turn, ten of each per round, the order rotating. A
  round's ratio is of its means; `probe_vs_*` are the medians over rounds,
  `*_wall_ms` the means over every run. Peak RSS is `ru_maxrss` of
  `getrusage(RUSAGE_CHILDREN)`, read by the `peak-rss` helper after running
  the program repeatedly; the helper is itself a static musl build, so the
  image each run forks from is smaller than anything measured
  (`true_peak_rss_kb` is the floor of the method).
- **Check path.** health-lib (three cached checks), tonic-health (status
  set) and naive evaluation (a `Health` that calls its dependencies in every
  Check) serve in the bench process, each on its own listener. Each gets 4
  connections with 16 calls in flight on each, in short slices taken in turn,
  the order rotating. `check_rps_ratio` is the median of each round's
  health-lib ÷ tonic-health.
- **RPC metrics layer.** The same Check load on health-lib served plain and
  behind grpc-rpc-metrics' server layer (recording every Check, health calls
  included), in slices taken in turn. `rpc_layer_rps_cost` is the median of
  each round's plain ÷ layered throughput, `rpc_layer_cpu_cost` of layered ÷
  plain CPU time per call (the bench process's `getrusage(RUSAGE_SELF)`,
  client and server together, over a slice's calls).
- **Admin HTTP endpoints.** One health-lib server with 100 instant checks
  and metrics recorded serves gRPC and, on an admin listener, `/readyz` and
  `/metrics`, in the bench process. `/readyz` (64 HTTP/1.1 keep-alive
  connections, one request in flight on each) and Check (4 connections, 16
  calls in flight on each) take turns in short slices, the order
  alternating; `readyz_vs_check_rps` is the median of each round's
  `/readyz` ÷ Check. Then one connection scrapes `/metrics` back to back,
  asking for OpenMetrics as Prometheus does: the median and p99 of the
  scrapes, and the body's size.
- **Slow dependency.** A 50 ms async check evaluated every second, under
  1000 Check/s (open loop) for 5 s: p99 latency and how often the dependency
  was called; then the same load on naive evaluation and on tonic-health.
- **Watch fan-out and memory.** At each scale, health-lib and tonic-health
  each run in a child process with that many Watch streams open on one
  service, 100 to a connection. RSS growth from idle to every watcher served
  is the server's memory. Then the servers take turns flipping the service,
  the order rotating every round; a flip is timed from the line written to
  the server to the last watcher's delivery. `watch_fanout_vs_tonic_health`
  is the median of the per-round ratios at 10,000 watchers.
- **Check under watchers.** With 10,000 watchers open on each server, 1000
  Check/s (open loop) in one-second slices taken in turn: p99 latency.
- **Evaluation CPU.** health-lib with 10, 100 and 1000 checks (async checks,
  then plain closures, which run on the blocking pool), evaluated every
  200 ms in a child process that serves nothing: its user + system CPU time
  from `getrusage(RUSAGE_SELF)` over whole intervals, divided by their number.

Every loop is bounded in count and time, every call by a timeout, and all
traffic stays on 127.0.0.1. CI compiles the bench and runs its unit tests, never
its timings.

To see where a Watch server's time or memory goes, `bench profile-watch` runs
one under a profiler with a given number of watchers and flips, and lets it
exit cleanly so the profiler writes its output, e.g.
`target/release/bench profile-watch --watchers 2000 --flips 20 -- valgrind --tool=callgrind`
(add `--tonic-health` for the anchor; `valgrind --tool=dhat` for the heap).
";

/// Writes the document to `path` and its plots beside it.
pub(crate) fn write(path: &Path, figures: &Figures, plan: &Plan, quick: bool) -> Result<()> {
    let plot_dir = plot_dir(path);
    std::fs::create_dir_all(&plot_dir)
        .map_err(|error| format!("cannot create {}: {error}", plot_dir.display()))?;
    let mut images = Vec::new();
    for chart in plots::charts(figures, plan.watch_scales) {
        let drawn = plots::draw(&chart, &plot_dir)?;
        eprintln!("bench: drew {}", drawn.display());
        images.push((chart.title, chart.file));
    }
    let document = render(figures, plan, quick, &Machine::read(), &images);
    std::fs::write(path, document)
        .map_err(|error| format!("cannot write {}: {error}", path.display()))?;
    eprintln!("bench: wrote {}", path.display());
    Ok(())
}

/// The command that ran the bench: `cargo run` (with `--release` when the
/// bench is a release build) when cargo ran it, else the binary itself.
fn command() -> String {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let release = std::env::current_exe().is_ok_and(|exe| {
        exe.parent()
            .is_some_and(|dir| dir.file_name() == Some("release".as_ref()))
    });
    let runner = match (std::env::var_os("CARGO_MANIFEST_DIR").is_some(), release) {
        (true, true) => "cargo run --release -p bench --",
        (true, false) => "cargo run -p bench --",
        (false, _) => "bench",
    };
    [runner.to_owned()]
        .into_iter()
        .chain(args)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The document.
fn render(
    figures: &Figures,
    plan: &Plan,
    quick: bool,
    machine: &Machine,
    images: &[(&str, &str)],
) -> String {
    let mut out = String::from(INTRO);
    let _ = write!(
        out,
        "\n## The run\n\n- Command: `{}`\n- Date: {}\n- Samples: {}; watchers at {}\n{}",
        command(),
        utc_now(),
        if quick {
            "the quick run (`--quick`: fewer samples, and no 50,000-watcher scale)"
        } else {
            "the full run"
        },
        join_counts(plan.watch_scales),
        machine.markdown(),
    );
    out.push_str(
        "\nThe client and the server under test share the machine; other load on it \
         widens the spreads.\n\n## Goals\n\n",
    );
    out.push_str(&figures.goals_table());
    let missed = figures.missed();
    if missed.is_empty() {
        out.push_str("\nEvery goal measured in this run is met.\n");
    } else {
        let missed: Vec<_> = missed.iter().map(|name| format!("`{name}`")).collect();
        let _ = writeln!(
            out,
            "\nMissed in this run: {}. The last column gives the anchors and floors \
             each is read against.",
            missed.join(", ")
        );
    }
    out.push_str("\n## Scaling\n\n");
    for (title, file) in images {
        let _ = writeln!(out, "![{title}]({PLOT_DIR}/{file})\n");
    }
    out.push_str(&scaling_tables(figures, plan));
    out.push_str("\n## Admin HTTP endpoints\n\n");
    out.push_str(&http_table(figures));
    out.push_str("\n## Every figure\n\n");
    out.push_str(&figures.table());
    out.push('\n');
    out.push_str(METHOD);
    out
}

/// The scaling figures as tables: fan-out and memory by watchers, CPU by checks.
fn scaling_tables(figures: &Figures, plan: &Plan) -> String {
    let cell = |name: String| figures.text(&name);
    let mut out = String::from(
        "| watchers | fan-out ms | tonic-health ms | server MiB | tonic-health MiB |\n|---:|---:|---:|---:|---:|\n",
    );
    for &watchers in plan.watch_scales {
        let _ = writeln!(
            out,
            "| {watchers} | {} | {} | {} | {} |",
            cell(watch_fanout::fanout_name(watchers, Server::HealthLib)),
            cell(watch_fanout::fanout_name(watchers, Server::TonicHealth)),
            cell(watch_fanout::memory_name(watchers, Server::HealthLib)),
            cell(watch_fanout::memory_name(watchers, Server::TonicHealth)),
        );
    }
    out.push_str(
        "\n| checks | CPU µs per interval, async checks | plain closures |\n|---:|---:|---:|\n",
    );
    for checks in CHECK_COUNTS {
        let _ = writeln!(
            out,
            "| {checks} | {} | {} |",
            cell(eval_cpu::figure_name(checks, false)),
            cell(eval_cpu::figure_name(checks, true)),
        );
    }
    out
}

/// `/readyz` beside Check on one server, and the `/metrics` scrape.
fn http_table(figures: &Figures) -> String {
    let cell = |name: &str| figures.text(name);
    let ratio = admin_http::READYZ_VS_CHECK;
    let spread = format!(
        "{} – {}",
        cell(&format!("{ratio}_q1")),
        cell(&format!("{ratio}_q3"))
    );
    let readyz = [
        cell(admin_http::READYZ_RPS),
        cell(admin_http::CHECK_RPS),
        cell(ratio),
        spread,
    ];
    let scrape = [
        admin_http::SCRAPE_US,
        admin_http::SCRAPE_P99_US,
        admin_http::SCRAPE_BYTES,
    ]
    .map(cell);
    format!(
        "| `/readyz` req/s | Check req/s, same server | `/readyz` ÷ Check | q1–q3 |\n\
         |---:|---:|---:|---|\n| {} |\n\n\
         | `/metrics` scrape µs, median | p99 | body bytes |\n|---:|---:|---:|\n| {} |\n",
        readyz.join(" | "),
        scrape.join(" | "),
    )
}

fn join_counts(counts: &[usize]) -> String {
    counts
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The plot directory for a document at `path`.
fn plot_dir(path: &Path) -> PathBuf {
    path.parent().unwrap_or(Path::new(".")).join(PLOT_DIR)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Spread;

    fn figures() -> Figures {
        let mut figures = plots::tests::figures();
        figures.push("probe_vs_true", 2.1, 2);
        figures.push_spread(
            "watch_fanout_vs_tonic_health",
            Spread {
                median: 0.9,
                q1: 0.85,
                q3: 0.95,
            },
            2,
        );
        figures
    }

    #[test]
    fn the_document_holds_the_run() {
        let plan = Plan::new(true);
        let text = render(
            &figures(),
            &plan,
            true,
            &Machine::read(),
            &[("Fan-out", "watch_fanout.svg")],
        );
        assert!(text.starts_with("# Benchmarks\n"), "{text}");
        assert!(text.contains("- Command: `"), "{text}");
        assert!(text.contains(" UTC\n"), "{text}");
        assert!(
            text.contains("| `probe_vs_true` | 2.10 | – | ≤ 2.2 | yes |"),
            "{text}"
        );
        assert!(
            text.contains(
                "| `watch_fanout_vs_tonic_health` | 0.90 | 0.85 – 0.95 | ≤ 0.8 | **no** |"
            ),
            "{text}"
        );
        assert!(
            text.contains("Missed in this run: `watch_fanout_vs_tonic_health`"),
            "{text}"
        );
        assert!(
            text.contains("![Fan-out](bench/plots/watch_fanout.svg)"),
            "{text}"
        );
        assert!(
            text.contains("| 10000 | 90.00 | 135.00 | – | – |"),
            "{text}"
        );
        assert!(text.contains("| 1000 | – | – |"), "unmeasured CPU: {text}");
        assert!(text.contains("## How each figure is measured"), "{text}");
        assert!(text.contains("## Admin HTTP endpoints"), "{text}");
    }

    #[test]
    fn the_http_table_lists_the_admin_figures() {
        let mut figures = Figures::default();
        figures.push(admin_http::READYZ_RPS, 30000.0, 0);
        figures.push(admin_http::CHECK_RPS, 20000.0, 0);
        figures.push_spread(
            admin_http::READYZ_VS_CHECK,
            Spread {
                median: 1.5,
                q1: 1.4,
                q3: 1.6,
            },
            3,
        );
        figures.push(admin_http::SCRAPE_US, 850.0, 0);
        figures.push(admin_http::SCRAPE_P99_US, 1900.0, 0);
        let table = http_table(&figures);
        assert!(
            table.contains("| 30000 | 20000 | 1.500 | 1.400 – 1.600 |"),
            "{table}"
        );
        assert!(
            table.contains("| 850 | 1900 | – |"),
            "unmeasured size: {table}"
        );
    }

    #[test]
    fn plots_go_beside_the_document() {
        assert_eq!(
            plot_dir(Path::new("/repo/BENCHMARKS.md")),
            Path::new("/repo/bench/plots")
        );
    }
}
