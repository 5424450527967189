//! The command line: a clap derive definition whose doc comments are the help,
//! plus the one hand-written step, rewriting Go-style single-dash long flags
//! (`-addr=x`, `-addr x`) into clap's `--addr=x` / `--addr x`.
//!
//! Boolean flags behave as Go's: `-tls`, `-tls=true`, `-tls=false`.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use clap::builder::BoolishValueParser;
use clap::{ArgAction, CommandFactory, FromArgMatches, Parser};

use crate::duration;

/// Checks the health of a gRPC server over grpc.health.v1 (a drop-in for
/// grpc-health-probe). Exit codes: 0 SERVING, 1 bad arguments, 2 connection
/// failed, 3 RPC failed, 4 not SERVING. Boolean flags take no value, =true or
/// =false.
#[derive(Debug, Parser)]
#[command(name = "grpc-probe", disable_version_flag = true, max_term_width = 100)]
pub(crate) struct Cli {
    /// `-addr`: where to connect. The help text is given as `help` because
    /// rustdoc would read the bracketed IPv6 form as a link.
    #[arg(
        long,
        value_name = "ADDR",
        help = "(required) tcp host:port, :port, [::1]:port, or unix:PATH to connect"
    )]
    pub(crate) addr: Option<String>,
    /// service name to check (default: ""); repeat to require several
    #[arg(long, value_name = "NAME")]
    pub(crate) service: Vec<String>,
    /// timeout for establishing connection (default: 1s)
    #[arg(long, value_name = "DURATION", value_parser = duration::parse, allow_hyphen_values = true)]
    pub(crate) connect_timeout: Duration,
    /// timeout for health check rpc (default: 1s)
    #[arg(long, value_name = "DURATION", value_parser = duration::parse, allow_hyphen_values = true)]
    pub(crate) rpc_timeout: Duration,
    /// use TLS (default: false, INSECURE plaintext transport)
    #[arg(long)]
    pub(crate) tls: bool,
    /// (with -tls) don't verify the certificate (INSECURE) presented by the server
    #[arg(long)]
    pub(crate) tls_no_verify: bool,
    /// (with -tls, optional) file containing trusted certificates for verifying server
    #[arg(long, value_name = "FILE")]
    pub(crate) tls_ca_cert: Option<PathBuf>,
    /// (with -tls, optional) client certificate for authenticating to the server (requires -tls-client-key)
    #[arg(long, value_name = "FILE")]
    pub(crate) tls_client_cert: Option<PathBuf>,
    /// (with -tls) client private key (PKCS#8, RSA or SEC1 PEM) (requires -tls-client-cert)
    #[arg(long, value_name = "FILE")]
    pub(crate) tls_client_key: Option<PathBuf>,
    /// (with -tls) override the hostname used to verify the server certificate
    #[arg(long, value_name = "NAME")]
    pub(crate) tls_server_name: Option<String>,
    /// additional RPC header in 'name: value' format; may be repeated
    #[arg(long, value_name = "HEADER")]
    pub(crate) rpc_header: Vec<String>,
    /// user-agent header value of health check requests (default: grpc_health_probe)
    #[arg(long, value_name = "UA")]
    pub(crate) user_agent: String,
    /// use GZIP compression for the request and accept it for the response
    #[arg(long)]
    pub(crate) gzip: bool,
    /// verbose logs, with connect, TLS and RPC timings
    #[arg(long = "v", alias = "verbose")]
    pub(crate) verbose: bool,
    /// print the version and exit
    #[arg(long)]
    pub(crate) version: bool,
    /// use ALTS (not supported: exits 1)
    #[arg(long)]
    pub(crate) alts: bool,
    /// use SPIFFE Workload API credentials (not supported: exits 1)
    #[arg(long)]
    pub(crate) spiffe: bool,
    /// (extra) retry connection failures, UNAVAILABLE and NOT_SERVING with backoff for up to DURATION
    #[arg(long, value_name = "DURATION", value_parser = duration::parse, allow_hyphen_values = true)]
    pub(crate) wait: Option<Duration>,
    /// (extra) watch the service and print every status change until the stream ends or a signal
    #[arg(long)]
    pub(crate) watch: bool,
    /// (extra) list every service and its status (grpc.health.v1.Health/List)
    #[arg(long)]
    pub(crate) list: bool,
    /// (extra) copy this executable to PATH (a file, or a directory to hold grpc-probe) and exit, for init containers without cp; takes no other flag but -v
    #[arg(long, value_name = "PATH")]
    pub(crate) install: Option<PathBuf>,
}

impl Cli {
    /// The values of flags not given. They are set here rather than as clap
    /// defaults, which clap would parse and record on every run; the help
    /// text states them.
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

/// The clap command with Go-style booleans (`-tls`, `-tls=false`; their
/// possible values are stated once, in the about text, rather than listed
/// per flag, which clap would also work out on every parse), and
/// `-install` refusing every flag but `-v`. No flag is required or has a
/// clap default: [`parse`] starts from [`Cli::defaults`].
pub(crate) fn command() -> clap::Command {
    let cmd = Cli::command_for_update();
    let probe_flags: Vec<clap::Id> = cmd
        .get_arguments()
        .map(|arg| arg.get_id().clone())
        .filter(|id| id != "install" && id != "verbose")
        .collect();
    cmd.mut_arg("install", |arg| arg.conflicts_with_all(probe_flags))
        .mut_args(|arg| {
            if matches!(arg.get_action(), ArgAction::SetTrue) {
                arg.action(ArgAction::Set)
                    .num_args(0..=1)
                    .require_equals(true)
                    .hide_possible_values(true)
                    .default_missing_value("true")
                    .value_parser(BoolishValueParser::new())
            } else {
                arg
            }
        })
}

/// Parses argv (including the program name) without printing or exiting.
pub(crate) fn parse<I, T>(argv: I) -> Result<Cli, Stop>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString>,
{
    let cmd = command();
    let argv = rewrite(argv.into_iter().map(Into::into), &takes_value(&cmd));
    let mut matches = cmd.try_get_matches_from(argv).map_err(|e| Stop {
        is_error: e.use_stderr(),
        text: e.render().to_string(),
    })?;
    // Only the flags given are in `matches`; the values move out of it.
    let mut cli = Cli::defaults();
    cli.update_from_arg_matches_mut(&mut matches)
        .map_err(|e| Stop {
            is_error: true,
            text: e.render().to_string(),
        })?;
    Ok(cli)
}

/// Long names of the flags whose value may come as the next argument.
fn takes_value(cmd: &clap::Command) -> Vec<String> {
    cmd.get_arguments()
        .filter(|a| a.get_action().takes_values() && !a.is_require_equals_set())
        .filter_map(|a| a.get_long().map(str::to_owned))
        .collect()
}

/// Turns `-name[=value]` into `--name[=value]`, leaving alone the value that
/// follows a flag (it may start with `-`), `-h`, `-` and everything after `--`.
pub(crate) fn rewrite(argv: impl Iterator<Item = OsString>, valued: &[String]) -> Vec<OsString> {
    let mut out = Vec::new();
    let mut value_next = false;
    let mut verbatim = false;
    for (i, arg) in argv.enumerate() {
        if i == 0 || verbatim || std::mem::take(&mut value_next) {
            out.push(arg);
            continue;
        }
        let Some(text) = arg.to_str() else {
            out.push(arg);
            continue;
        };
        if text == "--" {
            verbatim = true;
            out.push(arg);
            continue;
        }
        let name = text.trim_start_matches('-');
        let name = name.split_once('=').map_or(name, |(n, _)| n);
        value_next =
            !text.contains('=') && text.starts_with('-') && valued.iter().any(|v| v == name);
        if text.starts_with('-') && !text.starts_with("--") && text.len() > 1 && text != "-h" {
            out.push(format!("-{text}").into());
        } else {
            out.push(arg);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn words(argv: &[&str]) -> Vec<String> {
        let valued = takes_value(&command());
        rewrite(argv.iter().map(OsString::from), &valued)
            .into_iter()
            .map(|s| s.into_string().unwrap())
            .collect()
    }

    #[test]
    fn clap_definition_is_valid() {
        command().debug_assert();
    }

    #[test]
    fn rewrites_single_dash_long_flags() {
        assert_eq!(
            words(&[
                "p",
                "-addr=x:1",
                "-service",
                "a",
                "--rpc-timeout",
                "2s",
                "-tls",
                "-v",
                "-version"
            ]),
            [
                "p",
                "--addr=x:1",
                "--service",
                "a",
                "--rpc-timeout",
                "2s",
                "--tls",
                "--v",
                "--version"
            ]
        );
    }

    #[test]
    fn leaves_values_help_and_trailing_args_alone() {
        assert_eq!(
            words(&["p", "-connect-timeout", "-1s"]),
            ["p", "--connect-timeout", "-1s"]
        );
        assert_eq!(
            words(&["p", "-rpc-header", "-x: y"]),
            ["p", "--rpc-header", "-x: y"]
        );
        assert_eq!(words(&["p", "-h"]), ["p", "-h"]);
        assert_eq!(words(&["p", "--", "-addr"]), ["p", "--", "-addr"]);
        // A bool flag never takes the next argument, as in Go.
        assert_eq!(
            words(&["p", "-tls", "-addr", "a:1"]),
            ["p", "--tls", "--addr", "a:1"]
        );
    }

    #[test]
    fn all_spellings_parse_the_same() {
        for argv in [
            &["p", "-addr=h:1", "-connect-timeout=250ms"][..],
            &["p", "-addr", "h:1", "-connect-timeout", "250ms"],
            &["p", "--addr=h:1", "--connect-timeout=250ms"],
            &["p", "--addr", "h:1", "--connect-timeout", "250ms"],
        ] {
            let cli = parse(argv.iter().copied()).unwrap();
            assert_eq!(cli.addr.as_deref(), Some("h:1"));
            assert_eq!(cli.connect_timeout, Duration::from_millis(250));
            assert_eq!(cli.rpc_timeout, Duration::from_secs(1));
            assert_eq!(cli.user_agent, "grpc_health_probe");
        }
    }

    #[test]
    fn install_takes_all_spellings_and_no_probe_flag() {
        for argv in [
            &["p", "-install=/probe-bin/grpc-probe"][..],
            &["p", "-install", "/probe-bin/grpc-probe"],
            &["p", "--install=/probe-bin/grpc-probe"],
            &["p", "--install", "/probe-bin/grpc-probe", "-v"],
        ] {
            let cli = parse(argv.iter().copied()).unwrap();
            assert_eq!(cli.install, Some(PathBuf::from("/probe-bin/grpc-probe")));
        }
        for flag in [
            "-addr=:1",
            "-service=a",
            "-tls",
            "-tls=false",
            "-watch",
            "-version",
        ] {
            let refused = parse(["p", "-install=/x", flag]).unwrap_err();
            assert!(refused.is_error, "{flag}");
            let name = flag.split('=').next().unwrap();
            assert!(
                refused.text.contains("--install") && refused.text.contains(&format!("-{name}")),
                "{}",
                refused.text
            );
        }
    }

    #[test]
    fn go_booleans_and_verbose() {
        let cli = parse(["p", "-tls", "-gzip=false", "-v"]).unwrap();
        assert!(cli.tls && !cli.gzip && cli.verbose);
        let cli = parse(["p", "-tls=false", "--verbose", "-version"]).unwrap();
        assert!(!cli.tls && cli.verbose && cli.version);
        assert!(parse(["p", "-tls=maybe"]).unwrap_err().is_error);
    }

    #[test]
    fn repeated_flags_collect() {
        let cli = parse([
            "p",
            "-service=a",
            "-service",
            "b",
            "-rpc-header",
            "k: v",
            "-rpc-header=x:y",
        ])
        .unwrap();
        assert_eq!(cli.service, ["a", "b"]);
        assert_eq!(cli.rpc_header, ["k: v", "x:y"]);
    }

    #[test]
    fn errors_and_help() {
        assert!(parse(["p", "-nope"]).unwrap_err().is_error);
        assert!(parse(["p", "-connect-timeout=1x"]).unwrap_err().is_error);
        let help = parse(["p", "-help"]).unwrap_err();
        assert!(!help.is_error && help.text.contains("--rpc-header"));
        assert!(
            help.text
                .contains("(required) tcp host:port, :port, [::1]:port, or unix:PATH to connect"),
            "{}",
            help.text
        );
        assert!(!help.text.contains("rustdoc"), "{}", help.text);
        assert!(!parse(["p", "-h"]).unwrap_err().is_error);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
        #[test]
        fn parser_never_panics(args in proptest::collection::vec(
            prop_oneof![
                "-{1,2}(addr|service|tls|v|version|rpc-header|connect-timeout|wait|h|help)(=[ -~]{0,8})?",
                "[ -~]{0,12}",
                Just("--".to_owned()),
            ],
            0..8,
        )) {
            let _ = parse(std::iter::once("p".to_owned()).chain(args));
        }
    }
}
