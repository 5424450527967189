//! The README's examples are the renderer's output: every ```sh block that is
//! one `health-manifests ARGS` line and is followed by a ```yaml or ```text
//! block is run (from the package directory) and must print exactly that
//! block, on stdout when it succeeds (```yaml) or on stderr when it is
//! refused (```text).
//!
//! After changing the templates, run this test with `BLESS_README=1` to write
//! the new output into the README, and review the diff.

use std::fs;
use std::ops::Range;
use std::path::PathBuf;
use std::process::Command;

/// One example: its arguments, whether it is refused, and where its output is.
struct Example {
    args: Vec<String>,
    refused: bool,
    output: Range<usize>,
}

fn examples(readme: &str) -> Vec<Example> {
    let mut examples = Vec::new();
    let mut rest = 0;
    while let Some(start) = readme[rest..].find("```sh\nhealth-manifests ") {
        let command_start = rest + start + "```sh\n".len();
        let command_end = command_start + readme[command_start..].find('\n').expect("a line");
        rest = command_end;
        let after = &readme[command_end..];
        let (refused, fence) = if after.starts_with("\n```\n\n```yaml\n") {
            (false, "\n```\n\n```yaml\n")
        } else if after.starts_with("\n```\n\n```text\n") {
            (true, "\n```\n\n```text\n")
        } else {
            continue;
        };
        let output_start = command_end + fence.len();
        let output_end =
            output_start + readme[output_start..].find("```\n").expect("closing fence");
        let args = readme[command_start..command_end]
            .split_whitespace()
            .skip(1)
            .map(str::to_owned)
            .collect();
        examples.push(Example {
            args,
            refused,
            output: output_start..output_end,
        });
        rest = output_end;
    }
    examples
}

#[test]
fn readme_examples_are_the_renderers_output() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let path = dir.join("README.md");
    let readme = fs::read_to_string(&path).expect("read README.md");
    let examples = examples(&readme);
    assert!(examples.len() >= 5, "the README shows its examples");
    let mut blessed = readme.clone();
    let mut mismatches = Vec::new();
    for example in examples.iter().rev() {
        let output = Command::new(env!("CARGO_BIN_EXE_health-manifests"))
            .args(&example.args)
            .current_dir(&dir)
            .output()
            .expect("health-manifests runs");
        let command = format!("health-manifests {}", example.args.join(" "));
        assert_eq!(
            !output.status.success(),
            example.refused,
            "`{command}`: a ```yaml block shows a render, a ```text block a refusal"
        );
        let printed = if example.refused {
            output.stderr
        } else {
            output.stdout
        };
        let printed = String::from_utf8(printed).expect("UTF-8 output");
        if printed != readme[example.output.clone()] {
            mismatches.push(format!("`{command}` prints:\n{printed}"));
            blessed.replace_range(example.output.clone(), &printed);
        }
    }
    if std::env::var_os("BLESS_README").is_some() {
        fs::write(&path, blessed).expect("write README.md");
        return;
    }
    assert!(
        mismatches.is_empty(),
        "README.md is out of date (run this test with BLESS_README=1 and review the diff):\n{}",
        mismatches.join("\n")
    );
}
