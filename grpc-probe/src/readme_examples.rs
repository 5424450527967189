//! Tests that the README stays true: every command it shows parses and
//! passes the argument checks, its flag table names every flag, and every
//! link works on its crates.io page too (absolute, or within the page).

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

/// The block-style `command:` lists of a YAML block, each as an argv.
fn yaml_commands(yaml: &str) -> Vec<Vec<String>> {
    let mut commands = Vec::new();
    let mut lines = yaml.lines().peekable();
    while let Some(line) = lines.next() {
        if line.trim() != "command:" {
            continue;
        }
        let mut argv = Vec::new();
        while let Some(item) = lines.peek().and_then(|next| next.trim().strip_prefix("- ")) {
            argv.push(item.to_owned());
            lines.next();
        }
        commands.push(argv);
    }
    commands
}

#[test]
fn kubernetes_exec_commands_are_valid() {
    let commands: Vec<Vec<String>> = blocks("yaml").into_iter().flat_map(yaml_commands).collect();
    assert!(commands.len() >= 4, "{commands:?}");
    for argv in &commands {
        assert!(argv[0].ends_with("/grpc-probe"), "{argv:?}");
        check(argv);
    }
}

#[test]
fn flag_table_names_every_flag() {
    for flag in &cli::FLAGS {
        let name = flag.name;
        assert!(
            README.contains(&format!("| `-{name}")) || README.contains(&format!(", `-{name}`")),
            "the flag table lacks -{name}"
        );
    }
}
