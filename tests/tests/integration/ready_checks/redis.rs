//! `grpc_health_contrib::redis` against a real redis-server: pass, fail while it is
//! stopped (including before the first connection), recover on restart.

use grpc_health_contrib::redis::RedisCheck;
use test_support::redis as redis_server;

use super::harness::{Evaluated, TIMEOUT};

#[tokio::test]
async fn passes_fails_while_stopped_and_recovers() {
    let mut server = redis_server::start();
    let target = format!("127.0.0.1:{}", server.port());
    // Down from the start: the check must not need the server to be built.
    server.stop();
    let client = redis::Client::open(server.url()).expect("a valid URL");
    let check = RedisCheck::new(client).timeout(TIMEOUT).into_check();
    assert_eq!(check.name(), format!("redis {target}"));
    let evaluated = Evaluated::start(check);
    let refused = format!("redis PING to {target} failed: ");
    evaluated
        .fails_with(&[&refused, "Connection refused"])
        .await;

    server.restart();
    evaluated.passes().await;

    server.stop();
    evaluated
        .fails_with(&[&refused, "Connection refused"])
        .await;

    server.restart();
    evaluated.passes().await;
}

/// Through the application's own `ConnectionManager` (its retry settings).
#[tokio::test]
async fn an_application_manager_is_shared_and_recovers() {
    let mut server = redis_server::start();
    let client = redis::Client::open(server.url()).expect("a valid URL");
    let manager = redis::aio::ConnectionManager::new(client)
        .await
        .expect("connect while the server is up");
    let check = RedisCheck::with_manager(manager, "cache").timeout(TIMEOUT);
    let evaluated = Evaluated::start(check.into_check());
    evaluated.passes().await;

    server.stop();
    evaluated
        .fails_with(&["redis PING to cache failed: "])
        .await;
    server.restart();
    evaluated.passes().await;
}
