//! A running `health-demo` process: started on `127.0.0.1:0`, its printed
//! addresses read from its output, stopped with a signal, killed if a test
//! leaves it running (a [`Daemon`] that knows the demo's contract).

use std::process::{Command, ExitStatus};

use nix::sys::signal::Signal;

use crate::bins;
use crate::daemon::Daemon;

/// A health-demo process.
#[derive(Debug)]
pub struct Demo {
    process: Daemon,
    addr: String,
    admin_addr: Option<String>,
}

impl Demo {
    /// Starts health-demo with `args` (plus `--addr 127.0.0.1:0` unless `args`
    /// name an address) and waits until it prints `listening on <addr>`, and
    /// `admin listening on <addr>` too when `args` ask for an admin address.
    pub fn start<S: AsRef<str>>(args: &[S]) -> Self {
        Self::start_under::<&str, S>(&[], args)
    }

    /// [`Demo::start`] through a wrapper command that runs the program it is
    /// given, such as `["prlimit", "--nofile=64:64"]`; the wrapper must exec
    /// it, so that [`Demo::pid`] is the demo's.
    pub fn start_under<W: AsRef<str>, S: AsRef<str>>(wrapper: &[W], args: &[S]) -> Self {
        let args: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
        let mut command = match wrapper.split_first() {
            Some((program, wrapper_args)) => {
                let mut command = Command::new(program.as_ref());
                command.args(wrapper_args.iter().map(AsRef::as_ref));
                command.arg(bins::health_demo());
                command
            }
            None => Command::new(bins::health_demo()),
        };
        if !args.contains(&"--addr") {
            command.args(["--addr", "127.0.0.1:0"]);
        }
        command.args(&args);
        let wants_admin = args.contains(&"--admin-addr");
        let (mut addr, mut admin_addr) = (None, None);
        let process = Daemon::start_until("health-demo", command, |line| {
            if let Some(listening) = line.strip_prefix("admin listening on ") {
                admin_addr = Some(listening.to_owned());
            } else if let Some(listening) = line.strip_prefix("listening on ") {
                addr = Some(listening.to_owned());
            }
            addr.is_some() && (admin_addr.is_some() || !wants_admin)
        });
        Self {
            process,
            addr: addr.expect("ready only once the address is printed"),
            admin_addr,
        }
    }

    /// The gRPC address it printed, as `host:port`.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// The admin (HTTP) address it printed, if it was started with `--admin-addr`.
    pub fn admin_addr(&self) -> Option<&str> {
        self.admin_addr.as_deref()
    }

    /// Waits until its output so far (stdout and stderr) satisfies
    /// `condition`, and returns it; see [`Daemon::output_until`].
    pub async fn output_until(&self, what: &str, condition: impl FnMut(&str) -> bool) -> String {
        self.process.output_until(what, condition).await
    }

    /// The process id.
    pub const fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// Everything it printed so far, stdout and stderr.
    pub fn log(&self) -> String {
        self.process.log()
    }

    /// Sends SIGTERM, the way kubelet and container runtimes stop it.
    pub fn terminate(&self) {
        self.process.signal(Signal::SIGTERM);
    }

    /// Its exit status, if it has exited.
    pub fn exit_status(&self) -> Option<ExitStatus> {
        self.process.exit_status()
    }

    /// Waits for it to exit, failing the test after [`crate::HANG_GUARD`].
    pub async fn exited(&self) -> ExitStatus {
        self.process.exited().await
    }

    /// [`Demo::exited`] for tests without a runtime.
    pub fn wait_exit(&self) -> ExitStatus {
        self.process.wait_exit()
    }
}
