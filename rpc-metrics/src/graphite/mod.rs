//! Pushes a prometheus-client registry to Graphite, as the plaintext
//! protocol carbon listens for on port 2003: every `interval`, each sample
//! as `prefix.name.label.value… value timestamp` (see [`GraphitePusher`]).
//!
//! Points that cannot be sent stay buffered (up to a bound, oldest dropped
//! first) and go out, with their own timestamps, once carbon is back: a
//! restart of carbon leaves no gap as long as the buffer holds.

mod lines;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use prometheus_client::registry::Registry;
use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpStream;

use crate::builder::ConfigError;

/// Default push interval, as the original monitoring plotted.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(10);

/// Default bound on points waiting for carbon: 4 MiB of lines.
pub const DEFAULT_MAX_BUFFERED_BYTES: usize = 4 << 20;

/// Writes a registry's samples to a Graphite plaintext endpoint.
///
/// ```no_run
/// # async fn example(registry: std::sync::Arc<prometheus_client::registry::Registry>) -> Result<(), grpc_rpc_metrics::ConfigError> {
/// use grpc_rpc_metrics::graphite::GraphitePusher;
/// let pusher = GraphitePusher::new("graphite.internal:2003", registry).prefix("myapp.pod-1")?;
/// tokio::spawn(pusher.run());
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct GraphitePusher {
    addr: String,
    registry: Arc<Registry>,
    prefix: String,
    interval: Duration,
    max_buffered: usize,
    pending: String,
    connection: Option<TcpStream>,
}

impl GraphitePusher {
    /// Pushes `registry` to `addr` (`host:port`, carbon's line receiver is
    /// usually on port 2003), every [`DEFAULT_INTERVAL`], without a prefix.
    pub fn new(addr: impl Into<String>, registry: Arc<Registry>) -> Self {
        Self {
            addr: addr.into(),
            registry,
            prefix: String::new(),
            interval: DEFAULT_INTERVAL,
            max_buffered: DEFAULT_MAX_BUFFERED_BYTES,
            pending: String::new(),
            connection: None,
        }
    }

    /// Puts `prefix` (dot-separated parts of letters, digits, `_` and `-`,
    /// e.g. `myapp.pod-1`) before every path.
    pub fn prefix(mut self, prefix: &str) -> Result<Self, ConfigError> {
        let valid_part = |part: &str| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        };
        if !prefix.split('.').all(valid_part) {
            return Err(ConfigError::new(format!(
                "Graphite prefix {prefix:?} is not valid: give dot-separated parts of letters, \
                 digits, '_' and '-', e.g. myapp.pod-1"
            )));
        }
        prefix.clone_into(&mut self.prefix);
        Ok(self)
    }

    /// How often to push (at least one second: carbon stores one point per
    /// second at best).
    pub fn interval(mut self, interval: Duration) -> Result<Self, ConfigError> {
        if interval < Duration::from_secs(1) {
            return Err(ConfigError::new(format!(
                "Graphite interval {interval:?} is too short: give at least 1s"
            )));
        }
        self.interval = interval;
        Ok(self)
    }

    /// The most bytes of lines kept while carbon cannot be reached; older
    /// lines are dropped first. Default [`DEFAULT_MAX_BUFFERED_BYTES`].
    #[must_use]
    pub fn max_buffered_bytes(mut self, bytes: usize) -> Self {
        self.max_buffered = bytes;
        self
    }

    /// Bytes of lines waiting to be sent.
    pub fn buffered_bytes(&self) -> usize {
        self.pending.len()
    }

    /// Pushes every interval, forever; failures are logged and retried with
    /// the next push. Spawn it.
    pub async fn run(mut self) {
        let mut ticker = tokio::time::interval(self.interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            if let Err(error) = self.push_once().await {
                tracing::warn!(
                    addr = %self.addr,
                    buffered_bytes = self.pending.len(),
                    "cannot push metrics to Graphite (kept for the next push): {error}"
                );
            }
        }
    }

    /// Takes the registry's samples now and sends them with whatever is
    /// still buffered, connecting first if needed; returns the lines taken.
    /// On failure the connection is dropped and the lines stay buffered.
    pub async fn push_once(&mut self) -> std::io::Result<usize> {
        let mut exposition = String::new();
        prometheus_client::encoding::text::encode(&mut exposition, &self.registry)
            .map_err(|_| std::io::Error::other("cannot encode the registry"))?;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_secs());
        let taken = lines::append(&mut self.pending, &self.prefix, &exposition, now);
        self.trim();
        self.send().await?;
        Ok(taken)
    }

    /// Drops the oldest whole lines beyond the bound.
    fn trim(&mut self) {
        let excess = self.pending.len().saturating_sub(self.max_buffered);
        if excess == 0 {
            return;
        }
        let cut = self.pending[excess..]
            .find('\n')
            .map_or(self.pending.len(), |newline| excess + newline + 1);
        let dropped = self.pending[..cut].matches('\n').count();
        self.pending.drain(..cut);
        tracing::warn!(dropped, "Graphite buffer full: dropped the oldest lines");
    }

    async fn send(&mut self) -> std::io::Result<()> {
        // A stuck carbon must not stall pushes forever: one interval at most.
        let limit = self.interval;
        let result = tokio::time::timeout(limit, async {
            if self.connection.as_ref().is_some_and(peer_closed) {
                self.connection = None;
            }
            if self.connection.is_none() {
                self.connection = Some(TcpStream::connect(&self.addr).await?);
            }
            if let Some(connection) = &mut self.connection {
                connection.write_all(self.pending.as_bytes()).await?;
                connection.flush().await?;
            }
            Ok::<(), std::io::Error>(())
        })
        .await
        .unwrap_or_else(|_| {
            Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("no progress within {limit:?}"),
            ))
        });
        match result {
            Ok(()) => {
                self.pending.clear();
                Ok(())
            }
            Err(error) => {
                self.connection = None;
                Err(std::io::Error::new(
                    error.kind(),
                    format!("{}: {error}", self.addr),
                ))
            }
        }
    }
}

/// Whether carbon closed the connection (it never sends anything, so
/// anything readable means end of stream or an error): writing would only
/// fill a dead socket's buffer.
fn peer_closed(connection: &TcpStream) -> bool {
    let mut byte = [0; 1];
    !matches!(connection.try_read(&mut byte), Err(error) if error.kind() == std::io::ErrorKind::WouldBlock)
}

#[cfg(test)]
mod tests;
