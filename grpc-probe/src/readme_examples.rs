//! Tests that the README stays true: every command it shows parses and
//! passes the argument checks, and its flag table names every flag.

use crate::cli;
use crate::config::Config;

const README: &str = include_str!("../README.md");

/// The fenced blocks of one language.
fn blocks(lang: &str) -> Vec<&'static str> {
    let fence = format!("```{lang}\n");
    README
        .split(fence.as_str())
        .skip(1)
        .filter_map(|rest| rest.split("```").next())
        .collect()
}

/// Parses one command line (program name first) and applies the checks.
fn check(argv: &[String]) {
    let cli = cli::parse(argv.iter().cloned())
        .unwrap_or_else(|stop| panic!("{argv:?} does not parse:\n{}", stop.text));
    // -install takes no -addr; parsing it is the whole check.
    if cli.install.is_none()
        && let Err(e) = Config::from_cli(cli)
    {
        panic!("{argv:?} is refused: {e}");
    }
}

#[test]
fn shell_examples_are_valid() {
    let lines: Vec<Vec<String>> = blocks("sh")
        .into_iter()
        .flat_map(str::lines)
        .filter(|l| l.starts_with("grpc-probe "))
        .map(|l| {
            let command = l.split(" # ").next().unwrap_or_default();
            command.split_whitespace().map(str::to_owned).collect()
        })
        .collect();
    assert!(lines.len() >= 6, "{lines:?}");
    lines.iter().for_each(|argv| check(argv));
}

#[test]
fn kubernetes_exec_commands_are_valid() {
    let mut commands = 0;
    for yaml in blocks("yaml") {
        for part in yaml.split("command: [").skip(1) {
            let list = part.split(']').next().unwrap_or_default();
            let argv: Vec<String> = list
                .split(',')
                .map(|word| word.trim().trim_matches('"').to_owned())
                .collect();
            assert!(argv[0].ends_with("/grpc-probe"), "{argv:?}");
            check(&argv);
            commands += 1;
        }
    }
    assert!(commands >= 4, "{commands} commands");
}

#[test]
fn flag_table_names_every_flag() {
    for arg in cli::command().get_arguments() {
        if let Some(long) = arg.get_long() {
            assert!(
                README.contains(&format!("| `-{long}")) || README.contains(&format!(", `-{long}`")),
                "the flag table lacks -{long}"
            );
        }
    }
}
