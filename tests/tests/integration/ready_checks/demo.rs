//! health-demo's `--postgres URL` and `--redis URL`: its readiness follows
//! real servers as they stop and restart; a bad URL is refused at start-up.

use grpc_health_checks::ServingStatus::{NotServing, Serving};
use test_support::demo::Demo;
use test_support::health::{client, wait_for, watch};
use test_support::postgres;
use test_support::process::{command, run};
use test_support::{bins, redis};

#[tokio::test]
async fn readiness_follows_postgres_and_redis() {
    let mut postgres = postgres::start();
    let mut redis = redis::start();
    let demo = Demo::start(&[
        "--interval",
        "20ms",
        "--postgres",
        &postgres.url(),
        "--redis",
        &redis.url(),
    ]);
    let mut health = client(demo.addr()).await;
    let mut readiness = watch(&mut health, "readiness").await;
    wait_for(&mut readiness, Serving).await;

    redis.stop();
    wait_for(&mut readiness, NotServing).await;
    redis.restart();
    wait_for(&mut readiness, Serving).await;

    postgres.stop();
    wait_for(&mut readiness, NotServing).await;
    postgres.restart();
    wait_for(&mut readiness, Serving).await;
}

#[tokio::test]
async fn invalid_dependency_urls_are_refused_naming_the_flag() {
    for (flag, value, words) in [
        ("--redis", "http://nope", "invalid --redis http://nope"),
        ("--postgres", "postgres://db:port/app", "invalid --postgres"),
        (
            "--upstream",
            "bad host:1",
            "--upstream: invalid upstream address",
        ),
    ] {
        let demo = command(&bins::health_demo(), ["--addr", "127.0.0.1:0", flag, value]);
        run(demo).await.assert_exit(1, &[words]);
    }
}
