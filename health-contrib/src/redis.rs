//! Feature `redis`: `PING` through the `redis` crate's async `ConnectionManager`,
//! which keeps one multiplexed connection and reconnects when it breaks.
//!
//! Failure reasons: `redis PING to 127.0.0.1:6379 failed: Connection refused (os error 111)`,
//! `redis PING to 127.0.0.1:6379 failed: no answer within 600ms`.

use std::sync::Arc;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::sync::OnceCell;

use super::{Common, common_builder};
use grpc_health_checks::Check;
use grpc_health_checks::error_reason;

/// A readiness check sending `PING` to Redis.
///
/// ```
/// # fn main() -> redis::RedisResult<()> {
/// use grpc_health_contrib::redis::RedisCheck;
///
/// let check = RedisCheck::new(redis::Client::open("redis://127.0.0.1:6379")?).into_check();
/// # let _ = check; Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisCheck {
    connection: Connection,
    target: String,
    common: Common,
}

impl std::fmt::Debug for RedisCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisCheck")
            .field("target", &self.target)
            .field("common", &self.common)
            .finish_non_exhaustive()
    }
}

impl RedisCheck {
    /// PINGs the server `client` points at, through a `ConnectionManager` the
    /// check creates on its first run (so the server may be down at start-up).
    /// It makes one connection attempt per run, bounded by the check's wait,
    /// so that a failure names its cause.
    pub fn new(client: redis::Client) -> Self {
        let target = client.get_connection_info().addr().to_string();
        Self {
            connection: Connection::Lazy {
                client: Box::new(client),
                manager: OnceCell::new(),
            },
            target,
            common: Common::default(),
        }
    }

    /// PINGs through the application's own `manager` (its retry and timeout
    /// settings apply), naming the server `target` in reasons.
    pub fn with_manager(manager: ConnectionManager, target: impl Into<String>) -> Self {
        Self {
            connection: Connection::Shared(manager),
            target: target.into(),
            common: Common::default(),
        }
    }

    /// The [`Check`], in [`Group::Readiness`](grpc_health_checks::Group::Readiness).
    pub fn into_check(self) -> Check {
        let wait = self.common.wait();
        let default_name = format!("redis {}", self.target);
        let pinger = Arc::new(Pinger {
            connection: self.connection,
            target: self.target,
            wait,
        });
        self.common.finish(default_name, |name| {
            Check::new_async(name, move || pinger.clone().ping())
        })
    }
}

common_builder!(RedisCheck, "redis <target>");

struct Pinger {
    connection: Connection,
    target: String,
    wait: Duration,
}

/// Where a run's manager comes from.
#[derive(Clone)]
enum Connection {
    /// Made from `client` on the first run that can connect, then kept.
    Lazy {
        client: Box<redis::Client>,
        manager: OnceCell<ConnectionManager>,
    },
    /// The application's.
    Shared(ConnectionManager),
}

impl Pinger {
    async fn ping(self: Arc<Self>) -> Result<(), String> {
        let wait = self.wait;
        let target = &self.target;
        let reply = tokio::time::timeout(wait, async {
            let mut manager = self.manager().await?;
            redis::cmd("PING").query_async::<String>(&mut manager).await
        })
        .await;
        match reply {
            Ok(Ok(pong)) if pong == "PONG" => Ok(()),
            Ok(Ok(other)) => Err(format!("redis PING to {target} answered {other:?}")),
            Ok(Err(error)) => Err(format!(
                "redis PING to {target} failed: {}",
                error_reason(&error)
            )),
            Err(_) => Err(format!(
                "redis PING to {target} failed: no answer within {wait:?}"
            )),
        }
    }

    /// The manager, created on first use: one attempt per run, no retries, so
    /// that a run ends with the connection error rather than a backoff.
    async fn manager(&self) -> redis::RedisResult<ConnectionManager> {
        let (client, manager) = match &self.connection {
            Connection::Shared(manager) => return Ok(manager.clone()),
            Connection::Lazy { client, manager } => (client, manager),
        };
        let config = ConnectionManagerConfig::new()
            .set_number_of_retries(0)
            .set_connection_timeout(Some(self.wait))
            .set_response_timeout(Some(self.wait));
        manager
            .get_or_try_init(|| {
                ConnectionManager::new_with_config(redis::Client::clone(client), config)
            })
            .await
            .cloned()
    }
}
