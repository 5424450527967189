//! The `-addr` forms: `host:port`, `:port`, `[::1]:port`, DNS names,
//! `unix:///abs/path` and `unix:rel/path`; and `localhost`, which names both
//! loopback addresses without asking the resolver.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;

/// Where to connect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    /// A TCP host (name or IP literal, without brackets) and port.
    Tcp {
        /// Host name or IP literal.
        host: String,
        /// TCP port.
        port: u16,
    },
    /// A unix domain socket path.
    Unix(PathBuf),
}

impl Target {
    /// Parses `-addr`.
    pub(crate) fn parse(addr: &str) -> Result<Target, String> {
        if let Some(rest) = addr.strip_prefix("unix:") {
            // `unix://` must be followed by an absolute path, as in gRPC naming.
            let path = match rest.strip_prefix("//") {
                Some(p) if p.starts_with('/') => p,
                Some(_) => {
                    return Err(format!(
                        "invalid -addr {addr:?}: unix:// needs an absolute path (unix:///path)"
                    ));
                }
                None => rest,
            };
            if path.is_empty() {
                return Err(format!("invalid -addr {addr:?}: empty unix socket path"));
            }
            return Ok(Target::Unix(PathBuf::from(path)));
        }
        let bad = |why: &str| {
            format!(
                "invalid -addr {addr:?}: {why} (want host:port, :port, [::1]:port or unix:PATH)"
            )
        };
        let (host, port) = addr.rsplit_once(':').ok_or_else(|| bad("missing port"))?;
        let host = match host.strip_prefix('[') {
            Some(h) => h.strip_suffix(']').ok_or_else(|| bad("unclosed '['"))?,
            None if host.contains(':') => return Err(bad("IPv6 addresses need brackets")),
            None => host,
        };
        let port: u16 = port.parse().map_err(|_| bad("bad port"))?;
        let host = if host.is_empty() { "localhost" } else { host };
        Ok(Target::Tcp {
            host: host.to_owned(),
            port,
        })
    }

    /// The HTTP/2 `:authority`, and the default TLS server name's host part.
    pub(crate) fn authority(&self) -> String {
        match self {
            Target::Tcp { host, port } if host.contains(':') => format!("[{host}]:{port}"),
            Target::Tcp { host, port } => format!("{host}:{port}"),
            Target::Unix(_) => "localhost".to_owned(),
        }
    }

    /// The addresses of a `localhost` host (any case, a trailing dot too):
    /// 127.0.0.1 then ::1, as RFC 6761 lets a client assume, so that the
    /// probe reaches a server listening on either loopback even in an image
    /// with no /etc/hosts (or one naming only 127.0.0.1). `None` for other hosts.
    pub(crate) fn loopbacks(&self) -> Option<[IpAddr; 2]> {
        match self {
            Target::Tcp { host, .. }
                if host
                    .strip_suffix('.')
                    .unwrap_or(host)
                    .eq_ignore_ascii_case("localhost") =>
            {
                Some([
                    IpAddr::V4(Ipv4Addr::LOCALHOST),
                    IpAddr::V6(Ipv6Addr::LOCALHOST),
                ])
            }
            _ => None,
        }
    }

    /// The name the server certificate is verified against by default.
    pub(crate) fn tls_name(&self) -> &str {
        match self {
            Target::Tcp { host, .. } => host,
            Target::Unix(_) => "localhost",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Target;

    fn tcp(host: &str, port: u16) -> Target {
        Target::Tcp {
            host: host.to_owned(),
            port,
        }
    }

    #[test]
    fn parses_tcp_forms() {
        assert_eq!(
            Target::parse("127.0.0.1:50051"),
            Ok(tcp("127.0.0.1", 50051))
        );
        assert_eq!(Target::parse(":8080"), Ok(tcp("localhost", 8080)));
        assert_eq!(Target::parse("[::1]:9"), Ok(tcp("::1", 9)));
        assert_eq!(
            Target::parse("svc.ns.svc.cluster.local:443"),
            Ok(tcp("svc.ns.svc.cluster.local", 443))
        );
    }

    #[test]
    fn parses_unix_forms() {
        assert_eq!(
            Target::parse("unix:///run/app.sock"),
            Ok(Target::Unix("/run/app.sock".into()))
        );
        assert_eq!(
            Target::parse("unix:rel/app.sock"),
            Ok(Target::Unix("rel/app.sock".into()))
        );
        assert_eq!(
            Target::parse("unix:/abs.sock"),
            Ok(Target::Unix("/abs.sock".into()))
        );
        assert!(Target::parse("unix://rel.sock").is_err());
        assert!(Target::parse("unix:").is_err());
    }

    #[test]
    fn rejects_bad_tcp_forms() {
        for bad in [
            "localhost",
            "host:",
            "host:99999",
            "::1:80",
            "[::1:80",
            "host:port",
        ] {
            assert!(Target::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn authority_and_tls_name() {
        assert_eq!(tcp("::1", 5).authority(), "[::1]:5");
        assert_eq!(tcp("example.com", 443).authority(), "example.com:443");
        assert_eq!(tcp("example.com", 443).tls_name(), "example.com");
        assert_eq!(Target::Unix("/s".into()).authority(), "localhost");
    }

    #[test]
    fn localhost_is_both_loopbacks() {
        for host in ["localhost", "LocalHost", "localhost."] {
            let both = tcp(host, 1).loopbacks().expect("loopbacks");
            assert!(both[0].is_ipv4() && both[0].is_loopback(), "{host}");
            assert!(both[1].is_ipv6() && both[1].is_loopback(), "{host}");
        }
        assert_eq!(
            Target::parse(":9")
                .expect("parses")
                .loopbacks()
                .map(|a| a.len()),
            Some(2)
        );
        for other in ["localhost.example", "127.0.0.1", "myhost"] {
            assert_eq!(tcp(other, 1).loopbacks(), None, "{other}");
        }
        assert_eq!(Target::Unix("/s".into()).loopbacks(), None);
    }
}
