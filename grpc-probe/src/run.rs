//! From argv to exit code: parse, check, load TLS files, then run the
//! commands on a current-thread runtime.

use std::ffi::OsString;

use crate::config::Config;
use crate::connect::Tls;
use crate::exit_code::Code;
use crate::{cli, commands, tls};

/// Runs the probe; all printing happens here or below, never an exit.
pub(crate) fn run(argv: impl IntoIterator<Item = OsString>) -> Code {
    let cli = match cli::parse(argv) {
        Ok(cli) => cli,
        Err(stop) if stop.is_error => {
            eprint!("{}", stop.text);
            return Code::InvalidArguments;
        }
        Err(help) => {
            print!("{}", help.text);
            return Code::Serving;
        }
    };
    if cli.version {
        println!("grpc-probe {}", env!("CARGO_PKG_VERSION"));
        return Code::Serving;
    }
    let cfg = match Config::from_cli(cli) {
        Ok(cfg) => cfg,
        Err(message) => {
            eprintln!("error: {message}");
            return Code::InvalidArguments;
        }
    };
    if cfg.verbose {
        eprintln!("{}", cfg.describe());
    }
    let tls = match &cfg.tls {
        None => None,
        Some(opts) => match tls::client_config(opts, cfg.target.tls_name()) {
            Ok((config, name)) => Some(Tls { config, name }),
            Err(message) => {
                eprintln!("error: failed to initialize tls credentials: {message}");
                return Code::InvalidArguments;
            }
        },
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return Code::ConnectionFailure;
        }
    };
    let code = runtime.block_on(commands::execute(&cfg, tls.as_ref()));
    // A DNS lookup may still be running on a blocking thread: do not wait for it.
    runtime.shutdown_background();
    code
}
