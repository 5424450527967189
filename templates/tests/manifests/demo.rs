//! A running `health-demo`: started with a ready file, stopped with SIGTERM,
//! killed if a test leaves it running.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::bins;

/// A health-demo process.
#[derive(Debug)]
pub(crate) struct Demo {
    child: Child,
}

/// A port that was free a moment ago.
pub(crate) fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local address").port()
}

impl Demo {
    /// Starts health-demo on 127.0.0.1:`port`, ready while `ready_file` exists,
    /// and waits until it prints `listening on`.
    pub(crate) fn start(port: u16, ready_file: &Path) -> Self {
        let mut child = Command::new(bins::health_demo())
            .args([
                "--addr",
                &format!("127.0.0.1:{port}"),
                "--interval",
                "100ms",
            ])
            .arg("--ready-file")
            .arg(ready_file)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start health-demo");
        let stdout = child.stdout.take().expect("piped stdout");
        let (lines, listening) = mpsc::channel();
        // Keeps reading so the demo never blocks on a full pipe.
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.starts_with("listening on ") {
                    let _ = lines.send(line);
                }
            }
        });
        let demo = Self { child };
        let line = listening
            .recv_timeout(Duration::from_secs(20))
            .expect("health-demo prints `listening on <addr>` within 20 s");
        assert_eq!(line, format!("listening on 127.0.0.1:{port}"));
        demo
    }

    /// Sends SIGTERM.
    pub(crate) fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM health-demo");
    }

    /// The exit status, if it has exited.
    pub(crate) fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().expect("poll health-demo")
    }

    /// Waits up to `timeout` for the process to exit.
    pub(crate) fn wait(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some(status) = self.exited() {
                return Some(status);
            }
            thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
