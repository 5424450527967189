//! The README's examples are the renderer's output: every ```console block
//! that starts with `$ health-manifests ARGS` is run (from the package
//! directory) and must print exactly the rest of the block, on stdout when it
//! succeeds or on stderr when it is refused.
//!
//! After changing the templates, run this test with `BLESS_README=1` to write
//! the new output into the README, and review the diff.

use std::fs;
use std::path::PathBuf;
use std::process::Command;

/// One example: where its output starts and ends in the README, and its arguments.
struct Example {
    args: Vec<String>,
    output: std::ops::Range<usize>,
}

fn examples(readme: &str) -> Vec<Example> {
    let mut examples = Vec::new();
    let mut rest = 0;
    while let Some(start) = readme[rest..].find("```console\n$ health-manifests") {
        let command_start = rest + start + "```console\n$ ".len();
        let command_end =
            command_start + readme[command_start..].find('\n').expect("a command line");
        let output_start = command_end + 1;
        let output_end =
            output_start + readme[output_start..].find("```\n").expect("closing fence");
        let args = readme[command_start..command_end]
            .split_whitespace()
            .skip(1)
            .map(str::to_owned)
            .collect();
        examples.push(Example {
            args,
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
        let printed = if output.status.success() {
            output.stdout
        } else {
            output.stderr
        };
        let printed = String::from_utf8(printed).expect("UTF-8 output");
        if printed != readme[example.output.clone()] {
            mismatches.push(format!(
                "`health-manifests {}` prints:\n{printed}",
                example.args.join(" ")
            ));
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
