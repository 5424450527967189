//! The registry's samples as Graphite plaintext lines,
//! `prefix.name.label.value… value timestamp`: labels sorted by name (as
//! Prometheus' Graphite adapter writes them), every character other than
//! letters, digits, `_` and `-` replaced by `_` so that a label value cannot
//! add path levels (`helloworld.Greeter` becomes `helloworld_Greeter`).

use std::fmt::Write as _;

/// Appends the lines for the OpenMetrics text `exposition` to `out`,
/// stamped `timestamp` (Unix seconds); returns how many it wrote. Samples
/// Graphite cannot store (NaN, ±Inf) are left out.
pub(crate) fn append(out: &mut String, prefix: &str, exposition: &str, timestamp: u64) -> usize {
    let mut written = 0;
    let mut labels: Vec<(&str, String)> = Vec::new();
    for line in exposition.lines() {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let Some((name, rest)) = split_name(line) else {
            continue;
        };
        labels.clear();
        let Some(value) = parse_labels(rest, &mut labels) else {
            continue;
        };
        let Some(value) = value
            .split_whitespace()
            .next()
            .and_then(|value| value.parse::<f64>().ok())
            .filter(|value| value.is_finite())
        else {
            continue;
        };
        labels.sort_by(|a, b| a.0.cmp(b.0));
        if !prefix.is_empty() {
            out.push_str(prefix);
            out.push('.');
        }
        push_sanitized(out, name);
        for (label, label_value) in &labels {
            out.push('.');
            push_sanitized(out, label);
            out.push('.');
            push_sanitized(out, label_value);
        }
        // Writing to a String cannot fail.
        let _ = writeln!(out, " {value} {timestamp}");
        written += 1;
    }
    written
}

/// The metric name and what follows it.
fn split_name(line: &str) -> Option<(&str, &str)> {
    let end = line.find(['{', ' '])?;
    Some((&line[..end], &line[end..]))
}

/// Parses `{a="x",b="y"} rest` (or ` rest`) into `labels`; returns `rest`.
fn parse_labels<'a>(text: &'a str, labels: &mut Vec<(&'a str, String)>) -> Option<&'a str> {
    let Some(mut text) = text.strip_prefix('{') else {
        return Some(text);
    };
    loop {
        text = text.trim_start_matches(',');
        if let Some(rest) = text.strip_prefix('}') {
            return Some(rest);
        }
        let (name, rest) = text.split_once("=\"")?;
        let mut value = String::new();
        let mut chars = rest.char_indices();
        let end = loop {
            match chars.next()? {
                (index, '"') => break index,
                (_, '\\') => match chars.next()?.1 {
                    'n' => value.push('\n'),
                    other => value.push(other),
                },
                (_, other) => value.push(other),
            }
        };
        labels.push((name, value));
        text = &rest[end + 1..];
    }
}

fn push_sanitized(out: &mut String, text: &str) {
    out.extend(text.chars().map(|c| {
        if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
            c
        } else {
            '_'
        }
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_become_dotted_paths_with_sorted_labels() {
        let exposition = "# HELP x_total Things.\n# TYPE x counter\n\
            x_total{b=\"2\",a=\"helloworld.Greeter\"} 3\n\
            up 1\n\
            h_bucket{le=\"+Inf\"} 4\n\
            weird{a=\"q\\\"uote\\\\\"} NaN\n# EOF\n";
        let mut out = String::new();
        let written = append(&mut out, "svc.pod-1", exposition, 1_700_000_000);
        assert_eq!(written, 3);
        assert_eq!(
            out,
            "svc.pod-1.x_total.a.helloworld_Greeter.b.2 3 1700000000\n\
             svc.pod-1.up 1 1700000000\n\
             svc.pod-1.h_bucket.le._Inf 4 1700000000\n"
        );
    }

    #[test]
    fn escaped_label_values_cannot_add_levels_or_lines() {
        let mut out = String::new();
        append(&mut out, "", "m{a=\"x.y\\ny\\\"}z\"} 1\n", 7);
        assert_eq!(out, "m.a.x_y_y__z 1 7\n");
    }
}
