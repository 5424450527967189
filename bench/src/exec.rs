//! Probe figures: `true`, grpc-probe and bare-client exec'd in turn against
//! health-demo running in its own process; mean wall time of each, then the
//! probe's peak RSS and size. Then the wall times again against a server with
//! `TCP_NODELAY` (the `nodelay_` figures).

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
use crate::stats::{mean, ratio};

/// Untimed runs of each command first, so that every binary is in the page cache.
const WARM_UP: usize = 10;

/// A command to time: it must exit 0 every time.
struct Timed {
    command: Command,
    wall_ms: Vec<f64>,
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
            wall_ms: Vec::new(),
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
}

/// Mean wall times in ms of `true`, grpc-probe and bare-client against `addr`.
fn time_execs(artifacts: &Artifacts, addr: SocketAddr, execs: usize) -> Result<[f64; 3]> {
    let mut timed = [
        Timed::new(&artifacts.true_bin, &[]),
        Timed::new(&artifacts.probe, &[format!("-addr={addr}")]),
        Timed::new(&artifacts.bare_client, &[addr.to_string()]),
    ];
    eprintln!("bench: exec'ing true, grpc-probe and bare-client {execs} times each against {addr}");
    for _ in 0..WARM_UP {
        for command in &mut timed {
            command.run()?;
        }
    }
    // Interleaved, and the order rotates, so that drift in the machine's load
    // and any effect of going first or last falls on all three alike.
    for round in 0..execs {
        for offset in 0..timed.len() {
            let command = &mut timed[(round + offset) % 3];
            let wall = command.run()?;
            command.wall_ms.push(wall.as_secs_f64() * 1e3);
        }
    }
    Ok(timed.map(|command| mean(&command.wall_ms)))
}

/// Measures the probe figures into `figures`: against health-demo, as the
/// issue asks, then against the bench's own health-lib server, which sets
/// `TCP_NODELAY` on accepted connections (health-demo does not, and a client
/// that sends its request before the server's SETTINGS are acknowledged can
/// wait ~40 ms for a delayed ACK).
pub(crate) fn measure(artifacts: &Artifacts, plan: &Plan, figures: &mut Figures) -> Result<()> {
    let mut demo = Command::new(&artifacts.demo);
    demo.args(["--addr", "127.0.0.1:0"]);
    let demo = ChildServer::start(demo)?;
    let [true_ms, probe_ms, bare_ms] = time_execs(artifacts, demo.addr, plan.execs)?;
    figures.push("true_wall_ms", true_ms, 3);
    figures.push("probe_wall_ms", probe_ms, 3);
    figures.push("bare_client_wall_ms", bare_ms, 3);
    figures.push("probe_vs_true", ratio(probe_ms, true_ms), 2);
    figures.push("probe_vs_bare", ratio(probe_ms, bare_ms), 2);
    let rss = |program: &Path, args: &[String]| {
        peak_rss_kb(&artifacts.peak_rss, program, args, plan.rss_runs).map(|kb| kb as f64)
    };
    figures.push(
        "probe_peak_rss_kb",
        rss(&artifacts.probe, &[format!("-addr={}", demo.addr)])?,
        0,
    );
    figures.push("probe_size_bytes", file_size(&artifacts.probe)?, 0);
    figures.push(
        "bare_client_peak_rss_kb",
        rss(&artifacts.bare_client, &[demo.addr.to_string()])?,
        0,
    );
    figures.push(
        "bare_client_size_bytes",
        file_size(&artifacts.bare_client)?,
        0,
    );
    // The floor of this way of measuring: the helper's own fork image.
    figures.push("true_peak_rss_kb", rss(&artifacts.true_bin, &[])?, 0);
    drop(demo);

    let mut nodelay = Command::new(std::env::current_exe()?);
    nodelay.arg("watch-server").stdin(Stdio::piped());
    let nodelay = ChildServer::start(nodelay)?;
    let [true_ms, probe_ms, bare_ms] = time_execs(artifacts, nodelay.addr, plan.execs)?;
    figures.push("nodelay_probe_wall_ms", probe_ms, 3);
    figures.push("nodelay_bare_client_wall_ms", bare_ms, 3);
    figures.push("nodelay_probe_vs_true", ratio(probe_ms, true_ms), 2);
    figures.push("nodelay_probe_vs_bare", ratio(probe_ms, bare_ms), 2);
    Ok(())
}

fn file_size(path: &Path) -> Result<f64> {
    Ok(std::fs::metadata(path)?.len() as f64)
}
