//! Runs exec and httpGet probes the way kubelet does: an exec command is
//! killed at `timeoutSeconds`, an HTTP GET passes with a status from 200 to
//! 399 within `timeoutSeconds`, and a probe's result flips only after
//! `successThreshold` consecutive successes or `failureThreshold` consecutive
//! failures. The caller ticks each probe once per `periodSeconds`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{Container, Probe};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use test_support::HANG_GUARD;

/// Values that make kubelet's loop quick: every probe each second, readiness
/// failing after two failures.
pub(crate) const QUICK: [&str; 3] = [
    "readiness.periodSeconds=1",
    "liveness.periodSeconds=1",
    "readiness.failureThreshold=2",
];

/// What one run of the probe did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Exited with this code (0 passes).
    Exited(i32),
    /// Still running at timeoutSeconds, and killed.
    TimedOut,
    /// Answered the GET with this status (200-399 pass).
    Http(u16),
    /// The GET found no listener, or no HTTP answer within timeoutSeconds.
    NoAnswer,
}

/// What kubelet runs.
#[derive(Debug)]
enum Action {
    /// A command.
    Exec(Vec<String>),
    /// A GET of `path` at `addr` (127.0.0.1 stands for the pod IP).
    Http { addr: SocketAddr, path: String },
}

/// One probe and its kubelet state.
#[derive(Debug)]
pub(crate) struct Prober {
    action: Action,
    /// periodSeconds.
    pub(crate) period: Duration,
    timeout: Duration,
    success_threshold: u32,
    /// failureThreshold.
    pub(crate) failure_threshold: u32,
    successes: u32,
    failures: u32,
    passing: bool,
    /// The last run's outcome.
    pub(crate) last: Option<Outcome>,
}

impl Prober {
    /// The exec probe of a rendered container, with argv\[0\] replaced by `grpc_probe`.
    /// `passing` is the state before the first run (kubelet: false for readiness,
    /// true for liveness).
    pub(crate) fn new(probe: &Probe, grpc_probe: &Path, passing: bool) -> Self {
        let mut command = probe
            .exec
            .as_ref()
            .and_then(|exec| exec.command.clone())
            .expect("an exec probe with a command");
        command[0] = grpc_probe.to_str().expect("UTF-8 path").to_owned();
        Self::with(probe, Action::Exec(command), passing)
    }

    /// The httpGet probe of a rendered `container`, its named port resolved
    /// against the container's ports as kubelet resolves it.
    pub(crate) fn http(probe: &Probe, container: &Container, passing: bool) -> Self {
        let get = probe.http_get.as_ref().expect("an httpGet probe");
        let port = match &get.port {
            IntOrString::Int(port) => *port,
            IntOrString::String(name) => {
                let mut ports = container.ports.iter().flatten();
                let named = ports.find(|p| p.name.as_deref() == Some(name.as_str()));
                named.map(|p| p.container_port).unwrap_or_else(|| {
                    panic!("httpGet names port {name:?}, which the container does not have")
                })
            }
        };
        let port = u16::try_from(port).expect("a port number");
        let path = get.path.clone().unwrap_or_else(|| "/".to_owned());
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        Self::with(probe, Action::Http { addr, path }, passing)
    }

    fn with(probe: &Probe, action: Action, passing: bool) -> Self {
        // A timing left out is Kubernetes' default.
        let seconds = |value: Option<i32>, default| {
            Duration::from_secs(u64::try_from(value.unwrap_or(default)).expect("timing ≥ 0"))
        };
        let count = |value: Option<i32>, default| {
            u32::try_from(value.unwrap_or(default)).expect("threshold ≥ 1")
        };
        Self {
            action,
            period: seconds(probe.period_seconds, 10),
            timeout: seconds(probe.timeout_seconds, 1),
            success_threshold: count(probe.success_threshold, 1),
            failure_threshold: count(probe.failure_threshold, 3),
            successes: 0,
            failures: 0,
            passing,
            last: None,
        }
    }

    /// Kubelet's startup phase: ticks every period until the probe passes;
    /// false once it has failed failureThreshold times (kubelet would restart).
    pub(crate) fn start(&mut self) -> bool {
        for _ in 0..self.failure_threshold {
            let tick = Instant::now();
            if self.tick() {
                return true;
            }
            wait_period(tick, self.period);
        }
        false
    }

    /// Ticks every period until the probe passes; fails the test after [`HANG_GUARD`].
    pub(crate) fn until_passing(&mut self, what: &str) {
        let deadline = Instant::now() + HANG_GUARD;
        loop {
            let tick = Instant::now();
            if self.tick() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{what} never passed: {:?}",
                self.last
            );
            wait_period(tick, self.period);
        }
    }

    /// Ticks back to back until the probe fails, as when a drain starts (the
    /// endpoints drop a terminating pod without waiting for a period); fails
    /// the test after [`HANG_GUARD`].
    pub(crate) fn until_failing(&mut self, what: &str) {
        let deadline = Instant::now() + HANG_GUARD;
        while self.tick() {
            assert!(
                Instant::now() < deadline,
                "{what} never failed: {:?}",
                self.last
            );
        }
    }

    /// Runs the command once and updates the state; returns whether the probe passes.
    pub(crate) fn tick(&mut self) -> bool {
        let outcome = self.run_once();
        self.last = Some(outcome);
        if matches!(outcome, Outcome::Exited(0) | Outcome::Http(200..=399)) {
            self.failures = 0;
            self.successes += 1;
            if self.successes >= self.success_threshold {
                self.passing = true;
            }
        } else {
            self.successes = 0;
            self.failures += 1;
            if self.failures >= self.failure_threshold {
                self.passing = false;
            }
        }
        self.passing
    }

    fn run_once(&self) -> Outcome {
        match &self.action {
            Action::Exec(command) => self.exec(command),
            Action::Http { addr, path } => self.get(*addr, path),
        }
    }

    /// GETs `path` like kubelet (no keep-alive), giving up at the timeout.
    fn get(&self, addr: SocketAddr, path: &str) -> Outcome {
        let Ok(mut stream) = TcpStream::connect_timeout(&addr, self.timeout) else {
            return Outcome::NoAnswer;
        };
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: kube-probe/1.33\r\n\
             Connection: close\r\n\r\n"
        );
        let sent = stream.set_read_timeout(Some(self.timeout)).is_ok()
            && stream.write_all(request.as_bytes()).is_ok();
        if !sent {
            return Outcome::NoAnswer;
        }
        // The status line is all kubelet reads the result from.
        let mut answer = Vec::new();
        let read = stream.take(64).read_to_end(&mut answer);
        if read.is_err() && answer.is_empty() {
            return Outcome::NoAnswer;
        }
        let answer = String::from_utf8_lossy(&answer);
        answer
            .strip_prefix("HTTP/1.1 ")
            .or_else(|| answer.strip_prefix("HTTP/1.0 "))
            .and_then(|rest| rest.get(..3))
            .and_then(|code| code.parse().ok())
            .map_or(Outcome::NoAnswer, Outcome::Http)
    }

    /// Runs the command, killing it at the timeout.
    fn exec(&self, command: &[String]) -> Outcome {
        let mut child = Command::new(&command[0])
            .args(&command[1..])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("run the probe command");
        let deadline = Instant::now() + self.timeout;
        loop {
            if let Some(status) = child.try_wait().expect("poll the probe") {
                return Outcome::Exited(status.code().unwrap_or(-1));
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Outcome::TimedOut;
            }
            thread::sleep(Duration::from_millis(5));
        }
    }
}

/// Sleeps until `start + period`, the next tick.
pub(crate) fn wait_period(start: Instant, period: Duration) {
    thread::sleep(period.saturating_sub(start.elapsed()));
}
