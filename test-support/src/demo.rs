//! A running `health-demo` process: started on `127.0.0.1:0`, its printed
//! addresses read from stdout, stopped with a signal, killed if a test leaves
//! it running.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

use crate::{HANG_GUARD, bins, process};

/// A health-demo process.
#[derive(Debug)]
pub struct Demo {
    pid: u32,
    addr: String,
    admin_addr: Option<String>,
    exit: tokio::sync::watch::Receiver<Option<ExitStatus>>,
    stderr: Arc<Mutex<String>>,
}

impl Demo {
    /// Starts health-demo with `args` (plus `--addr 127.0.0.1:0` unless `args`
    /// name an address) and waits until it prints `listening on <addr>`, and
    /// `admin listening on <addr>` too when `args` ask for an admin address.
    pub fn start<S: AsRef<str>>(args: &[S]) -> Self {
        let args: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
        let mut command = Command::new(bins::health_demo());
        if !args.contains(&"--addr") {
            command.args(["--addr", "127.0.0.1:0"]);
        }
        let mut child = command
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start health-demo");
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr_pipe = child.stderr.take().expect("piped stderr");
        let pid = child.id();
        let (lines_tx, lines) = mpsc::channel();
        // Keep reading both pipes so that the demo never blocks on a full one.
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = lines_tx.send(line);
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let collected = stderr.clone();
        thread::spawn(move || {
            let mut pipe = stderr_pipe;
            let mut chunk = [0; 4096];
            while let Ok(read @ 1..) = pipe.read(&mut chunk) {
                if let Ok(mut text) = collected.lock() {
                    text.push_str(&String::from_utf8_lossy(&chunk[..read]));
                }
            }
        });
        let (exit_tx, exit) = tokio::sync::watch::channel(None);
        thread::spawn(move || {
            let status = child.wait().expect("wait for health-demo");
            exit_tx.send_replace(Some(status));
        });
        let wants_admin = args.contains(&"--admin-addr");
        let mut demo = Self {
            pid,
            addr: String::new(),
            admin_addr: None,
            exit,
            stderr,
        };
        let deadline = Instant::now() + HANG_GUARD;
        while demo.addr.is_empty() || (wants_admin && demo.admin_addr.is_none()) {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = lines.recv_timeout(left).unwrap_or_else(|_| {
                panic!(
                    "health-demo {args:?} printed no `listening on` line (exit: {:?}); stderr:\n{}",
                    demo.exit_status(),
                    demo.stderr()
                )
            });
            if let Some(addr) = line.strip_prefix("admin listening on ") {
                demo.admin_addr = Some(addr.to_owned());
            } else if let Some(addr) = line.strip_prefix("listening on ") {
                addr.clone_into(&mut demo.addr);
            }
        }
        demo
    }

    /// The gRPC address it printed, as `host:port`.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// The admin (HTTP) address it printed, if it was started with `--admin-addr`.
    pub fn admin_addr(&self) -> Option<&str> {
        self.admin_addr.as_deref()
    }

    /// The process id.
    pub const fn pid(&self) -> u32 {
        self.pid
    }

    /// Everything it wrote to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr
            .lock()
            .map(|text| text.clone())
            .unwrap_or_default()
    }

    /// Sends SIGTERM, the way kubelet and container runtimes stop it.
    pub fn terminate(&self) {
        process::signal(self.pid, Signal::SIGTERM);
    }

    /// Its exit status, if it has exited.
    pub fn exit_status(&self) -> Option<ExitStatus> {
        *self.exit.borrow()
    }

    /// Waits for it to exit, failing the test after [`HANG_GUARD`].
    pub async fn exited(&self) -> ExitStatus {
        let mut exit = self.exit.clone();
        let status = tokio::time::timeout(HANG_GUARD, exit.wait_for(Option::is_some))
            .await
            .unwrap_or_else(|_| panic!("health-demo did not exit within {HANG_GUARD:?}"))
            .expect("the waiter thread reports the exit");
        status.expect("waited for Some")
    }

    /// [`Demo::exited`] for tests without a runtime.
    pub fn wait_exit(&self) -> ExitStatus {
        let deadline = Instant::now() + HANG_GUARD;
        loop {
            if let Some(status) = self.exit_status() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "health-demo did not exit within {HANG_GUARD:?}"
            );
            thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        if self.exit_status().is_none()
            && let Ok(pid) = i32::try_from(self.pid)
        {
            // Not `process::signal`: it may already be gone, and Drop must not panic.
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), Signal::SIGKILL);
        }
    }
}
