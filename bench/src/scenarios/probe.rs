//! Probe figures: `true`, the shipped grpc-probe, bare-client and
//! bare-tls-client (static musl), and the glibc builds of the probe and
//! bare-client, exec'd in turn against health-demo running in its own
//! process. Each ratio is the median of per-round ratios, with its quartiles;
//! then peak RSS and size. bare-tls-client carries the probe's TLS stack, so
//! the probe against it is the probe's own HTTP/2 client against tonic's.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::Result;
use crate::cli::Plan;
use crate::harness::artifacts::Artifacts;
use crate::harness::child_server::ChildServer;
use crate::harness::report::{Figures, Measured};
use crate::harness::rusage::peak_rss_kb;
use crate::harness::stats::{Spread, mean, ratio};

/// Untimed runs of each command first, so that every binary is in the page cache.
const WARM_UP: usize = 10;
/// Execs of each command in one round; a round's ratio is of its means.
const ROUND_EXECS: usize = 10;

/// The commands timed, in this order: the prefix of their figures' names.
const NAMES: [&str; COMMANDS] = [
    "true",
    "probe",
    "bare_client",
    "bare_tls_client",
    "glibc_probe",
    "glibc_bare_client",
];
const COMMANDS: usize = 6;
const TRUE: usize = 0;
const PROBE: usize = 1;
const BARE: usize = 2;
const BARE_TLS: usize = 3;
const GLIBC_PROBE: usize = 4;
const GLIBC_BARE: usize = 5;

/// The indices in `RATIOS` of the probe against each bare client.
const VS_BARE: usize = 1;
const VS_BARE_TLS: usize = 2;
/// The ratios reported: name, numerator, denominator.
const RATIOS: [(&str, usize, usize); 5] = [
    ("probe_vs_true", PROBE, TRUE),
    ("probe_vs_bare", PROBE, BARE),
    ("probe_vs_bare_tls", PROBE, BARE_TLS),
    ("glibc_probe_vs_true", GLIBC_PROBE, TRUE),
    ("glibc_probe_vs_bare", GLIBC_PROBE, GLIBC_BARE),
];

/// What the probe scenario measured.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Probe {
    /// Each command's mean wall time per exec, in ms, in `NAMES` order.
    pub(crate) wall_ms: [f64; COMMANDS],
    /// Each ratio's per-round spread, in `RATIOS` order.
    pub(crate) ratios: [Spread; 5],
    /// Each binary's footprint, in `NAMES` order after `true`.
    pub(crate) binaries: [Footprint; COMMANDS - 1],
    /// `true`'s peak RSS in KiB: the floor of the method.
    pub(crate) true_peak_rss_kb: u64,
}

/// A binary's peak RSS and file size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Footprint {
    /// The largest run's peak RSS, in KiB.
    pub(crate) peak_rss_kb: u64,
    /// The file's size, in bytes.
    pub(crate) size_bytes: u64,
}

impl Probe {
    /// The shipped grpc-probe's index in `wall_ms`.
    pub(crate) const PROBE: usize = PROBE;
    /// bare-client's.
    pub(crate) const BARE: usize = BARE;
    /// bare-tls-client's.
    pub(crate) const BARE_TLS: usize = BARE_TLS;

    /// The footprint of command `command` (an index of `wall_ms` past `true`).
    pub(crate) fn footprint(&self, command: usize) -> Footprint {
        self.binaries[command - 1]
    }

    /// The probe's per-exec time ÷ bare-client's, per round.
    pub(crate) fn probe_vs_bare(&self) -> Spread {
        self.ratios[VS_BARE]
    }

    /// The probe's per-exec time ÷ bare-tls-client's, per round.
    pub(crate) fn probe_vs_bare_tls(&self) -> Spread {
        self.ratios[VS_BARE_TLS]
    }

    /// The probe's size and peak RSS as ratios to bare-tls-client's: what
    /// the probe's own client costs against tonic's, TLS in both.
    pub(crate) fn against_bare_tls(&self) -> (f64, f64) {
        let (probe, bare) = (self.footprint(PROBE), self.footprint(BARE_TLS));
        (
            ratio(probe.size_bytes as f64, bare.size_bytes as f64),
            ratio(probe.peak_rss_kb as f64, bare.peak_rss_kb as f64),
        )
    }
}

impl Measured for Probe {
    fn record(&self, figures: &mut Figures) {
        for (name, ms) in NAMES.into_iter().zip(self.wall_ms) {
            figures.push(format!("{name}_wall_ms"), ms, 3);
        }
        for ((name, _, _), spread) in RATIOS.into_iter().zip(self.ratios) {
            figures.push_spread(name, spread, 3);
        }
        for (name, footprint) in NAMES[1..].iter().zip(self.binaries) {
            figures.push(
                format!("{name}_peak_rss_kb"),
                footprint.peak_rss_kb as f64,
                0,
            );
            figures.push(format!("{name}_size_bytes"), footprint.size_bytes as f64, 0);
        }
        figures.push("true_peak_rss_kb", self.true_peak_rss_kb as f64, 0);
        let (size, rss) = self.against_bare_tls();
        figures.push("probe_size_vs_bare_tls", size, 3);
        figures.push("probe_rss_vs_bare_tls", rss, 3);
    }
}

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
    commands: &[(&Path, &[String]); COMMANDS],
    addr: SocketAddr,
    execs: usize,
) -> Result<([f64; COMMANDS], [Spread; 5])> {
    let mut timed = commands.map(|(program, args)| Timed::new(program, args));
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
    let mut ratios: [Vec<f64>; 5] = Default::default();
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

/// Measures the probe and its anchors against health-demo.
pub(crate) fn measure(artifacts: &Artifacts, plan: &Plan) -> Result<Probe> {
    let mut demo = Command::new(&artifacts.demo);
    demo.args(["--addr", "127.0.0.1:0"]);
    let demo = ChildServer::start(demo)?;
    let probe_args = [format!("-addr={}", demo.addr)];
    let bare_args = [demo.addr.to_string()];
    let commands: [(&Path, &[String]); COMMANDS] = [
        (&artifacts.true_bin, &[]),
        (&artifacts.probe, &probe_args),
        (&artifacts.bare_client, &bare_args),
        (&artifacts.bare_tls_client, &bare_args),
        (&artifacts.glibc_probe, &probe_args),
        (&artifacts.glibc_bare_client, &bare_args),
    ];
    let (wall_ms, ratios) = time_execs(&commands, demo.addr, plan.execs)?;
    let mut binaries = Vec::with_capacity(COMMANDS - 1);
    for (program, args) in &commands[1..] {
        binaries.push(Footprint {
            peak_rss_kb: peak_rss_kb(&artifacts.peak_rss, program, args, plan.rss_runs)?,
            size_bytes: std::fs::metadata(program)?.len(),
        });
    }
    let binaries = binaries
        .try_into()
        .map_err(|_| "one footprint per binary")?;
    Ok(Probe {
        wall_ms,
        ratios,
        binaries,
        // The floor of this way of measuring.
        true_peak_rss_kb: peak_rss_kb(
            &artifacts.peak_rss,
            &artifacts.true_bin,
            &[],
            plan.rss_runs,
        )?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bare_ratios_put_the_probe_against_each_bare_client() {
        assert_eq!(RATIOS[VS_BARE], ("probe_vs_bare", PROBE, BARE));
        assert_eq!(RATIOS[VS_BARE_TLS], ("probe_vs_bare_tls", PROBE, BARE_TLS));
        assert_eq!(NAMES[BARE_TLS], "bare_tls_client");
        assert_eq!(NAMES.len(), COMMANDS);
    }
}
