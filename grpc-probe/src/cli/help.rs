//! The `-help` text, Go-like: a usage line, what the probe does, then each
//! flag of [`FLAGS`] as `  -name VALUE` with its help indented below. Built
//! only when asked for.

use super::flags::{FLAGS, Flag};

/// Everything above the flags.
const HEAD: &str = "\
Usage: grpc-probe -addr=HOST:PORT [flags]

Checks the health of a gRPC server over grpc.health.v1 (a drop-in for grpc-health-probe).
Exit codes: 0 SERVING, 1 bad arguments, 2 connection failed, 3 RPC failed, 4 not SERVING.
Boolean flags take no value, =true or =false.

Flags:
";

/// Where a flag's help starts.
const INDENT: &str = "        ";

/// Help lines are wrapped to this many columns.
const WIDTH: usize = 100;

/// The whole help text.
pub(crate) fn render() -> String {
    let mut out = String::with_capacity(4096);
    out.push_str(HEAD);
    for flag in &FLAGS {
        push_flag(&mut out, flag);
    }
    out
}

/// `  -name[, -alias] [VALUE]`, then the help, wrapped and indented.
fn push_flag(out: &mut String, flag: &Flag) {
    out.push_str("  -");
    out.push_str(flag.name);
    if let Some(alias) = flag.alias {
        out.push_str(", -");
        out.push_str(alias);
    }
    if let Some(value) = flag.kind.value_name() {
        out.push(' ');
        out.push_str(value);
    }
    out.push('\n');
    let mut column = 0;
    for word in flag.help.split(' ') {
        if column > 0 && column + 1 + word.len() > WIDTH {
            out.push('\n');
            column = 0;
        }
        if column == 0 {
            out.push_str(INDENT);
            column = INDENT.len();
        } else {
            out.push(' ');
            column += 1;
        }
        out.push_str(word);
        column += word.len();
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_every_flag_with_its_help_and_defaults() {
        let help = render();
        assert!(help.starts_with("Usage: grpc-probe -addr=HOST:PORT [flags]\n"));
        for words in [
            "0 SERVING, 1 bad arguments, 2 connection failed, 3 RPC failed, 4 not SERVING",
            "Boolean flags take no value, =true or =false.",
            "\n  -addr ADDR\n        (required) tcp host:port, :port, [::1]:port, or unix:PATH to connect\n",
            "\n  -tls\n        use TLS (default: false, INSECURE plaintext transport)\n",
            "\n  -v, -verbose\n",
            "\n  -rpc-header HEADER\n",
            "\n  -connect-timeout DURATION\n        timeout for establishing connection (default: 1s)\n",
            "(default: grpc_health_probe)",
        ] {
            assert!(help.contains(words), "{words:?} missing from\n{help}");
        }
        // Each flag's help, unwrapped, is there in full.
        let unwrapped = help.replace(&format!("\n{INDENT}"), " ");
        for flag in &FLAGS {
            assert!(
                help.contains(&format!("\n  -{}", flag.name)),
                "-{}",
                flag.name
            );
            assert!(unwrapped.contains(flag.help), "{}", flag.help);
        }
    }

    #[test]
    fn lines_fit_the_width() {
        for line in render().lines() {
            assert!(line.len() <= WIDTH, "{line:?}");
        }
    }
}
