//! Features `deadpool-postgres`, `sqlx-postgres`: `SELECT 1` through a pool
//! the application already has, so the check opens no connections of its own
//! beyond what the pool would.
//!
//! The pool gets half of the check's wait to hand out a connection (its own
//! wait timeout where it has one), the query the rest. A pool with every
//! connection in use fails the check at once with
//! `pool exhausted: 0 of 5 connections free within 300ms` instead of hanging.
//!
//! Other reasons: `postgres connection failed: error connecting to server: Connection refused (os error 111)`
//! (deadpool), `postgres at 127.0.0.1:5432: no connection within 300ms; the pool has 0 of 5 open and could not open another`
//! (sqlx retries refused connections until its deadline),
//! `postgres SELECT 1 failed: db error: FATAL: terminating connection due to administrator command`.

use std::time::Duration;

use super::{Common, common_builder};
use grpc_health_checks::Check;
use grpc_health_checks::error_reason;

/// A readiness check running `SELECT 1` through a connection pool.
///
/// ```no_run
/// # #[cfg(feature = "deadpool-postgres")]
/// # fn demo(pool: deadpool_postgres::Pool) {
/// use grpc_health_contrib::postgres::PostgresCheck;
///
/// let check = PostgresCheck::deadpool(pool.clone()).into_check();
/// # let _ = check; }
/// ```
#[derive(Clone, Debug)]
pub struct PostgresCheck {
    pool: Pool,
    common: Common,
}

#[derive(Clone, Debug)]
enum Pool {
    #[cfg(feature = "deadpool-postgres")]
    Deadpool(deadpool_postgres::Pool),
    #[cfg(feature = "sqlx-postgres")]
    Sqlx(sqlx::PgPool),
}

impl PostgresCheck {
    /// Checks through a deadpool-postgres pool. Build the pool with
    /// `Runtime::Tokio1` so that its own wait timeout applies; without one the
    /// wait is bounded all the same.
    #[cfg(feature = "deadpool-postgres")]
    pub const fn deadpool(pool: deadpool_postgres::Pool) -> Self {
        Self::with_pool(Pool::Deadpool(pool))
    }

    /// Checks through an sqlx `PgPool`; the wait for a connection is the
    /// shorter of half the check's wait and the pool's acquire timeout.
    #[cfg(feature = "sqlx-postgres")]
    pub const fn sqlx(pool: sqlx::PgPool) -> Self {
        Self::with_pool(Pool::Sqlx(pool))
    }

    const fn with_pool(pool: Pool) -> Self {
        Self {
            pool,
            common: Common {
                name: None,
                timeout: None,
            },
        }
    }

    /// The [`Check`], in [`Group::Readiness`](grpc_health_checks::Group::Readiness).
    pub fn into_check(self) -> Check {
        let wait = self.common.wait();
        let pool = self.pool;
        self.common.finish("postgres".to_owned(), |name| {
            Check::new_async(name, move || {
                let pool = pool.clone();
                async move {
                    tokio::time::timeout(wait, pool.select_one(wait / 2))
                        .await
                        .unwrap_or_else(|_| Err(format!("postgres: no answer within {wait:?}")))
                }
            })
        })
    }
}

common_builder!(PostgresCheck, "postgres");

fn exhausted(free: usize, max: usize, wait: Duration) -> String {
    format!("pool exhausted: {free} of {max} connections free within {wait:?}")
}

fn query_failed(error: &(dyn std::error::Error + 'static)) -> String {
    format!("postgres SELECT 1 failed: {}", error_reason(error))
}

impl Pool {
    /// Gets a connection within `wait` and runs `SELECT 1` on it.
    async fn select_one(self, wait: Duration) -> Result<(), String> {
        match self {
            #[cfg(feature = "deadpool-postgres")]
            Self::Deadpool(pool) => deadpool_select_one(&pool, wait).await,
            #[cfg(feature = "sqlx-postgres")]
            Self::Sqlx(pool) => sqlx_select_one(&pool, wait).await,
        }
    }
}

#[cfg(feature = "deadpool-postgres")]
async fn deadpool_select_one(pool: &deadpool_postgres::Pool, wait: Duration) -> Result<(), String> {
    use deadpool_postgres::{PoolError, TimeoutType, Timeouts};

    let timeouts = Timeouts {
        wait: Some(wait),
        create: Some(wait),
        recycle: Some(wait),
    };
    let got = match pool.timeout_get(&timeouts).await {
        Err(PoolError::NoRuntimeSpecified) => tokio::time::timeout(wait, pool.get())
            .await
            .unwrap_or(Err(PoolError::Timeout(TimeoutType::Wait))),
        got => got,
    };
    let client = got.map_err(|error| match error {
        PoolError::Timeout(TimeoutType::Wait) => {
            let status = pool.status();
            exhausted(status.available, status.max_size, wait)
        }
        PoolError::Timeout(TimeoutType::Create) => {
            format!("postgres connection failed: no answer within {wait:?}")
        }
        PoolError::Timeout(TimeoutType::Recycle) => {
            format!("postgres connection check failed: no answer within {wait:?}")
        }
        PoolError::Backend(error) => {
            format!("postgres connection failed: {}", error_reason(&error))
        }
        PoolError::Closed => "the postgres pool is closed".to_owned(),
        PoolError::NoRuntimeSpecified => "the postgres pool has no runtime".to_owned(),
        PoolError::PostCreateHook(error) => {
            format!("postgres connection failed in the post-create hook: {error}")
        }
    })?;
    client
        .simple_query("SELECT 1")
        .await
        .map(drop)
        .map_err(|error| query_failed(&error))
}

#[cfg(feature = "sqlx-postgres")]
async fn sqlx_select_one(pool: &sqlx::PgPool, wait: Duration) -> Result<(), String> {
    use sqlx::Executor;

    let wait = wait.min(pool.options().get_acquire_timeout());
    let acquired = tokio::time::timeout(wait, pool.acquire()).await;
    let mut connection = match acquired {
        Ok(Ok(connection)) => connection,
        Ok(Err(sqlx::Error::PoolTimedOut)) | Err(_) => return Err(sqlx_no_connection(pool, wait)),
        Ok(Err(error)) => {
            return Err(format!(
                "postgres connection failed: {}",
                error_reason(&error)
            ));
        }
    };
    // A plain string without arguments goes as a simple query: nothing is prepared.
    connection
        .execute("SELECT 1")
        .await
        .map(drop)
        .map_err(|error| query_failed(&error))
}

/// Why sqlx handed out no connection in time: all in use, or none could be
/// opened (sqlx retries a refused connection until its deadline, hiding the
/// error).
#[cfg(feature = "sqlx-postgres")]
fn sqlx_no_connection(pool: &sqlx::PgPool, wait: Duration) -> String {
    let max = pool.options().get_max_connections();
    let (open, idle) = (pool.size(), pool.num_idle());
    if open >= max && idle == 0 {
        return exhausted(0, max as usize, wait);
    }
    let options = pool.connect_options();
    let server = match options.get_socket() {
        Some(socket) => socket.display().to_string(),
        None => format!("{}:{}", options.get_host(), options.get_port()),
    };
    format!(
        "postgres at {server}: no connection within {wait:?}; the pool has {open} of {max} open \
         and could not open another"
    )
}
