//! Feature `tcp`: passes when a TCP connection to `host:port` opens.
//!
//! Every address the name resolves to is tried at once; the first connection
//! that opens passes the check. A failure names each address and its error:
//! `tcp connect to db:5432 failed: 10.0.0.7:5432: Connection refused (os error 111); [fd00::7]:5432: no answer within 600ms`.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use tokio::net::{TcpStream, lookup_host};
use tokio::time::{Instant, timeout_at};

use super::{Common, common_builder};
use grpc_health_checks::Check;

/// A readiness check that opens a TCP connection to `host:port`.
///
/// ```
/// # #[tokio::main] async fn main() {
/// use grpc_health_checks::HealthChecks;
/// use grpc_health_contrib::tcp::TcpCheck;
///
/// let (health, handle) = HealthChecks::new().check(TcpCheck::new("localhost:5432").into_check()).build().expect("valid health configuration");
/// # let _ = (health, handle); }
/// ```
#[derive(Clone, Debug)]
pub struct TcpCheck {
    target: String,
    common: Common,
}

impl TcpCheck {
    /// Connects to `target`, a `host:port` (a name, an IPv4 address or `[IPv6]:port`).
    pub fn new(target: impl Into<String>) -> Self {
        Self {
            target: target.into(),
            common: Common::default(),
        }
    }

    /// The [`Check`], in [`Group::Readiness`](grpc_health_checks::Group::Readiness).
    pub fn into_check(self) -> Check {
        let wait = self.common.wait();
        let default_name = format!("tcp {}", self.target);
        let target: Arc<str> = self.target.into();
        self.common.finish(default_name, |name| {
            Check::new_async(name, move || connect_any(target.clone(), wait))
        })
    }
}

common_builder!(TcpCheck, "tcp <target>");

/// Resolves `target` and connects to all its addresses at once, within `wait`.
async fn connect_any(target: Arc<str>, wait: Duration) -> Result<(), String> {
    let deadline = Instant::now() + wait;
    let failed = |why: String| format!("tcp connect to {target} failed: {why}");
    let addrs: Vec<_> = match timeout_at(deadline, lookup_host(&*target)).await {
        Ok(Ok(addrs)) => addrs.collect(),
        Ok(Err(error)) => return Err(failed(format!("cannot resolve: {error}"))),
        Err(_) => return Err(failed(format!("not resolved within {wait:?}"))),
    };
    if addrs.is_empty() {
        return Err(failed("the name resolves to no address".to_owned()));
    }
    let mut attempts: FuturesUnordered<_> = addrs
        .iter()
        .enumerate()
        .map(|(index, &addr)| async move {
            (index, timeout_at(deadline, TcpStream::connect(addr)).await)
        })
        .collect();
    let mut errors = vec![String::new(); addrs.len()];
    while let Some((index, attempt)) = attempts.next().await {
        let addr = addrs[index];
        errors[index] = match attempt {
            // The other attempts are cancelled as `attempts` is dropped.
            Ok(Ok(_connected)) => return Ok(()),
            Ok(Err(error)) => format!("{addr}: {error}"),
            Err(_) => format!("{addr}: no answer within {wait:?}"),
        };
    }
    Err(failed(errors.join("; ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_target_without_port_is_reported() {
        let reason = connect_any("127.0.0.1".into(), Duration::from_secs(20))
            .await
            .expect_err("no port");
        assert!(reason.contains("cannot resolve"), "{reason}");
    }
}
