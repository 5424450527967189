//! The command line, parsed by hand with the rules of Go's `flag` package,
//! which grpc-health-probe uses and whose spellings our users' manifests
//! already hold: `-name`, `--name`, `-name=value`, `-name value`; booleans
//! take no value, `=true` or `=false`; `--` ends the flags.
//!
//! It is hand-written rather than built on clap for two reasons. Go
//! compatibility: clap needs its own `--` spellings, so it needed a rewriting
//! shim, and its errors read differently from upstream's. Start-up cost: the
//! probe is exec'd by kubelet every few seconds in every pod, and building
//! clap's 21-argument command on each run (its code, its allocations and the
//! page faults of both) was the whole gap between the probe and a bare tonic
//! client built the same way: `probe_vs_bare` in BENCHMARKS.md.
//!
//! [`flags::FLAGS`] is the single source of the flags: [`parse()`] looks names
//! up in it, [`help`] prints it and the README test checks it. Parsing builds
//! nothing but the [`Cli`]; the help text is built only when asked for.

mod flags;
mod help;
mod parse;

use std::path::PathBuf;
use std::time::Duration;

/// The table, for the README test.
#[cfg(test)]
pub(crate) use flags::FLAGS;
pub(crate) use parse::parse;

/// The parsed flags, before [`crate::config`] checks how they combine.
#[derive(Debug)]
pub(crate) struct Cli {
    /// `-addr`: where to connect, as given.
    pub(crate) addr: Option<String>,
    /// `-service`, in order; empty means the server's overall health.
    pub(crate) service: Vec<String>,
    /// `-connect-timeout`.
    pub(crate) connect_timeout: Duration,
    /// `-rpc-timeout`.
    pub(crate) rpc_timeout: Duration,
    /// `-tls`.
    pub(crate) tls: bool,
    /// `-tls-no-verify`.
    pub(crate) tls_no_verify: bool,
    /// `-tls-ca-cert`.
    pub(crate) tls_ca_cert: Option<PathBuf>,
    /// `-tls-client-cert`.
    pub(crate) tls_client_cert: Option<PathBuf>,
    /// `-tls-client-key`.
    pub(crate) tls_client_key: Option<PathBuf>,
    /// `-tls-server-name`.
    pub(crate) tls_server_name: Option<String>,
    /// `-authority`.
    pub(crate) authority: Option<String>,
    /// `-rpc-header`, in order, unparsed.
    pub(crate) rpc_header: Vec<String>,
    /// `-user-agent`.
    pub(crate) user_agent: String,
    /// `-gzip`.
    pub(crate) gzip: bool,
    /// `-v` or `-verbose`.
    pub(crate) verbose: bool,
    /// `-version`.
    pub(crate) version: bool,
    /// `-alts` (refused by the checks).
    pub(crate) alts: bool,
    /// `-spiffe` (refused by the checks).
    pub(crate) spiffe: bool,
    /// `-wait`.
    pub(crate) wait: Option<Duration>,
    /// `-watch`.
    pub(crate) watch: bool,
    /// `-list`.
    pub(crate) list: bool,
    /// `-install`.
    pub(crate) install: Option<PathBuf>,
}

impl Cli {
    /// The values of flags not given; the help text states them.
    fn defaults() -> Self {
        Cli {
            addr: None,
            service: Vec::new(),
            connect_timeout: Duration::from_secs(1),
            rpc_timeout: Duration::from_secs(1),
            tls: false,
            tls_no_verify: false,
            tls_ca_cert: None,
            tls_client_cert: None,
            tls_client_key: None,
            tls_server_name: None,
            authority: None,
            rpc_header: Vec::new(),
            user_agent: "grpc_health_probe".to_owned(),
            gzip: false,
            verbose: false,
            version: false,
            alts: false,
            spiffe: false,
            wait: None,
            watch: false,
            list: false,
            install: None,
        }
    }
}

/// Why parsing stopped without a [`Cli`]: the text to print and the exit code.
#[derive(Debug)]
pub(crate) struct Stop {
    /// Help goes to stdout with exit 0; errors to stderr with exit 1.
    pub(crate) is_error: bool,
    /// The rendered message.
    pub(crate) text: String,
}
