//! A server in a child process that prints `listening on ADDR` once it accepts
//! connections; killed when dropped.

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::Result;

/// How long a server may take to print its address.
const STARTUP: Duration = Duration::from_secs(20);

/// A running child server.
#[derive(Debug)]
pub(crate) struct ChildServer {
    child: Child,
    /// The address it printed.
    pub(crate) addr: SocketAddr,
}

impl ChildServer {
    /// Spawns `command` (stdout piped, stderr discarded) and waits for its address.
    pub(crate) fn start(mut command: Command) -> Result<Self> {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|error| format!("cannot start {command:?}: {error}"))?;
        let stdout = child.stdout.take().ok_or("child stdout not piped")?;
        let (sender, receiver) = mpsc::channel();
        // Reads the address, then drains stdout so the child never blocks on it.
        thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|read| read > 0) {
                if let Some(addr) = parse_listening(&line) {
                    let _ = sender.send(addr);
                    break;
                }
                line.clear();
            }
            let _ = std::io::copy(&mut reader.take(u64::MAX), &mut std::io::sink());
        });
        match receiver.recv_timeout(STARTUP) {
            Ok(addr) => Ok(Self { child, addr }),
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                Err(format!("{command:?} printed no `listening on ADDR`").into())
            }
        }
    }

    /// The child's process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits up to `limit` for the child to exit by itself (e.g. once its
    /// stdin is closed), so that a profiler wrapping it writes its output.
    pub(crate) fn wait_exit(&mut self, limit: Duration) -> Result<ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Ok(status);
            }
            if Instant::now() >= deadline {
                return Err(format!("the server did not exit within {limit:?}").into());
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// The child's stdin, if it was piped and not taken yet.
    pub(crate) fn take_stdin(&mut self) -> Option<ChildStdin> {
        self.child.stdin.take()
    }
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The address in a `listening on ADDR` line.
fn parse_listening(line: &str) -> Option<SocketAddr> {
    line.trim().strip_prefix("listening on ")?.parse().ok()
}

/// The value of the first `NAME: VALUE` line a child printed.
pub(crate) fn printed_value<T: std::str::FromStr>(output: &str, name: &str) -> Option<T> {
    output.lines().find_map(|line| {
        let value = line.strip_prefix(name)?.strip_prefix(':')?;
        value.trim().parse().ok()
    })
}

/// A process's resident set size in KiB, from `/proc/PID/status`.
pub(crate) fn vm_rss_kb(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    parse_vm_rss(&status).ok_or_else(|| format!("no VmRSS for process {pid}").into())
}

fn parse_vm_rss(status: &str) -> Option<u64> {
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listening_line_gives_the_address() {
        assert_eq!(
            parse_listening("listening on 127.0.0.1:4321\n"),
            Some(SocketAddr::from(([127, 0, 0, 1], 4321)))
        );
        assert_eq!(parse_listening("starting\n"), None);
    }

    #[test]
    fn printed_values_are_found_by_name() {
        let output = "starting\nmax_rss_kb: 2048\ncpu: 1.5\n";
        assert_eq!(printed_value::<u64>(output, "max_rss_kb"), Some(2048));
        assert_eq!(printed_value::<f64>(output, "cpu"), Some(1.5));
        assert_eq!(printed_value::<u64>(output, "max_rss"), None);
        assert_eq!(printed_value::<u64>("nothing\n", "cpu"), None);
    }

    #[test]
    fn vm_rss_is_read_in_kib() {
        let status = "Name:\tx\nVmHWM:\t   9000 kB\nVmRSS:\t    8123 kB\nThreads:\t3\n";
        assert_eq!(parse_vm_rss(status), Some(8123));
        assert_eq!(parse_vm_rss("Name:\tx\n"), None);
    }

    #[test]
    fn own_rss_is_readable() {
        assert!(vm_rss_kb(std::process::id()).expect("own status") > 0);
    }
}
