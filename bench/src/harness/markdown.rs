//! `--markdown PATH`: the run as a Markdown document (BENCHMARKS.md), with
//! its plots in `bench/plots/` beside it. Every figure in it comes from the
//! run (the goals and the figure list from its figures, the tables and plots
//! from the scenarios' results); the prose is the fixed template below.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::Result;
use crate::cli::Plan;
use crate::harness::machine::{Machine, utc_now};
use crate::harness::plots;
use crate::harness::report::Figures;
use crate::harness::stats::Spread;
use crate::scenarios::Results;
use crate::scenarios::admin_http::AdminHttp;
use crate::scenarios::probe::Probe;
use crate::scenarios::release::Release;
use crate::scenarios::rpc_layer::RpcLayer;
use crate::scenarios::watch_fanout::Server;

/// Where the plots go, from the document's directory; also their links.
const PLOT_DIR: &str = "bench/plots";

/// What the document says before the figures.
const INTRO: &str = "\
# Benchmarks

<!-- Written by `bench --markdown` from one run: do not edit, re-run it. -->

What grpc-probe and grpc-health-checks cost, measured against anchors run in the
same process on the same machine: `true` and bare tonic clients (without TLS,
and with the probe's TLS stack) for the probe, tonic-health for the server. Every ratio is the median of interleaved rounds
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
  (`true_peak_rss_kb` is the floor of the method). `bare-tls-client` is
  bare-client with the probe's TLS stack compiled in (rustls with ring
  through tokio-rustls, the system roots through rustls-native-certs), built
  and exec'd the same way, on plaintext like the others: against it
  (`probe_vs_bare_tls`, `probe_size_vs_bare_tls`, `probe_rss_vs_bare_tls`)
  the probe's own HTTP/2 client is compared with tonic's, TLS in both.
- **Release binaries.** Each static probe `cargo xtask dist` wrote to
  `dist/` (the section fails without it): its size, the crates compiled into
  it (its CycloneDX SBOM's components and the probe itself; dist checks them
  against the list embedded by `cargo auditable`), and the median of 20
  Checks of health-demo from start to exit, under the architecture's
  `qemu-*-static` where it is not this machine's (reported, no goal but the
  size ceiling).
- **Check path.** health-lib (three cached checks), tonic-health (status
  set) and naive evaluation (a `Health` that calls its dependencies in every
  Check) serve in the bench process, each on its own listener. Each gets 4
  connections with 16 calls in flight on each, in short slices taken in turn,
  the order rotating. `check_rps_ratio` is the median of each round's
  health-lib ÷ tonic-health.
- **RPC metrics layer.** health-lib with the `helloworld.Greeter` beside it,
  as health-demo serves them, plain on one server and behind grpc-rpc-metrics'
  server layer on another (recording Check, health calls included, and
  SayHello). The same load of Check and of SayHello on each, four loads in
  slices taken in turn, the order rotating. `rpc_layer_rps_cost` (Check) and
  `rpc_layer_say_hello_rps_cost` are the medians of each round's plain ÷
  layered throughput, `rpc_layer_cpu_cost` and `rpc_layer_say_hello_cpu_cost`
  of layered ÷ plain CPU time per call (the bench process's
  `getrusage(RUSAGE_SELF)`, client and server together, over a slice's calls).
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
  Mixed intervals: the same async checks with one in ten at ten times the
  interval (`Check::interval`); `eval_cpu_ns_per_run_*` divide the CPU time by
  the check runs in the window (the snapshot's evaluation counts). Five
  rounds of one child of each, the order alternating;
  `eval_mixed_vs_uniform_per_run_*` is the median of the rounds' mixed ÷ one
  interval, and the async figures are the medians of the rounds.

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
pub(crate) fn write(
    path: &Path,
    results: &Results,
    figures: &Figures,
    plan: &Plan,
    quick: bool,
) -> Result<()> {
    let plot_dir = plot_dir(path);
    std::fs::create_dir_all(&plot_dir)
        .map_err(|error| format!("cannot create {}: {error}", plot_dir.display()))?;
    let mut images = Vec::new();
    for chart in plots::charts(results) {
        let drawn = plots::draw(&chart, &plot_dir)?;
        eprintln!("bench: drew {}", drawn.display());
        images.push((chart.title, chart.file));
    }
    let document = render(results, figures, plan, quick, &Machine::read(), &images);
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
    results: &Results,
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
    out.push_str(&scaling_tables(results));
    if let Some(probe) = &results.probe {
        out.push_str("\n## The probe against the bare clients\n\n");
        out.push_str(&probe_table(probe));
    }
    if let Some(release) = &results.release {
        out.push_str("\n## Release binaries\n\n");
        out.push_str(&release_table(release));
    }
    if let Some(admin) = &results.admin_http {
        out.push_str("\n## Admin HTTP endpoints\n\n");
        out.push_str(&http_table(admin));
    }
    if let Some(layer) = &results.rpc_layer {
        out.push_str("\n## RPC metrics layer\n\n");
        out.push_str(&rpc_layer_table(layer));
    }
    out.push_str("\n## Every figure\n\n");
    out.push_str(&figures.table());
    out.push('\n');
    out.push_str(METHOD);
    out
}

/// A table cell: the value with `decimals` decimals, `–` when not measured.
fn cell(value: f64, decimals: usize) -> String {
    if value.is_finite() {
        format!("{value:.decimals$}")
    } else {
        String::from("–")
    }
}

/// A spread's quartiles, as `q1 – q3`.
fn quartiles(spread: Spread) -> String {
    format!("{} – {}", cell(spread.q1, 3), cell(spread.q3, 3))
}

/// Two table cells: a spread's median, then its quartiles.
fn spread_cells(spread: Spread) -> String {
    format!("{} | {}", cell(spread.median, 3), quartiles(spread))
}

/// The scaling results as tables, those measured: fan-out and memory by
/// watchers, CPU by checks.
fn scaling_tables(results: &Results) -> String {
    let mut out = String::new();
    if results.watch_fanout.is_some() {
        out.push_str(
            "| watchers | fan-out ms | tonic-health ms | server MiB | tonic-health MiB |\n|---:|---:|---:|---:|---:|\n",
        );
    }
    let scales = results.watch_fanout.iter().flat_map(|watch| &watch.scales);
    for scale in scales {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            scale.watchers,
            cell(scale.fanout_ms.get(Server::HealthLib), 2),
            cell(scale.fanout_ms.get(Server::TonicHealth), 2),
            cell(scale.memory_mib.get(Server::HealthLib), 1),
            cell(scale.memory_mib.get(Server::TonicHealth), 1),
        );
    }
    if results.eval_cpu.is_some() {
        out.push_str(
            "\n| checks | CPU µs per interval, async checks | plain closures | CPU ns per run, one interval | mixed intervals | mixed ÷ one | q1–q3 |\n|---:|---:|---:|---:|---:|---:|---|\n",
        );
    }
    for point in results.eval_cpu.iter().flat_map(|eval| &eval.points) {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            point.checks,
            cell(point.async_us, 0),
            cell(point.sync_us, 0),
            cell(point.uniform_ns_per_run, 0),
            cell(point.mixed_ns_per_run, 0),
            spread_cells(point.mixed_vs_uniform),
        );
    }
    out
}

/// grpc-probe against bare-client (tonic, no TLS) and bare-tls-client
/// (tonic with the probe's TLS stack), shipped builds: per-exec time, size
/// and peak RSS, each with the probe's ratio to it.
fn probe_table(probe: &Probe) -> String {
    let mut out = String::from(
        "| binary | ms per exec | probe ÷ it, q1–q3 | bytes | probe ÷ it | peak RSS KiB | probe ÷ it |\n\
         |---|---:|---|---:|---:|---:|---:|\n",
    );
    let shipped = probe.footprint(Probe::PROBE);
    for (name, command, ratio) in [
        ("grpc-probe", Probe::PROBE, None),
        ("bare-client", Probe::BARE, Some(probe.probe_vs_bare())),
        (
            "bare-tls-client",
            Probe::BARE_TLS,
            Some(probe.probe_vs_bare_tls()),
        ),
    ] {
        let footprint = probe.footprint(command);
        let versus = |mine: u64, theirs: u64| {
            if ratio.is_some() {
                cell(mine as f64 / theirs as f64, 3)
            } else {
                String::from("–")
            }
        };
        let time = ratio.map_or_else(
            || String::from("–"),
            |spread| format!("{} ({})", cell(spread.median, 3), quartiles(spread)),
        );
        let _ = writeln!(
            out,
            "| {name} | {} | {time} | {} | {} | {} | {} |",
            cell(probe.wall_ms[command], 3),
            footprint.size_bytes,
            versus(shipped.size_bytes, footprint.size_bytes),
            footprint.peak_rss_kb,
            versus(shipped.peak_rss_kb, footprint.peak_rss_kb),
        );
    }
    out
}

/// `/readyz` beside Check on one server, and the `/metrics` scrape.
fn http_table(admin: &AdminHttp) -> String {
    format!(
        "| `/readyz` req/s | Check req/s, same server | `/readyz` ÷ Check | q1–q3 |\n\
         |---:|---:|---:|---|\n| {} | {} | {} |\n\n\
         | `/metrics` scrape µs, median | p99 | body bytes |\n|---:|---:|---:|\n| {} | {} | {} |\n",
        cell(admin.readyz_rps, 0),
        cell(admin.check_rps, 0),
        spread_cells(admin.readyz_vs_check),
        cell(admin.scrape_us, 0),
        cell(admin.scrape_p99_us, 0),
        admin.scrape_bytes,
    )
}

/// Each shipped probe: size, crates compiled in, a Check start to exit.
fn release_table(release: &Release) -> String {
    let mut out = String::from(
        "| target | bytes | crates compiled in | Check, start to exit (ms) | run |\n\
         |---|---:|---:|---:|---|\n",
    );
    for binary in &release.binaries {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            binary.target,
            binary.size_bytes,
            binary.crates,
            cell(binary.check_ms, 1),
            binary.emulator.as_deref().map_or_else(
                || String::from("native"),
                |emulator| format!("under {emulator}")
            ),
        );
    }
    out
}

/// Check and SayHello, plain and behind grpc-rpc-metrics' layer.
fn rpc_layer_table(layer: &RpcLayer) -> String {
    let mut out = String::from(
        "| method | req/s plain | layered | plain ÷ layered | q1–q3 | CPU µs per call plain | layered | layered ÷ plain | q1–q3 |\n\
         |---|---:|---:|---:|---|---:|---:|---:|---|\n",
    );
    for (method, cost) in [("Check", &layer.check), ("SayHello", &layer.say_hello)] {
        let _ = writeln!(
            out,
            "| {method} | {} | {} | {} | {} | {} | {} |",
            cell(cost.rps_plain, 0),
            cell(cost.rps_layered, 0),
            spread_cells(cost.rps_cost),
            cell(cost.cpu_us_plain, 1),
            cell(cost.cpu_us_layered, 1),
            spread_cells(cost.cpu_cost),
        );
    }
    out
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
    use crate::scenarios::probe::Footprint;
    use crate::scenarios::rpc_layer::LayerCost;

    const SPREAD: Spread = Spread {
        median: 1.5,
        q1: 1.4,
        q3: 1.6,
    };

    fn figures() -> Figures {
        let mut figures = Figures::default();
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
            &plots::tests::results(),
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
        assert!(!text.contains("| checks |"), "unmeasured CPU: {text}");
        assert!(
            !text.contains("## Admin HTTP endpoints"),
            "unmeasured: {text}"
        );
        assert!(text.contains("## How each figure is measured"), "{text}");
    }

    #[test]
    fn the_http_table_lists_the_admin_figures() {
        let table = http_table(&AdminHttp {
            readyz_rps: 30000.0,
            check_rps: 20000.0,
            readyz_vs_check: SPREAD,
            scrape_us: 850.0,
            scrape_p99_us: f64::NAN,
            scrape_bytes: 5000,
        });
        assert!(
            table.contains("| 30000 | 20000 | 1.500 | 1.400 – 1.600 |"),
            "{table}"
        );
        assert!(table.contains("| 850 | – | 5000 |"), "no p99: {table}");
    }

    #[test]
    fn the_probe_table_puts_the_probe_against_each_bare_client() {
        let footprint = |size_bytes, peak_rss_kb| Footprint {
            peak_rss_kb,
            size_bytes,
        };
        let probe = Probe {
            wall_ms: [0.5, 1.0, 1.1, 1.25, 1.2, 1.3],
            ratios: [SPREAD; 5],
            binaries: [
                footprint(2_000_000, 1_600),
                footprint(1_600_000, 1_000),
                footprint(2_500_000, 1_280),
                footprint(2_100_000, 1_700),
                footprint(1_700_000, 1_100),
            ],
            true_peak_rss_kb: 500,
        };
        let table = probe_table(&probe);
        assert!(
            table.contains("| grpc-probe | 1.000 | – | 2000000 | – | 1600 | – |"),
            "{table}"
        );
        assert!(
            table.contains(
                "| bare-client | 1.100 | 1.500 (1.400 – 1.600) | 1600000 | 1.250 | 1000 | 1.600 |"
            ),
            "{table}"
        );
        assert!(
            table.contains(
                "| bare-tls-client | 1.250 | 1.500 (1.400 – 1.600) | 2500000 | 0.800 | 1280 | 1.250 |"
            ),
            "{table}"
        );
        assert_eq!(probe.against_bare_tls(), (0.8, 1.25));
    }

    #[test]
    fn the_rpc_layer_table_has_a_row_per_method() {
        let cost = |rps_plain| LayerCost {
            rps_plain,
            rps_layered: 9_900.0,
            cpu_us_plain: 40.0,
            cpu_us_layered: 41.0,
            rps_cost: SPREAD,
            cpu_cost: SPREAD,
        };
        let table = rpc_layer_table(&RpcLayer {
            check: cost(10_000.0),
            say_hello: cost(9_000.0),
        });
        let row = "| 9900 | 1.500 | 1.400 – 1.600 | 40.0 | 41.0 | 1.500 | 1.400 – 1.600 |";
        assert!(table.contains(&format!("| Check | 10000 {row}")), "{table}");
        assert!(
            table.contains(&format!("| SayHello | 9000 {row}")),
            "{table}"
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
