//! From argv to exit code: parse, check, load TLS files, then run the
//! commands on a current-thread runtime (or, with `-install`, copy the
//! executable instead).

use std::ffi::OsString;

use crate::config::Config;
use crate::connect::Tls;
use crate::exit_code::ProbeExit;
use crate::{cli, commands, install, messages, tls};

/// Runs the probe; all printing happens below, through [`messages`], and
/// nothing here exits the process.
pub(crate) fn run(argv: impl IntoIterator<Item = OsString>) -> ProbeExit {
    let cli = match cli::parse(argv) {
        Ok(cli) => cli,
        Err(stop) if stop.is_error => {
            messages::report(&stop.text);
            return ProbeExit::InvalidArguments;
        }
        Err(help) => {
            messages::stdout(&help.text);
            return ProbeExit::Serving;
        }
    };
    if let Some(to) = &cli.install {
        return match install::install(to) {
            Ok(installed) => {
                messages::report(&format!("installed grpc-probe at {}", installed.display()));
                ProbeExit::Serving
            }
            Err(e) => {
                messages::error(format_args!("cannot install grpc-probe: {e}"));
                ProbeExit::InvalidArguments
            }
        };
    }
    if cli.version {
        messages::stdout(&format!("grpc-probe {}\n", env!("CARGO_PKG_VERSION")));
        return ProbeExit::Serving;
    }
    let cfg = match Config::from_cli(cli) {
        Ok(cfg) => cfg,
        Err(message) => {
            messages::error(message);
            return ProbeExit::InvalidArguments;
        }
    };
    messages::set_verbose(cfg.verbose);
    if messages::is_verbose() {
        messages::report(&cfg.describe());
    }
    let tls = match &cfg.tls {
        None => None,
        Some(opts) => match tls::client_config(opts, cfg.target.tls_name()) {
            Ok((config, name)) => Some(Tls { config, name }),
            Err(message) => {
                messages::error(format_args!(
                    "failed to initialize tls credentials: {message}"
                ));
                return ProbeExit::InvalidArguments;
            }
        },
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            messages::error(format_args!("cannot start the runtime: {e}"));
            return ProbeExit::ConnectionFailure;
        }
    };
    let code = runtime.block_on(commands::execute(&cfg, tls.as_ref()));
    // A DNS lookup may still be running on a blocking thread: do not wait for it.
    runtime.shutdown_background();
    code
}
