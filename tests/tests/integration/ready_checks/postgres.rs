//! `grpc_health_contrib::postgres` through deadpool-postgres and sqlx pools against a real
//! PostgreSQL server: pass, fail while it is stopped, recover on restart, and
//! fail (not hang) while every pooled connection is taken.

use std::time::Duration;

use deadpool_postgres::{self, Runtime, tokio_postgres};
use grpc_health_contrib::postgres::PostgresCheck;
use sqlx::postgres::PgPoolOptions;
use test_support::daemon::Restartable;
use test_support::postgres;

use super::harness::{Evaluated, TIMEOUT};

const POOL_SIZE: usize = 2;

fn deadpool(server: &Restartable) -> deadpool_postgres::Pool {
    let config: tokio_postgres::Config = server.url().parse().expect("a valid URL");
    let manager = deadpool_postgres::Manager::new(config, tokio_postgres::NoTls);
    deadpool_postgres::Pool::builder(manager)
        .max_size(POOL_SIZE)
        .runtime(Runtime::Tokio1)
        .build()
        .expect("pool")
}

#[tokio::test]
async fn deadpool_passes_fails_while_stopped_and_recovers() {
    let mut server = postgres::start();
    let pool = deadpool(&server);
    let evaluated = Evaluated::start(PostgresCheck::deadpool(pool).timeout(TIMEOUT).into_check());
    evaluated.passes().await;

    server.stop();
    evaluated
        .fails_with(&["postgres connection failed: error connecting to server: Connection refused"])
        .await;

    server.restart();
    evaluated.passes().await;
}

#[tokio::test]
async fn deadpool_exhaustion_fails_within_the_timeout() {
    let server = postgres::start();
    let pool = deadpool(&server);
    let check = PostgresCheck::deadpool(pool.clone())
        .timeout(TIMEOUT)
        .into_check();
    let evaluated = Evaluated::start(check);
    evaluated.passes().await;

    let held = [
        pool.get().await.expect("first"),
        pool.get().await.expect("second"),
    ];
    let reason = evaluated
        .fails_with(&["pool exhausted: 0 of 2 connections free within 3s"])
        .await;
    assert!(
        !reason.contains("timed out after"),
        "the pool's wait ends first: {reason}"
    );
    drop(held);
    evaluated.passes().await;
}

fn sqlx_pool(server: &Restartable) -> sqlx::PgPool {
    PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(Duration::from_secs(30))
        .connect_lazy(&server.url())
        .expect("a valid URL")
}

#[tokio::test]
async fn sqlx_passes_fails_while_stopped_and_recovers() {
    let mut server = postgres::start();
    let evaluated = Evaluated::start(
        PostgresCheck::sqlx(sqlx_pool(&server))
            .timeout(TIMEOUT)
            .into_check(),
    );
    evaluated.passes().await;

    server.stop();
    let port = server.port();
    evaluated
        .fails_with(&[&format!(
            "postgres at 127.0.0.1:{port}: no connection within 3s; the pool has"
        )])
        .await;

    server.restart();
    evaluated.passes().await;
}

#[tokio::test]
async fn sqlx_exhaustion_fails_within_the_timeout() {
    let server = postgres::start();
    let pool = sqlx_pool(&server);
    let evaluated = Evaluated::start(
        PostgresCheck::sqlx(pool.clone())
            .timeout(TIMEOUT)
            .into_check(),
    );
    evaluated.passes().await;

    let held = [
        pool.acquire().await.expect("first"),
        pool.acquire().await.expect("second"),
    ];
    evaluated
        .fails_with(&["pool exhausted: 0 of 2 connections free within 3s"])
        .await;
    drop(held);
    evaluated.passes().await;
}
