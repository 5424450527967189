//! The READMEs say how to get the renderer and what it prints, and are held to it:
//!
//! - Every ```sh block of this crate's README that is one `health-manifests ARGS`
//!   line followed by a ```yaml or ```text block is run from where the text
//!   before it says (the repository root when it says "from the repository
//!   root", else an empty directory, since the templates are built in) and must
//!   print exactly that block: on stdout when it succeeds (```yaml), on stderr
//!   when it is refused (```text).
//! - Both READMEs give the install commands for this package, from crates.io and
//!   (from the repository root) from a clone.
//! - This crate's README stands alone on its crates.io page: every link is
//!   absolute or points at one of its own headings.
//!
//! After changing the templates, run this test with `BLESS_README=1` to write
//! the new output into the README, and review the diff.

use std::fs;
use std::ops::Range;
use std::path::{Path, PathBuf};

use test_support::workspace_root;

use crate::cli;

/// What the READMEs say to run from a clone, from the repository root.
const FROM_ROOT: &str = "from the repository root";

/// One ```sh block: its lines, where it ends, and the paragraph before it.
struct Block<'a> {
    lines: Vec<&'a str>,
    end: usize,
    /// The paragraph before the block, on one line.
    before: String,
}

/// Every ```sh block of `text`.
fn sh_blocks(text: &str) -> Vec<Block<'_>> {
    let mut blocks = Vec::new();
    let mut rest = 0;
    while let Some(found) = text[rest..].find("```sh\n") {
        let fence = rest + found;
        let start = fence + "```sh\n".len();
        let end = start + text[start..].find("```").expect("closing fence");
        let paragraph = text[..fence].trim_end().rsplit("\n\n").next().unwrap_or("");
        blocks.push(Block {
            lines: text[start..end].lines().map(str::trim).collect(),
            end,
            before: paragraph.split_whitespace().collect::<Vec<_>>().join(" "),
        });
        rest = end;
    }
    blocks
}

/// One example: its arguments, where it runs, whether it is refused, and where its output is.
struct Example {
    args: Vec<String>,
    from_root: bool,
    refused: bool,
    output: Range<usize>,
}

fn examples(readme: &str) -> Vec<Example> {
    let mut examples = Vec::new();
    for block in sh_blocks(readme) {
        let [command] = block.lines[..] else {
            continue;
        };
        let Some(args) = command.strip_prefix("health-manifests ") else {
            continue;
        };
        let after = &readme[block.end..];
        let (refused, fence) = if after.starts_with("```\n\n```yaml\n") {
            (false, "```\n\n```yaml\n")
        } else if after.starts_with("```\n\n```text\n") {
            (true, "```\n\n```text\n")
        } else {
            continue;
        };
        let output_start = block.end + fence.len();
        let output_end =
            output_start + readme[output_start..].find("```\n").expect("closing fence");
        examples.push(Example {
            args: args.split_whitespace().map(str::to_owned).collect(),
            from_root: block.before.to_lowercase().contains(FROM_ROOT),
            refused,
            output: output_start..output_end,
        });
    }
    examples
}

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|error| panic!("read {}: {error}", path.display()))
}

#[test]
fn readme_examples_are_the_renderers_output_from_where_they_say() {
    let path = crate_dir().join("README.md");
    let readme = read(&path);
    let examples = examples(&readme);
    assert!(examples.len() >= 5, "the README shows its examples");
    assert!(
        examples
            .iter()
            .any(|e| e.from_root && e.args.contains(&"templates/examples/team".to_owned())),
        "the team example runs from the repository root"
    );
    let anywhere = tempfile::tempdir().expect("an empty directory");
    let mut blessed = readme.clone();
    let mut mismatches = Vec::new();
    for example in examples.iter().rev() {
        let dir = if example.from_root {
            workspace_root()
        } else {
            anywhere.path().to_owned()
        };
        let run = cli::run_from(&dir, &example.args);
        let command = format!("health-manifests {}", example.args.join(" "));
        assert_eq!(
            run.code != 0,
            example.refused,
            "`{command}` in {}: a ```yaml block shows a render, a ```text block a refusal; \
             stderr: {}",
            dir.display(),
            run.stderr
        );
        let printed = if example.refused {
            run.stderr
        } else {
            run.stdout
        };
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

/// The install commands in `text`: from crates.io by this package's name, and
/// from a clone with `--path templates`, said to run from the repository root.
fn assert_install_instructions(readme: &str, text: &str) {
    let blocks = sh_blocks(text);
    let from_crates_io = format!("cargo install --locked {}", env!("CARGO_PKG_NAME"));
    let from_clone = "cargo install --locked --path templates";
    assert!(
        blocks
            .iter()
            .any(|b| b.lines.contains(&from_crates_io.as_str())),
        "{readme} shows `{from_crates_io}`"
    );
    let clone = blocks
        .iter()
        .find(|b| b.lines.contains(&from_clone))
        .unwrap_or_else(|| panic!("{readme} shows `{from_clone}`"));
    assert!(
        clone.before.to_lowercase().contains(FROM_ROOT),
        "{readme} says to run `{from_clone}` {FROM_ROOT}: {}",
        clone.before
    );
}

#[test]
fn both_readmes_say_how_to_install_this_package() {
    assert_install_instructions("templates/README.md", &read(&crate_dir().join("README.md")));
    let root = read(&workspace_root().join("README.md"));
    let section = root
        .split("\n## ")
        .find(|section| section.starts_with("The manifests\n"))
        .expect("the root README has a section `The manifests`");
    assert_install_instructions("README.md (The manifests)", section);

    // `--path templates` from the repository root is this crate, whose binary is health-manifests.
    assert_eq!(
        workspace_root()
            .join("templates")
            .canonicalize()
            .expect("templates/"),
        crate_dir().canonicalize().expect("this crate"),
    );
    assert!(Path::new(env!("CARGO_BIN_EXE_health-manifests")).ends_with("health-manifests"));

    // The section's own example works from the repository root.
    let commands: Vec<&str> = sh_blocks(section)
        .into_iter()
        .flat_map(|block| block.lines)
        .filter(|line| line.starts_with("health-manifests "))
        .collect();
    assert!(!commands.is_empty(), "the section shows a render");
    for command in commands {
        let args: Vec<&str> = command.split_whitespace().skip(1).collect();
        let run = cli::run_from(&workspace_root(), &args);
        assert_eq!(
            run.code, 0,
            "`{command}` from the repository root: {}",
            run.stderr
        );
        assert!(run.stdout.starts_with("---\n"), "{}", run.stdout);
    }
}
