//! A throwaway carbon-cache (Debian's `graphite-carbon`, installed when
//! missing) in the foreground on 127.0.0.1 and free ports, storing in a temp
//! dir at one point per second, and its points read back with `whisper-fetch`
//! (Debian's `python3-whisper`).

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use nix::sys::signal::Signal;

use crate::daemon::Daemon;
use crate::{HANG_GUARD, process, system};

/// A running carbon-cache; stopped when dropped.
#[derive(Debug)]
pub struct Carbon {
    server: Daemon,
    line_port: u16,
    whisper_fetch: PathBuf,
    // Last, so that the server is killed before its files go.
    dir: tempfile::TempDir,
}

impl Carbon {
    /// Starts carbon-cache; ready once its line receiver listens.
    pub fn start() -> Self {
        let program = system::require("carbon-cache", "graphite-carbon");
        let whisper_fetch = system::require("whisper-fetch", "python3-whisper");
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        for sub in ["conf", "whisper", "lists", "log", "pid"] {
            std::fs::create_dir_all(root.join(sub)).expect("carbon dirs");
        }
        let [line_port, pickle_port, query_port] = [(); 3].map(|()| process::free_port());
        let at = |sub: &str| format!("{}/", root.join(sub).display());
        let config = format!(
            "[cache]\nSTORAGE_DIR = {storage}\nLOCAL_DATA_DIR = {whisper}\nWHITELISTS_DIR = {lists}\n\
             CONF_DIR = {conf}\nLOG_DIR = {log}\nPID_DIR = {pid}\nDATABASE = whisper\n\
             ENABLE_LOGROTATION = False\nENABLE_TAGS = False\nMAX_CACHE_SIZE = inf\n\
             MAX_UPDATES_PER_SECOND = 10000\nMAX_CREATES_PER_MINUTE = inf\n\
             WHISPER_AUTOFLUSH = True\nLOG_CREATES = True\n\
             LINE_RECEIVER_INTERFACE = 127.0.0.1\nLINE_RECEIVER_PORT = {line_port}\n\
             ENABLE_UDP_LISTENER = False\n\
             PICKLE_RECEIVER_INTERFACE = 127.0.0.1\nPICKLE_RECEIVER_PORT = {pickle_port}\n\
             CACHE_QUERY_INTERFACE = 127.0.0.1\nCACHE_QUERY_PORT = {query_port}\n",
            storage = root.display(),
            whisper = at("whisper"),
            lists = at("lists"),
            conf = at("conf"),
            log = at("log"),
            pid = at("pid"),
        );
        let config_file = root.join("conf/carbon.conf");
        std::fs::write(&config_file, config).expect("write carbon.conf");
        std::fs::write(
            root.join("conf/storage-schemas.conf"),
            "[default]\npattern = .*\nretentions = 1s:1h\n",
        )
        .expect("write storage-schemas.conf");
        let mut command = Command::new(program);
        command
            .arg(format!("--config={}", config_file.display()))
            .arg(format!(
                "--pidfile={}",
                root.join("pid/carbon.pid").display()
            ))
            .arg(format!("--logdir={}", root.join("log").display()))
            // --debug keeps it in the foreground, logging to stdout.
            .args(["--debug", "start"])
            .current_dir(root);
        let ready = format!("CarbonReceiverFactory starting on {line_port}");
        let server = Daemon::start("carbon-cache", command, &ready);
        Self {
            server,
            line_port,
            whisper_fetch,
            dir,
        }
    }

    /// The plaintext line receiver, `127.0.0.1:PORT`.
    pub fn line_addr(&self) -> String {
        format!("127.0.0.1:{}", self.line_port)
    }

    /// What carbon-cache printed so far.
    pub fn log(&self) -> String {
        self.server.log()
    }

    /// The stored points of the dotted `metric` path (`[]` before its file
    /// exists), as `whisper-fetch` reads them: (timestamp, value), gaps left out.
    pub fn points(&self, metric: &str) -> Vec<(u64, f64)> {
        let file = self
            .dir
            .path()
            .join("whisper")
            .join(metric.replace('.', "/") + ".wsp");
        if !file.exists() {
            return Vec::new();
        }
        let output = Command::new(&self.whisper_fetch)
            .arg("--from=0")
            .arg(&file)
            .output()
            .expect("whisper-fetch runs");
        assert!(
            output.status.success(),
            "whisper-fetch {}: {}",
            file.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|line| {
                let (time, value) = line.split_once('\t')?;
                Some((time.parse().ok()?, value.parse().ok()?))
            })
            .collect()
    }

    /// Waits until some point of `metric` satisfies `wanted`; returns the
    /// points. Carbon writes a moment after it receives, with no event to
    /// wait on: polled every 100 ms, failing after [`HANG_GUARD`].
    pub async fn wait_for_point(
        &self,
        metric: &str,
        wanted: impl Fn(f64) -> bool,
    ) -> Vec<(u64, f64)> {
        let deadline = tokio::time::Instant::now() + HANG_GUARD;
        loop {
            let points = self.points(metric);
            if points.iter().any(|&(_, value)| wanted(value)) {
                return points;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no wanted point of {metric} after {HANG_GUARD:?}: {points:?}\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Stops carbon-cache and waits for it to exit.
    pub fn stop(mut self) {
        self.server.stop(Signal::SIGTERM);
    }
}
