//! The one table of flags: each flag's name, the kind of value it takes, where
//! that value goes in [`Cli`], and its help text. Parsing, the help output and
//! the README's flag-table test all read it; it is a `static`, so nothing is
//! built per run.

use std::path::PathBuf;
use std::time::Duration;

use super::Cli;

/// The value a flag takes, its name in the help, and the setter storing it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Kind {
    /// No value (true), or `=value` with one of Go's `strconv.ParseBool` words.
    Bool {
        /// Stores the value.
        set: fn(&mut Cli, bool),
    },
    /// A string; given again, the last one wins (as in Go).
    Text {
        /// The value's name in the help.
        value: &'static str,
        /// Stores the value.
        set: fn(&mut Cli, String),
    },
    /// A string that may be given several times; each one is kept.
    Repeated {
        /// The value's name in the help.
        value: &'static str,
        /// Adds the value.
        set: fn(&mut Cli, String),
    },
    /// A Go duration (`250ms`, `1m30s`); the last one wins.
    Duration {
        /// The value's name in the help.
        value: &'static str,
        /// Stores the value.
        set: fn(&mut Cli, Duration),
    },
    /// A file system path; the last one wins.
    Path {
        /// The value's name in the help.
        value: &'static str,
        /// Stores the value.
        set: fn(&mut Cli, PathBuf),
    },
}

impl Kind {
    /// The value's name in the help; `None` for booleans, which take none.
    pub(crate) const fn value_name(self) -> Option<&'static str> {
        match self {
            Kind::Bool { .. } => None,
            Kind::Text { value, .. }
            | Kind::Repeated { value, .. }
            | Kind::Duration { value, .. }
            | Kind::Path { value, .. } => Some(value),
        }
    }
}

/// One flag of the table.
#[derive(Debug)]
pub(crate) struct Flag {
    /// The name after the dash(es).
    pub(crate) name: &'static str,
    /// A second name for the same flag.
    pub(crate) alias: Option<&'static str>,
    /// The value it takes and where it goes.
    pub(crate) kind: Kind,
    /// The help text, defaults included.
    pub(crate) help: &'static str,
}

impl Flag {
    /// Whether the flag may be given with `-install`, which copies the
    /// executable and does nothing else: only `-v` means something there.
    pub(crate) fn goes_with_install(&self) -> bool {
        matches!(self.name, "install" | "v")
    }
}

/// Looks a flag up by its name or alias, as given after the dash(es).
pub(crate) fn lookup(name: &str) -> Option<&'static Flag> {
    FLAGS
        .iter()
        .find(|flag| flag.name == name || flag.alias == Some(name))
}

/// Every flag, in the order the help lists them: grpc-health-probe's, then
/// ours (marked "(extra)").
pub(crate) static FLAGS: [Flag; 22] = [
    Flag {
        name: "addr",
        alias: None,
        kind: Kind::Text {
            value: "ADDR",
            set: |cli, v| cli.addr = Some(v),
        },
        help: "(required) tcp host:port, :port, [::1]:port, or unix:PATH to connect",
    },
    Flag {
        name: "service",
        alias: None,
        kind: Kind::Repeated {
            value: "NAME",
            set: |cli, v| cli.service.push(v),
        },
        help: "service name to check (default: \"\"); repeat to require several",
    },
    Flag {
        name: "connect-timeout",
        alias: None,
        kind: Kind::Duration {
            value: "DURATION",
            set: |cli, v| cli.connect_timeout = v,
        },
        help: "timeout for establishing connection (default: 1s)",
    },
    Flag {
        name: "rpc-timeout",
        alias: None,
        kind: Kind::Duration {
            value: "DURATION",
            set: |cli, v| cli.rpc_timeout = v,
        },
        help: "timeout for health check rpc (default: 1s)",
    },
    Flag {
        name: "tls",
        alias: None,
        kind: Kind::Bool {
            set: |cli, v| cli.tls = v,
        },
        help: "use TLS (default: false, INSECURE plaintext transport)",
    },
    Flag {
        name: "tls-no-verify",
        alias: None,
        kind: Kind::Bool {
            set: |cli, v| cli.tls_no_verify = v,
        },
        help: "(with -tls) don't verify the certificate (INSECURE) presented by the server",
    },
    Flag {
        name: "tls-ca-cert",
        alias: None,
        kind: Kind::Path {
            value: "FILE",
            set: |cli, v| cli.tls_ca_cert = Some(v),
        },
        help: "(with -tls, optional) file containing trusted certificates for verifying server",
    },
    Flag {
        name: "tls-client-cert",
        alias: None,
        kind: Kind::Path {
            value: "FILE",
            set: |cli, v| cli.tls_client_cert = Some(v),
        },
        help: "(with -tls, optional) client certificate for authenticating to the server \
               (requires -tls-client-key)",
    },
    Flag {
        name: "tls-client-key",
        alias: None,
        kind: Kind::Path {
            value: "FILE",
            set: |cli, v| cli.tls_client_key = Some(v),
        },
        help: "(with -tls) client private key (PKCS#8, RSA or SEC1 PEM) \
               (requires -tls-client-cert)",
    },
    Flag {
        name: "tls-server-name",
        alias: None,
        kind: Kind::Text {
            value: "NAME",
            set: |cli, v| cli.tls_server_name = Some(v),
        },
        help: "(with -tls) override the hostname used to verify the server certificate",
    },
    Flag {
        name: "rpc-header",
        alias: None,
        kind: Kind::Repeated {
            value: "HEADER",
            set: |cli, v| cli.rpc_header.push(v),
        },
        help: "additional RPC header in 'name: value' format; may be repeated",
    },
    Flag {
        name: "user-agent",
        alias: None,
        kind: Kind::Text {
            value: "UA",
            set: |cli, v| cli.user_agent = v,
        },
        help: "user-agent header value of health check requests (default: grpc_health_probe)",
    },
    Flag {
        name: "gzip",
        alias: None,
        kind: Kind::Bool {
            set: |cli, v| cli.gzip = v,
        },
        help: "use GZIP compression for the request and accept it for the response",
    },
    Flag {
        name: "v",
        alias: Some("verbose"),
        kind: Kind::Bool {
            set: |cli, v| cli.verbose = v,
        },
        help: "verbose logs, with connect, TLS and RPC timings",
    },
    Flag {
        name: "version",
        alias: None,
        kind: Kind::Bool {
            set: |cli, v| cli.version = v,
        },
        help: "print the version and exit",
    },
    Flag {
        name: "alts",
        alias: None,
        kind: Kind::Bool {
            set: |cli, v| cli.alts = v,
        },
        help: "use ALTS (not supported: exits 1)",
    },
    Flag {
        name: "spiffe",
        alias: None,
        kind: Kind::Bool {
            set: |cli, v| cli.spiffe = v,
        },
        help: "use SPIFFE Workload API credentials (not supported: exits 1)",
    },
    Flag {
        name: "wait",
        alias: None,
        kind: Kind::Duration {
            value: "DURATION",
            set: |cli, v| cli.wait = Some(v),
        },
        help: "(extra) retry connection failures, UNAVAILABLE and NOT_SERVING with backoff \
               for up to DURATION",
    },
    Flag {
        name: "watch",
        alias: None,
        kind: Kind::Bool {
            set: |cli, v| cli.watch = v,
        },
        help: "(extra) watch the service and print every status change until the stream ends \
               or a signal",
    },
    Flag {
        name: "list",
        alias: None,
        kind: Kind::Bool {
            set: |cli, v| cli.list = v,
        },
        help: "(extra) list every service and its status (grpc.health.v1.Health/List)",
    },
    Flag {
        name: "authority",
        alias: None,
        kind: Kind::Text {
            value: "HOST[:PORT]",
            set: |cli, v| cli.authority = Some(v),
        },
        help: "(extra) the :authority sent (default: -addr, or -tls-server-name with -tls); \
               never the name the certificate is verified against",
    },
    Flag {
        name: "install",
        alias: None,
        kind: Kind::Path {
            value: "PATH",
            set: |cli, v| cli.install = Some(v),
        },
        help: "(extra) copy this executable to PATH (a file, or a directory to hold grpc-probe) \
               and exit, for init containers without cp; takes no other flag but -v",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_well_formed() {
        let names: Vec<&str> = FLAGS
            .iter()
            .flat_map(|f| std::iter::once(f.name).chain(f.alias))
            .collect();
        for (i, name) in names.iter().enumerate() {
            assert!(!names[..i].contains(name), "-{name} twice");
            assert!(
                !name.is_empty()
                    && !name.starts_with('-')
                    && !name.contains('=')
                    && !matches!(*name, "h" | "help"),
                "bad flag name {name:?}"
            );
            assert!(
                lookup(name).is_some_and(|f| f.name == *name || f.alias == Some(*name)),
                "-{name} is not found"
            );
        }
        assert!(lookup("nope").is_none());
    }

    #[test]
    fn only_booleans_take_no_value() {
        for flag in &FLAGS {
            let is_bool = matches!(flag.kind, Kind::Bool { .. });
            assert_eq!(flag.kind.value_name().is_none(), is_bool, "-{}", flag.name);
        }
    }
}
