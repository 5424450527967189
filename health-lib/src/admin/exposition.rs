//! `/metrics` in the format the client asks for: OpenMetrics (what
//! prometheus-client writes, and what Prometheus asks for), or else the
//! Prometheus text format 0.0.4 that older scrapers and `promtool check
//! metrics` read.

use std::fmt::Write as _;

use prometheus_client::registry::Registry;

const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
const TEXT_0_0_4: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The registry encoded for a client sending `accept`, with its content type.
pub(super) fn encode(
    registry: &Registry,
    accept: Option<&str>,
) -> Result<(&'static str, String), std::fmt::Error> {
    let mut openmetrics = String::new();
    prometheus_client::encoding::text::encode(&mut openmetrics, registry)?;
    if accept.is_some_and(|accept| accept.contains("application/openmetrics-text")) {
        Ok((OPENMETRICS, openmetrics))
    } else {
        Ok((TEXT_0_0_4, to_text_format(&openmetrics)))
    }
}

/// Rewrites OpenMetrics text into text format 0.0.4: no `# EOF` or `# UNIT`,
/// counters named with their `_total` suffix, OpenMetrics-only types mapped
/// to 0.0.4 ones, exemplars dropped.
fn to_text_format(openmetrics: &str) -> String {
    let mut out = String::with_capacity(openmetrics.len());
    let mut help: Option<&str> = None;
    for line in openmetrics.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        if let Some(rest) = line.strip_prefix("# HELP ") {
            help = Some(rest);
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap_or((rest, "unknown"));
            let (suffix, kind) = match kind {
                "counter" => ("_total", "counter"),
                "info" => ("_info", "gauge"),
                "gauge" | "histogram" | "summary" => ("", kind),
                "stateset" => ("", "gauge"),
                "gaugehistogram" => ("", "histogram"),
                _ => ("", "untyped"),
            };
            if let Some((_, text)) = help.take().and_then(|help| help.split_once(' ')) {
                // 0.0.4 escapes only `\` and newlines in help texts.
                let text = text.replace("\\\"", "\"");
                let _ = writeln!(out, "# HELP {name}{suffix} {text}");
            }
            let _ = writeln!(out, "# TYPE {name}{suffix} {kind}");
            continue;
        }
        out.push_str(without_exemplar(line));
        out.push('\n');
    }
    out
}

/// A sample line without its ` # {...} value` exemplar.
fn without_exemplar(line: &str) -> &str {
    let mut in_quotes = false;
    let mut escaped = false;
    for (index, c) in line.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => in_quotes = !in_quotes,
            '#' if !in_quotes => return line[..index].trim_end(),
            _ => {}
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openmetrics_becomes_text_format_0_0_4() {
        let openmetrics = "# HELP jobs Jobs \\\"done\\\".\n# TYPE jobs counter\n\
            jobs_total{queue=\"a # b\"} 3 # {trace=\"x\"} 1.0\n\
            # HELP wait_seconds Wait.\n# TYPE wait_seconds histogram\n# UNIT wait_seconds seconds\n\
            wait_seconds_sum 0.5\n# TYPE build info\nbuild_info{v=\"1\"} 1\n# EOF\n";
        assert_eq!(
            to_text_format(openmetrics),
            "# HELP jobs_total Jobs \"done\".\n# TYPE jobs_total counter\n\
             jobs_total{queue=\"a # b\"} 3\n\
             # HELP wait_seconds Wait.\n# TYPE wait_seconds histogram\nwait_seconds_sum 0.5\n\
             # TYPE build_info gauge\nbuild_info{v=\"1\"} 1\n"
        );
    }
}
