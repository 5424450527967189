//! The exposition pinned: names, labels, HELP and TYPE lines as
//! go-grpc-middleware's interceptors expose them (prometheus-client writes
//! OpenMetrics text: a counter's TYPE names the family without `_total`,
//! its samples carry it, as Prometheus ingests both).

use tonic::Code;

use grpc_rpc_metrics::{RpcKind, RpcMetrics};

use crate::echo::{request, scrape, served_with};

/// The scrape after one OK unary call of the only declared method.
const GOLDEN: &str = include_str!("golden_server.txt");

/// The scrape with the samples of each family sorted (a family keeps its
/// series in a hash map) and the values of `_sum` and finite `_bucket` lines,
/// which depend on how long the call took, replaced by `<time>`.
fn normalize(scrape: &str) -> String {
    let mut out = String::new();
    let mut samples: Vec<String> = Vec::new();
    let flush = |samples: &mut Vec<String>, out: &mut String| {
        samples.sort();
        out.extend(samples.drain(..));
    };
    for line in scrape.lines() {
        if line.starts_with('#') {
            flush(&mut samples, &mut out);
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let timed = line.contains("_seconds_sum{")
            || (line.contains("_seconds_bucket{") && !line.contains(r#"le="+Inf""#));
        samples.push(match line.rsplit_once(' ') {
            Some((series, _)) if timed => format!("{series} <time>\n"),
            _ => format!("{line}\n"),
        });
    }
    flush(&mut samples, &mut out);
    out
}

#[tokio::test]
async fn the_scrape_matches_go_grpc_middleware_names() {
    let metrics = RpcMetrics::server().method("echo.Echo", "Unary", RpcKind::Unary);
    let (registry, _server, mut client) = served_with(metrics).await;
    client
        .unary(request("a", Code::Ok, 0))
        .await
        .expect("OK call");
    let masked = normalize(&scrape(&registry));
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/layer/golden_server.txt");
    if std::env::var_os("REGENERATE").is_some() {
        std::fs::write(&path, &masked).expect("write the golden scrape");
    }
    assert_eq!(
        masked, GOLDEN,
        "the exposition changed; if on purpose, run with REGENERATE=1 and review the diff"
    );
}
