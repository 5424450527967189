//! Parsing a target: `dns:///host:port`, or a comma-separated list of
//! `host:port` (IP literals, or names resolved like a DNS target).

use std::fmt;
use std::net::{IpAddr, SocketAddr};

/// One `host:port` of a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HostPort {
    /// A name or an IP literal (without brackets).
    pub(crate) host: String,
    pub(crate) port: u16,
}

impl HostPort {
    /// The address, when the host is an IP literal.
    pub(crate) fn literal(&self) -> Option<SocketAddr> {
        self.host
            .parse::<IpAddr>()
            .ok()
            .map(|ip| SocketAddr::new(ip, self.port))
    }
}

impl fmt::Display for HostPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// A parsed target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    pub(crate) hosts: Vec<HostPort>,
    /// `dns:///`: re-resolved periodically and after connection failures.
    pub(crate) dns: bool,
}

impl Target {
    /// Whether the addresses never change: a list of IP literals.
    pub(crate) fn is_static(&self) -> bool {
        !self.dns && self.hosts.iter().all(|host| host.literal().is_some())
    }
}

/// Parses `target`, with a message that says what to fix.
pub(crate) fn parse(target: &str) -> Result<Target, String> {
    let target = target.trim();
    if let Some(rest) = target.strip_prefix("dns:") {
        let Some(name) = rest.strip_prefix("///") else {
            return Err(format!(
                "target {target:?}: write dns:///host:port (a DNS authority such as \
                 dns://8.8.8.8/host:port is not supported; names go to the builder's \
                 resolver, the system's unless Builder::resolver names another)"
            ));
        };
        return Ok(Target {
            hosts: vec![host_port(target, name)?],
            dns: true,
        });
    }
    if target.contains("://") {
        return Err(format!(
            "target {target:?}: the scheme is not supported; write dns:///host:port or \
             host:port,host:port"
        ));
    }
    let hosts = target
        .split(',')
        .map(|entry| host_port(target, entry.trim()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Target { hosts, dns: false })
}

fn host_port(target: &str, entry: &str) -> Result<HostPort, String> {
    let fix = || {
        format!(
            "target {target:?}: {entry:?} is not host:port (write e.g. 10.0.0.1:50051, \
             [::1]:50051 or greeter.shop.svc.cluster.local:50051)"
        )
    };
    let (host, port) = entry.rsplit_once(':').ok_or_else(fix)?;
    let port = port.parse::<u16>().map_err(|_| fix())?;
    let host = match host.strip_prefix('[') {
        Some(bracketed) => bracketed.strip_suffix(']').ok_or_else(fix)?,
        None if host.contains(':') => return Err(fix()),
        None => host,
    };
    if host.is_empty() {
        return Err(fix());
    }
    Ok(HostPort {
        host: host.to_owned(),
        port,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lists_and_dns_targets() {
        let list = parse("127.0.0.1:1, [::1]:2,greeter:3").expect("valid");
        assert!(!list.dns && !list.is_static());
        let shown: Vec<String> = list.hosts.iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["127.0.0.1:1", "[::1]:2", "greeter:3"]);
        assert_eq!(
            list.hosts[1].literal(),
            Some("[::1]:2".parse().expect("an address"))
        );
        assert_eq!(list.hosts[2].literal(), None);

        let dns = parse("dns:///greeter-headless.shop.svc.cluster.local:50051").expect("valid");
        assert!(dns.dns && !dns.is_static());
        assert_eq!(dns.hosts[0].port, 50051);

        assert!(parse("127.0.0.1:1,127.0.0.2:1").expect("valid").is_static());
    }

    #[test]
    fn bad_targets_say_what_to_write() {
        for (target, words) in [
            ("localhost", "is not host:port"),
            ("::1:50051", "is not host:port"),
            ("host:port", "is not host:port"),
            ("dns://8.8.8.8/host:1", "not supported"),
            ("http://host:1", "scheme is not supported"),
            ("a:1,,b:2", "is not host:port"),
        ] {
            let error = parse(target).expect_err(target);
            assert!(error.contains(words), "{target}: {error}");
        }
    }
}
