//! The parse itself, following Go's `flag.FlagSet.Parse` step by step, with
//! its error wording; where we differ (arguments that are not flags, non-UTF-8
//! arguments, `-install` with other flags) we refuse with our own message
//! instead of ignoring.

use std::ffi::OsString;
use std::path::PathBuf;

use super::flags::{self, Flag, Kind};
use super::{Cli, Stop, help};
use crate::duration;

/// Printed after every argument error, instead of Go's whole usage.
const HINT: &str = "Run grpc-probe -help for the flags.";

/// Parses argv (including the program name) without printing or exiting.
pub(crate) fn parse<I, T>(argv: I) -> Result<Cli, Stop>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString>,
{
    let mut args = argv.into_iter().skip(1).map(|arg| utf8(arg.into()));
    let mut cli = Cli::defaults();
    let mut install = false;
    // The first flag given that `-install` does not take, for its error.
    let mut not_for_install: Option<&'static Flag> = None;
    while let Some(arg) = args.next() {
        let mut arg = arg?;
        // Go: a lone `-` or anything not starting with `-` ends the flags.
        if arg.len() < 2 || !arg.starts_with('-') {
            return Err(not_a_flag(&arg));
        }
        let dashes = if arg.starts_with("--") { 2 } else { 1 };
        if arg.len() == 2 && dashes == 2 {
            // `--` ends the flags; anything after it is an argument.
            return match args.next() {
                Some(rest) => Err(not_a_flag(&rest?)),
                None => break,
            };
        }
        let body = &arg[dashes..];
        if body.starts_with('-') || body.starts_with('=') {
            return Err(error(format_args!("bad flag syntax: {arg}")));
        }
        let eq = body.find('=').map(|i| i + dashes);
        let name = &arg[dashes..eq.unwrap_or(arg.len())];
        let Some(flag) = flags::lookup(name) else {
            if matches!(name, "h" | "help") {
                return Err(Stop {
                    is_error: false,
                    text: help::render(),
                });
            }
            return Err(error(format_args!(
                "flag provided but not defined: -{name}"
            )));
        };
        if flag.name == "install" {
            install = true;
        } else if !flag.goes_with_install() {
            not_for_install = not_for_install.or(Some(flag));
        }
        // The name as given, for Go's wording, without keeping `arg` borrowed.
        let given = flag
            .alias
            .filter(|alias| *alias == name)
            .unwrap_or(flag.name);
        let value = match (flag.kind, eq) {
            // A boolean never takes the next argument, only `=value`.
            (Kind::Bool { set }, None) => {
                set(&mut cli, true);
                continue;
            }
            (_, Some(eq)) => {
                // The value moves out of the argument: no copy.
                arg.replace_range(..=eq, "");
                arg
            }
            // Taken even when it starts with `-`, as in Go: `-rpc-timeout -1s`.
            (_, None) => match args.next() {
                Some(next) => next?,
                None => return Err(error(format_args!("flag needs an argument: -{given}"))),
            },
        };
        set_value(&mut cli, flag.kind, given, value)?;
    }
    if let (true, Some(other)) = (install, not_for_install) {
        return Err(error(format_args!(
            "-install cannot be used with -{}: -install takes no other flag but -v",
            other.name
        )));
    }
    Ok(cli)
}

/// Parses a flag's value by its kind and stores it; `name` is the flag as
/// given, for the error.
fn set_value(cli: &mut Cli, kind: Kind, name: &str, value: String) -> Result<(), Stop> {
    match kind {
        Kind::Bool { set } => match parse_bool(&value) {
            Some(on) => set(cli, on),
            None => {
                return Err(error(format_args!(
                    "invalid boolean value {value:?} for -{name}: parse error"
                )));
            }
        },
        Kind::Text { set, .. } | Kind::Repeated { set, .. } => set(cli, value),
        Kind::Path { set, .. } => set(cli, PathBuf::from(value)),
        Kind::Duration { set, .. } => match duration::parse(&value) {
            Ok(d) => set(cli, d),
            Err(why) => {
                return Err(error(format_args!(
                    "invalid value {value:?} for flag -{name}: {why}"
                )));
            }
        },
    }
    Ok(())
}

/// Go's `strconv.ParseBool`.
fn parse_bool(text: &str) -> Option<bool> {
    match text {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// The argument as a `String`; the probe's flags and values are all text.
fn utf8(arg: OsString) -> Result<String, Stop> {
    arg.into_string()
        .map_err(|arg| error(format_args!("argument {arg:?} is not valid UTF-8")))
}

/// Go stops parsing at the first argument that is not a flag and ignores the
/// rest; a probe command line has no place for one, so it is refused.
fn not_a_flag(arg: &str) -> Stop {
    error(format_args!(
        "unexpected argument {arg:?}: grpc-probe takes only flags \
         (grpc-health-probe would ignore it and the ones after it)"
    ))
}

/// An argument error: the message, then the hint.
fn error(message: std::fmt::Arguments<'_>) -> Stop {
    Stop {
        is_error: true,
        text: format!("{message}\n{HINT}\n"),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use proptest::prelude::*;

    use super::*;
    use crate::cli::FLAGS;

    fn ok(argv: &[&str]) -> Cli {
        parse(std::iter::once("p").chain(argv.iter().copied()))
            .unwrap_or_else(|stop| panic!("{argv:?}: {}", stop.text))
    }

    /// The error message of argv, hint line checked and removed.
    fn refused(argv: &[&str]) -> String {
        let stop = parse(std::iter::once("p").chain(argv.iter().copied())).unwrap_err();
        assert!(stop.is_error, "{argv:?}: {}", stop.text);
        stop.text
            .strip_suffix(&format!("\n{HINT}\n"))
            .unwrap_or_else(|| panic!("no hint line: {:?}", stop.text))
            .to_owned()
    }

    #[test]
    fn all_spellings_parse_the_same() {
        for argv in [
            &["-addr=h:1", "-connect-timeout=250ms"][..],
            &["-addr", "h:1", "-connect-timeout", "250ms"],
            &["--addr=h:1", "--connect-timeout=250ms"],
            &["--addr", "h:1", "--connect-timeout", "250ms"],
        ] {
            let cli = ok(argv);
            assert_eq!(cli.addr.as_deref(), Some("h:1"));
            assert_eq!(cli.connect_timeout, Duration::from_millis(250));
            assert_eq!(cli.rpc_timeout, Duration::from_secs(1));
            assert_eq!(cli.user_agent, "grpc_health_probe");
        }
    }

    /// Every flag of the table, in all four spellings, gives the same [`Cli`],
    /// one that differs from the defaults and from every other flag's.
    #[test]
    fn every_flag_parses_in_all_four_spellings() {
        let defaults = format!("{:?}", Cli::defaults());
        let mut seen: Vec<String> = Vec::new();
        for flag in &FLAGS {
            let name = flag.name;
            let value = match flag.kind {
                Kind::Bool { .. } => None,
                Kind::Duration { .. } => Some("250ms"),
                Kind::Text { .. } | Kind::Repeated { .. } => Some("x:1"),
                Kind::Path { .. } => Some("/p"),
            };
            let spellings: [Vec<String>; 4] = match value {
                // Booleans: bare, or `=true`; never a separate value.
                None => [
                    vec![format!("-{name}")],
                    vec![format!("--{name}")],
                    vec![format!("-{name}=true")],
                    vec![format!("--{name}=True")],
                ],
                Some(v) => [
                    vec![format!("-{name}={v}")],
                    vec![format!("--{name}={v}")],
                    vec![format!("-{name}"), v.to_owned()],
                    vec![format!("--{name}"), v.to_owned()],
                ],
            };
            let parsed: Vec<String> = spellings
                .iter()
                .map(|argv| {
                    format!(
                        "{:?}",
                        ok(&argv.iter().map(String::as_str).collect::<Vec<_>>())
                    )
                })
                .collect();
            assert!(
                parsed.iter().all(|p| *p == parsed[0]),
                "-{name}: {parsed:#?}"
            );
            assert_ne!(parsed[0], defaults, "-{name} changes nothing");
            assert!(
                !seen.contains(&parsed[0]),
                "-{name} sets what another flag sets"
            );
            seen.push(parsed[0].clone());
        }
    }

    #[test]
    fn go_booleans_and_verbose() {
        let cli = ok(&["-tls", "-gzip=false", "-v"]);
        assert!(cli.tls && !cli.gzip && cli.verbose);
        let cli = ok(&["-tls=false", "--verbose", "-version"]);
        assert!(!cli.tls && cli.verbose && cli.version);
        assert!(ok(&["-verbose=1"]).verbose && !ok(&["-v", "--verbose=0"]).verbose);
    }

    #[test]
    fn booleans_take_go_parse_bool_words() {
        for word in ["1", "t", "T", "TRUE", "true", "True"] {
            assert!(ok(&[&format!("-tls={word}")]).tls, "{word}");
        }
        for word in ["0", "f", "F", "FALSE", "false", "False"] {
            assert!(!ok(&["-tls", &format!("-tls={word}")]).tls, "{word}");
        }
        assert_eq!(
            refused(&["--verbose=x"]),
            "invalid boolean value \"x\" for -verbose: parse error"
        );
        for word in ["", "yes", "on", "tRUE", "2", "maybe"] {
            assert_eq!(
                refused(&[&format!("-tls={word}")]),
                format!("invalid boolean value {word:?} for -tls: parse error")
            );
        }
    }

    #[test]
    fn a_boolean_never_takes_the_next_argument() {
        let cli = ok(&["-tls", "-addr", "a:1"]);
        assert!(cli.tls);
        assert_eq!(cli.addr.as_deref(), Some("a:1"));
        assert!(refused(&["-tls", "false"]).starts_with("unexpected argument \"false\""));
    }

    #[test]
    fn values_may_start_with_a_dash() {
        assert_eq!(
            ok(&["-rpc-header", "-x: y"]).rpc_header,
            ["-x: y"],
            "the next argument is the value"
        );
        assert_eq!(ok(&["-addr", "--"]).addr.as_deref(), Some("--"));
        assert_eq!(
            refused(&["-rpc-timeout", "-1s"]),
            "invalid value \"-1s\" for flag -rpc-timeout: must be greater than zero"
        );
        assert_eq!(ok(&["-addr=a=b"]).addr.as_deref(), Some("a=b"));
        assert_eq!(ok(&["-addr="]).addr.as_deref(), Some(""));
    }

    #[test]
    fn repeated_flags_collect() {
        let cli = ok(&[
            "-service=a",
            "-service",
            "b",
            "-rpc-header",
            "k: v",
            "-rpc-header=x:y",
        ]);
        assert_eq!(cli.service, ["a", "b"]);
        assert_eq!(cli.rpc_header, ["k: v", "x:y"]);
    }

    #[test]
    fn single_valued_flags_last_one_wins() {
        let cli = ok(&[
            "-addr=a:1",
            "--addr",
            "b:2",
            "-connect-timeout=5s",
            "-connect-timeout=2s",
            "-user-agent=x",
            "-user-agent=y",
            "-tls-ca-cert=/a",
            "-tls-ca-cert=/b",
            "-wait=1s",
            "-wait=3s",
            "-tls",
            "-tls=false",
        ]);
        assert_eq!(cli.addr.as_deref(), Some("b:2"));
        assert_eq!(cli.connect_timeout, Duration::from_secs(2));
        assert_eq!(cli.user_agent, "y");
        assert_eq!(cli.tls_ca_cert, Some(PathBuf::from("/b")));
        assert_eq!(cli.wait, Some(Duration::from_secs(3)));
        assert!(!cli.tls);
    }

    #[test]
    fn go_error_wordings() {
        assert_eq!(refused(&["-nope"]), "flag provided but not defined: -nope");
        assert_eq!(
            refused(&["--nope=1"]),
            "flag provided but not defined: -nope"
        );
        assert_eq!(refused(&["-addr"]), "flag needs an argument: -addr");
        assert_eq!(
            refused(&["-tls=maybe"]),
            "invalid boolean value \"maybe\" for -tls: parse error"
        );
        let why = duration::parse("1x").unwrap_err();
        assert_eq!(
            refused(&["-connect-timeout=1x"]),
            format!("invalid value \"1x\" for flag -connect-timeout: {why}")
        );
        for bad in ["---x", "-=x", "--=", "---"] {
            assert_eq!(refused(&[bad]), format!("bad flag syntax: {bad}"));
        }
    }

    #[test]
    fn double_dash_ends_flags_and_arguments_are_refused() {
        assert_eq!(ok(&["-addr=:1", "--"]).addr.as_deref(), Some(":1"));
        for (argv, argument) in [
            (&["-addr=:1", "--", "-v"][..], "-v"),
            (&["-addr=:1", "--", "--"], "--"),
            (&["-addr=:1", "-"], "-"),
            (&["-addr=:1", "x", "-v"], "x"),
            (&["check", "-addr=:1"], "check"),
        ] {
            assert_eq!(
                refused(argv),
                format!(
                    "unexpected argument {argument:?}: grpc-probe takes only flags \
                     (grpc-health-probe would ignore it and the ones after it)"
                ),
                "{argv:?}"
            );
        }
    }

    #[test]
    fn non_utf8_arguments_are_refused() {
        use std::os::unix::ffi::OsStringExt;
        for argv in [
            vec![
                OsString::from("p"),
                OsString::from_vec(b"-addr=\xff".to_vec()),
            ],
            vec![
                OsString::from("p"),
                OsString::from("-tls-ca-cert"),
                OsString::from_vec(b"/a\xff".to_vec()),
            ],
        ] {
            let stop = parse(argv).unwrap_err();
            assert!(stop.is_error);
            assert!(
                stop.text.contains("is not valid UTF-8") && stop.text.contains("\\xFF"),
                "{}",
                stop.text
            );
        }
    }

    #[test]
    fn help_in_every_spelling_goes_to_stdout() {
        for flag in ["-h", "-help", "--h", "--help", "-help=1"] {
            let help = parse(["p", "-addr=:1", flag]).unwrap_err();
            assert!(!help.is_error, "{flag}");
            assert!(help.text.starts_with("Usage: grpc-probe"), "{flag}");
        }
        // As in Go, the arguments are read in order: an earlier error wins.
        assert!(parse(["p", "-nope", "-h"]).unwrap_err().is_error);
    }

    #[test]
    fn install_takes_all_spellings_and_no_probe_flag() {
        for argv in [
            &["-install=/probe-bin/grpc-probe"][..],
            &["-install", "/probe-bin/grpc-probe"],
            &["--install=/probe-bin/grpc-probe"],
            &["--install", "/probe-bin/grpc-probe", "-v"],
            &["-verbose", "-install=/probe-bin/grpc-probe"],
        ] {
            let cli = ok(argv);
            assert_eq!(cli.install, Some(PathBuf::from("/probe-bin/grpc-probe")));
        }
        for flag in [
            "-addr=:1",
            "-service=a",
            "-tls",
            "-tls=false",
            "-watch",
            "-version",
        ] {
            let name = flag.split('=').next().unwrap();
            for argv in [["-install=/x", flag], [flag, "-install=/x"]] {
                assert_eq!(
                    refused(&argv),
                    format!(
                        "-install cannot be used with {name}: -install takes no other flag but -v"
                    )
                );
            }
        }
    }

    /// How every argument error begins: Go's `flag` wording, or ours where
    /// we refuse what Go would ignore.
    const ERROR_STARTS: [&str; 8] = [
        "flag provided but not defined: -",
        "bad flag syntax: -",
        "flag needs an argument: -",
        "invalid value \"",
        "invalid boolean value \"",
        "unexpected argument \"",
        "argument \"",
        "-install cannot be used with -",
    ];

    proptest! {
        // proptest's 256 cases each run in CI; PROPTEST_CASES sets more:
        // PROPTEST_CASES=100000 cargo test -p grpc-health-exec-probe parser_
        /// Any argv: no panic, and an error is in Go's words, then the hint;
        /// `-h`/`-help` alone stop without an error, with the help.
        #[test]
        fn parser_never_panics_and_words_errors_as_go(args in proptest::collection::vec(
            prop_oneof![
                "-{1,3}(addr|service|tls|v|version|rpc-header|connect-timeout|wait|install|h|help)(=[ -~]{0,8})?",
                "-{1,2}(rpc-timeout|connect-timeout|wait)=[-+.0-9a-zµ]{0,8}",
                "[ -~]{0,12}",
                "-[^ ]{0,4}",
                Just("--".to_owned()),
            ],
            0..8,
        )) {
            match parse(std::iter::once("p".to_owned()).chain(args)) {
                Err(stop) if stop.is_error => {
                    let message = stop.text.strip_suffix(&format!("\n{HINT}\n"));
                    prop_assert!(message.is_some(), "no hint: {:?}", stop.text);
                    let message = message.unwrap_or_default();
                    let known = ERROR_STARTS.iter().any(|start| message.starts_with(start));
                    prop_assert!(known, "not Go's wording: {message:?}");
                }
                Err(help) => prop_assert!(help.text.contains("-addr")),
                Ok(_) => {}
            }
        }
    }
}
