//! Turns parsed flags into a checked [`Config`], keeping grpc-health-probe's
//! argument checks and messages (each one exits 1).

use std::path::PathBuf;
use std::time::Duration;

use http::{HeaderName, HeaderValue};

use crate::address::Target;
use crate::cli::Cli;
use crate::duration;

/// Largest accepted `-rpc-header` (name + value); servers commonly cap the
/// whole header block at 8-16 KiB.
const MAX_HEADER_LEN: usize = 8 * 1024;

/// What the run does after connecting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Check every service once, or retry until `wait` elapses.
    Check {
        /// `-wait`: the overall deadline for retries.
        wait: Option<Duration>,
    },
    /// Stream status changes of one service.
    Watch,
    /// Call List.
    List,
}

/// TLS settings; files are read later, by [`crate::tls`].
#[derive(Clone, Debug, Default)]
pub(crate) struct TlsOptions {
    /// Accept any server certificate.
    pub(crate) no_verify: bool,
    /// Trusted roots instead of the system's.
    pub(crate) ca_cert: Option<PathBuf>,
    /// Client certificate and key for mTLS.
    pub(crate) client_pair: Option<(PathBuf, PathBuf)>,
    /// SNI and verification name override.
    pub(crate) server_name: Option<String>,
}

/// A checked configuration.
#[derive(Debug)]
pub(crate) struct Config {
    /// `-addr` as given, for messages.
    pub(crate) addr: String,
    /// Where to connect.
    pub(crate) target: Target,
    /// Services to check; `[""]` by default.
    pub(crate) services: Vec<String>,
    /// Bound on TCP + TLS + HTTP/2 handshake + PING.
    pub(crate) connect_timeout: Duration,
    /// Bound on each RPC.
    pub(crate) rpc_timeout: Duration,
    /// `Some` with `-tls`.
    pub(crate) tls: Option<TlsOptions>,
    /// `-authority`, validated.
    pub(crate) authority: Option<String>,
    /// `-rpc-header`s, validated.
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
    /// `-user-agent`.
    pub(crate) user_agent: HeaderValue,
    /// `-gzip`.
    pub(crate) gzip: bool,
    /// `-v`.
    pub(crate) verbose: bool,
    /// Check, watch or list.
    pub(crate) mode: Mode,
}

impl Config {
    /// Applies the argument checks; the error is the message after `error: `.
    pub(crate) fn from_cli(cli: Cli) -> Result<Config, String> {
        if cli.alts {
            return Err("-alts is not supported by grpc-probe (use -tls)".into());
        }
        if cli.spiffe {
            return Err(
                "-spiffe is not supported by grpc-probe (use -tls with -tls-client-cert)".into(),
            );
        }
        let addr = cli
            .addr
            .clone()
            .filter(|a| !a.is_empty())
            .ok_or("-addr not specified")?;
        for (flag, d) in [
            ("-connect-timeout", cli.connect_timeout),
            ("-rpc-timeout", cli.rpc_timeout),
        ] {
            if d.is_zero() {
                return Err(format!(
                    "{flag} must be greater than zero (specified: {})",
                    duration::format(d)
                ));
            }
        }
        if cli.wait.is_some_and(|d| d.is_zero()) {
            return Err("-wait must be greater than zero (specified: 0s)".into());
        }
        check_tls_flags(&cli)?;
        let target = Target::parse(&addr)?;
        let authority = cli.authority.as_deref().map(parse_authority).transpose()?;
        let headers = cli
            .rpc_header
            .iter()
            .map(|h| parse_header(h))
            .collect::<Result<_, _>>()?;
        let user_agent = HeaderValue::from_str(&cli.user_agent).map_err(|_| {
            format!(
                "invalid -user-agent {:?}: not a valid header value",
                cli.user_agent
            )
        })?;
        let mode = match (cli.watch, cli.list) {
            (true, true) => return Err("cannot specify -watch with -list".into()),
            (true, false) if cli.service.len() > 1 => {
                return Err("-watch takes at most one -service".into());
            }
            (false, true) if !cli.service.is_empty() => {
                return Err("cannot specify -service with -list".into());
            }
            (_, _) if cli.wait.is_some() && (cli.watch || cli.list) => {
                return Err("-wait only applies to health checks, not to -watch or -list".into());
            }
            (true, false) => Mode::Watch,
            (false, true) => Mode::List,
            (false, false) => Mode::Check { wait: cli.wait },
        };
        let tls = cli.tls.then(|| TlsOptions {
            no_verify: cli.tls_no_verify,
            ca_cert: cli.tls_ca_cert,
            client_pair: cli.tls_client_cert.zip(cli.tls_client_key),
            server_name: cli.tls_server_name,
        });
        let services = if cli.service.is_empty() {
            vec![String::new()]
        } else {
            cli.service
        };
        Ok(Config {
            addr,
            target,
            services,
            connect_timeout: cli.connect_timeout,
            rpc_timeout: cli.rpc_timeout,
            tls,
            authority,
            headers,
            user_agent,
            gzip: cli.gzip,
            verbose: cli.verbose,
            mode,
        })
    }

    /// Upstream's `-v` dump of the parsed options.
    pub(crate) fn describe(&self) -> String {
        let mut s = format!(
            "parsed options:\n> addr={} conn_timeout={} rpc_timeout={}\n> tls={}",
            self.addr,
            duration::format(self.connect_timeout),
            duration::format(self.rpc_timeout),
            self.tls.is_some()
        );
        if let Some(t) = &self.tls {
            let show = |p: Option<&PathBuf>| p.map(|p| p.display().to_string()).unwrap_or_default();
            let pair = t.client_pair.as_ref();
            s += &format!(
                "\n  > no-verify={}\n  > ca-cert={}\n  > client-cert={}\n  > client-key={}\n  > server-name={}",
                t.no_verify,
                show(t.ca_cert.as_ref()),
                show(pair.map(|p| &p.0)),
                show(pair.map(|p| &p.1)),
                t.server_name.as_deref().unwrap_or_default()
            );
        }
        s
    }
}

/// Checks `-authority`: a host, optionally with a port, as HTTP/2 allows in
/// `:authority` (no user info, no path).
fn parse_authority(authority: &str) -> Result<String, String> {
    let bad =
        |why: &str| format!("invalid -authority {authority:?}: {why} (want host or host:port)");
    if authority.is_empty() {
        return Err(bad("empty"));
    }
    if authority.contains('@') {
        return Err(bad("user info is not allowed"));
    }
    let parsed: http::uri::Authority = authority
        .parse()
        .map_err(|_| bad("not a valid authority"))?;
    if parsed.host().is_empty() {
        return Err(bad("no host"));
    }
    match authority.strip_prefix(parsed.host()).unwrap_or_default() {
        "" => {}
        port if port
            .strip_prefix(':')
            .is_some_and(|p| p.parse::<u16>().is_ok()) => {}
        _ => return Err(bad("bad port")),
    }
    Ok(authority.to_owned())
}

/// grpc-health-probe's TLS flag combination checks, in its order.
fn check_tls_flags(cli: &Cli) -> Result<(), String> {
    let needs_tls = [
        ("-tls-no-verify", cli.tls_no_verify),
        ("-tls-ca-cert", cli.tls_ca_cert.is_some()),
        ("-tls-client-cert", cli.tls_client_cert.is_some()),
        ("-tls-server-name", cli.tls_server_name.is_some()),
    ];
    if let Some((flag, _)) = needs_tls.iter().find(|(_, set)| *set && !cli.tls) {
        return Err(format!("specified {flag} without specifying -tls"));
    }
    match (&cli.tls_client_cert, &cli.tls_client_key) {
        (Some(_), None) => {
            return Err("specified -tls-client-cert without specifying -tls-client-key".into());
        }
        (None, Some(_)) => {
            return Err("specified -tls-client-key without specifying -tls-client-cert".into());
        }
        _ => {}
    }
    if cli.tls_no_verify && cli.tls_ca_cert.is_some() {
        return Err(
            "cannot specify -tls-ca-cert with -tls-no-verify (CA cert would not be used)".into(),
        );
    }
    if cli.tls_no_verify && cli.tls_server_name.is_some() {
        return Err(
            "cannot specify -tls-server-name with -tls-no-verify (server name would not be used)"
                .into(),
        );
    }
    Ok(())
}

/// Parses `-rpc-header 'name: value'` as upstream does (split at the first
/// colon, leading spaces of the value trimmed), then validates it for HTTP/2.
fn parse_header(text: &str) -> Result<(HeaderName, HeaderValue), String> {
    if text.len() > MAX_HEADER_LEN {
        return Err(format!(
            "-rpc-header too large ({} bytes, at most {MAX_HEADER_LEN})",
            text.len()
        ));
    }
    let (name, value) = text
        .split_once(':')
        .ok_or_else(|| format!("invalid -rpc-header, expected 'key: value', got {text:?}"))?;
    let name = HeaderName::from_bytes(name.trim().to_ascii_lowercase().as_bytes())
        .map_err(|_| format!("invalid -rpc-header name in {text:?}"))?;
    let value = HeaderValue::from_str(value.trim_start())
        .map_err(|_| format!("invalid -rpc-header value in {text:?}"))?;
    Ok((name, value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli;

    fn config(args: &[&str]) -> Result<Config, String> {
        Config::from_cli(cli::parse(std::iter::once("p").chain(args.iter().copied())).unwrap())
    }

    fn error(args: &[&str]) -> String {
        config(args).unwrap_err()
    }

    #[test]
    fn upstream_argument_checks() {
        assert_eq!(error(&[]), "-addr not specified");
        assert_eq!(
            error(&["-addr=:1", "-connect-timeout=0"]),
            "-connect-timeout must be greater than zero (specified: 0s)"
        );
        assert!(
            error(&["-addr=:1", "-rpc-timeout=0s"]).starts_with("-rpc-timeout must be greater")
        );
        assert_eq!(
            error(&["-addr=:1", "-tls-no-verify"]),
            "specified -tls-no-verify without specifying -tls"
        );
        assert_eq!(
            error(&["-addr=:1", "-tls-ca-cert=x"]),
            "specified -tls-ca-cert without specifying -tls"
        );
        assert_eq!(
            error(&["-addr=:1", "-tls-server-name=x"]),
            "specified -tls-server-name without specifying -tls"
        );
        assert!(
            error(&["-addr=:1", "-tls", "-tls-client-cert=c"])
                .contains("without specifying -tls-client-key")
        );
        assert!(
            error(&["-addr=:1", "-tls", "-tls-client-key=k"])
                .contains("without specifying -tls-client-cert")
        );
        assert!(
            error(&["-addr=:1", "-tls", "-tls-no-verify", "-tls-ca-cert=c"])
                .contains("CA cert would not be used")
        );
        assert!(
            error(&["-addr=:1", "-tls", "-tls-no-verify", "-tls-server-name=n"])
                .contains("server name would")
        );
    }

    #[test]
    fn unsupported_and_conflicting_modes() {
        assert!(error(&["-addr=:1", "-alts"]).contains("-alts is not supported"));
        assert!(error(&["-addr=:1", "-spiffe"]).contains("-spiffe is not supported"));
        assert!(error(&["-addr=:1", "-watch", "-list"]).contains("-watch with -list"));
        assert!(error(&["-addr=:1", "-watch", "-service=a", "-service=b"]).contains("at most one"));
        assert!(error(&["-addr=:1", "-list", "-service=a"]).contains("-service with -list"));
        assert!(error(&["-addr=:1", "-wait=1s", "-watch"]).contains("-wait only applies"));
    }

    #[test]
    fn authority_is_a_host_and_optional_port() {
        for good in [
            "api.example.com",
            "api.example.com:443",
            "[::1]:8080",
            "10.0.0.1",
        ] {
            assert_eq!(
                config(&["-addr=:1", &format!("-authority={good}")])
                    .unwrap()
                    .authority
                    .as_deref(),
                Some(good)
            );
        }
        assert_eq!(config(&["-addr=:1"]).unwrap().authority, None);
        for (bad, why) in [
            ("", "empty"),
            ("user@host:1", "user info"),
            ("host/path", "not a valid authority"),
            ("host:port", "bad port"),
            ("host:99999", "bad port"),
            ("a b", "not a valid authority"),
        ] {
            let message = error(&["-addr=:1", &format!("-authority={bad}")]);
            assert!(
                message.starts_with(&format!("invalid -authority {bad:?}: {why}")),
                "{message}"
            );
        }
    }

    #[test]
    fn headers_follow_upstream_format() {
        let c = config(&[
            "-addr=:1",
            "-rpc-header",
            "X-Token:   abc def",
            "-rpc-header=k:",
        ])
        .unwrap();
        assert_eq!(c.headers[0].0, "x-token");
        assert_eq!(c.headers[0].1, "abc def");
        assert_eq!(c.headers[1].1, "");
        assert!(error(&["-addr=:1", "-rpc-header=novalue"]).contains("expected 'key: value'"));
        assert!(
            error(&["-addr=:1", "-rpc-header=bad name: v"]).contains("invalid -rpc-header name")
        );
        let huge = format!("-rpc-header=k: {}", "v".repeat(MAX_HEADER_LEN));
        assert!(error(&["-addr=:1", &huge]).contains("-rpc-header too large"));
    }

    #[test]
    fn defaults() {
        let c = config(&["-addr=:50051"]).unwrap();
        assert_eq!(c.services, [""]);
        assert_eq!(c.mode, Mode::Check { wait: None });
        assert!(c.tls.is_none());
        assert_eq!(c.user_agent, "grpc_health_probe");
    }
}
