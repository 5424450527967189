//! `-list`: call List and print `name: STATUS` sorted by name; 0 if all are
//! SERVING, 4 if not, 3 if the server does not implement List.

use grpc_health_proto::pb::{HealthListRequest, HealthListResponse};

use super::LIST;
use crate::config::Config;
use crate::exit_code::ProbeExit;
use crate::grpc::Client;
use crate::output::{self, Outcome};
use crate::server_text::ServerText;

/// Lists every service the server knows.
pub(super) async fn run(cfg: &Config, client: &Client) -> Outcome {
    let response = match client
        .unary::<_, HealthListResponse>(LIST, &HealthListRequest {}, cfg.rpc_timeout)
        .await
    {
        Ok(response) => response,
        Err(status) => return Outcome::rpc_failed(&status, cfg.rpc_timeout),
    };
    let mut entries: Vec<(String, i32)> = response
        .statuses
        .into_iter()
        .map(|(name, r)| (name, r.status))
        .collect();
    entries.sort();
    let code = ProbeExit::combine(entries.iter().map(|&(_, s)| match output::status_code(s) {
        ProbeExit::Serving => ProbeExit::Serving,
        _ => ProbeExit::Unhealthy,
    }));
    let lines: Vec<String> = entries
        .iter()
        .map(|(name, status)| {
            let name = if name.is_empty() { "\"\"" } else { name };
            // Names are the server's: one escaped, bounded name per line.
            format!("{}: {}", ServerText(name), output::status_name(*status))
        })
        .collect();
    Outcome::new(code, lines.join("\n"))
}
