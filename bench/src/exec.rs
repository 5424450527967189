//! Probe figures: `true`, the shipped grpc-probe and bare-client (static
//! musl), and their glibc builds, exec'd in turn against health-demo running
//! in its own process. Each ratio is the median of per-round ratios, with its
//! quartiles; then peak RSS and size.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::Result;
use crate::artifacts::Artifacts;
use crate::child_server::ChildServer;
use crate::cli::Plan;
use crate::report::Figures;
use crate::rusage::peak_rss_kb;
use crate::stats::{Spread, mean, ratio};

/// Untimed runs of each command first, so that every binary is in the page cache.
const WARM_UP: usize = 10;
/// Execs of each command in one round; a round's ratio is of its means.
const ROUND_EXECS: usize = 10;

/// The commands timed, in this order.
const NAMES: [&str; 5] = [
    "true",
    "probe",
    "bare_client",
    "glibc_probe",
    "glibc_bare_client",
];
const TRUE: usize = 0;
const PROBE: usize = 1;
const BARE: usize = 2;
const GLIBC_PROBE: usize = 3;
const GLIBC_BARE: usize = 4;

/// The ratios reported: name, numerator, denominator.
const RATIOS: [(&str, usize, usize); 4] = [
    ("probe_vs_true", PROBE, TRUE),
    ("probe_vs_bare", PROBE, BARE),
    ("glibc_probe_vs_true", GLIBC_PROBE, TRUE),
    ("glibc_probe_vs_bare", GLIBC_PROBE, GLIBC_BARE),
];

/// A command to time: it must exit 0 every time.
struct Timed {
    command: Command,
    /// Wall times of the current round, in ms.
    round_ms: Vec<f64>,
    /// Every timed run, in ms.
    all_ms: Vec<f64>,
}

impl Timed {
    fn new(program: &Path, args: &[String]) -> Self {
        let mut command = Command::new(program);
        command
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        Self {
            command,
            round_ms: Vec::new(),
            all_ms: Vec::new(),
        }
    }

    /// Runs the command once and returns its wall time.
    fn run(&mut self) -> Result<Duration> {
        let started = Instant::now();
        let status = self.command.status()?;
        let wall = started.elapsed();
        if status.success() {
            Ok(wall)
        } else {
            Err(format!("{:?} failed: {status}", self.command).into())
        }
    }

    /// The mean of the round just run, which it then forgets.
    fn end_round(&mut self) -> f64 {
        let round = mean(&self.round_ms);
        self.all_ms.append(&mut self.round_ms);
        round
    }
}

/// Times every command against `addr`: the mean wall time of each, and the
/// spread of each ratio over rounds.
fn time_execs(
    artifacts: &Artifacts,
    addr: SocketAddr,
    execs: usize,
) -> Result<([f64; 5], [Spread; 4])> {
    let probe_args = [format!("-addr={addr}")];
    let bare_args = [addr.to_string()];
    let mut timed = [
        Timed::new(&artifacts.true_bin, &[]),
        Timed::new(&artifacts.probe, &probe_args),
        Timed::new(&artifacts.bare_client, &bare_args),
        Timed::new(&artifacts.glibc_probe, &probe_args),
        Timed::new(&artifacts.glibc_bare_client, &bare_args),
    ];
    let rounds = execs.div_ceil(ROUND_EXECS);
    eprintln!(
        "bench: exec'ing {} {} times each against {addr}, in {rounds} rounds",
        NAMES.join(", "),
        rounds * ROUND_EXECS
    );
    for _ in 0..WARM_UP {
        for command in &mut timed {
            command.run()?;
        }
    }
    let mut ratios: [Vec<f64>; 4] = Default::default();
    let mut turn = 0;
    for _ in 0..rounds {
        // Interleaved, the order rotating every pass, so that drift in the
        // machine's load and any effect of going first falls on all alike.
        for _ in 0..ROUND_EXECS {
            for offset in 0..timed.len() {
                let command = &mut timed[(turn + offset) % NAMES.len()];
                let wall = command.run()?;
                command.round_ms.push(wall.as_secs_f64() * 1e3);
            }
            turn += 1;
        }
        let means = timed.each_mut().map(Timed::end_round);
        for (samples, (_, numerator, denominator)) in ratios.iter_mut().zip(RATIOS) {
            samples.push(ratio(means[numerator], means[denominator]));
        }
    }
    Ok((
        timed.map(|command| mean(&command.all_ms)),
        ratios.map(|samples| Spread::of(&samples)),
    ))
}

/// Measures the probe figures into `figures`, against health-demo.
pub(crate) fn measure(artifacts: &Artifacts, plan: &Plan, figures: &mut Figures) -> Result<()> {
    let mut demo = Command::new(&artifacts.demo);
    demo.args(["--addr", "127.0.0.1:0"]);
    let demo = ChildServer::start(demo)?;
    let (wall_ms, ratios) = time_execs(artifacts, demo.addr, plan.execs)?;
    for (name, ms) in NAMES.into_iter().zip(wall_ms) {
        figures.push(format!("{name}_wall_ms"), ms, 3);
    }
    for ((name, _, _), spread) in RATIOS.into_iter().zip(ratios) {
        figures.push_spread(name, spread, 3);
    }

    let probe_args = [format!("-addr={}", demo.addr)];
    let bare_args = [demo.addr.to_string()];
    let measured: [(&str, &Path, &[String]); 4] = [
        ("probe", &artifacts.probe, &probe_args),
        ("bare_client", &artifacts.bare_client, &bare_args),
        ("glibc_probe", &artifacts.glibc_probe, &probe_args),
        (
            "glibc_bare_client",
            &artifacts.glibc_bare_client,
            &bare_args,
        ),
    ];
    for (name, program, args) in measured {
        let rss = peak_rss_kb(&artifacts.peak_rss, program, args, plan.rss_runs)?;
        figures.push(format!("{name}_peak_rss_kb"), rss as f64, 0);
        figures.push(format!("{name}_size_bytes"), file_size(program)?, 0);
    }
    // The floor of this way of measuring.
    let true_rss = peak_rss_kb(&artifacts.peak_rss, &artifacts.true_bin, &[], plan.rss_runs)?;
    figures.push("true_peak_rss_kb", true_rss as f64, 0);
    Ok(())
}

fn file_size(path: &Path) -> Result<f64> {
    Ok(std::fs::metadata(path)?.len() as f64)
}
