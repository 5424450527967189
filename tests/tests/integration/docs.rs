//! The documents stay true to the code: every test RELIABILITY.md names
//! exists, and the repository stands alone (it cites no document outside it).

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use test_support::workspace_root;

/// Where each suite named in RELIABILITY.md keeps its modules.
const SUITES: [(&str, &str); 4] = [
    ("integration", "tests/tests/integration"),
    ("demo", "examples/tests/demo"),
    ("probe", "grpc-probe/tests/probe"),
    ("manifests", "templates/tests/manifests"),
];

fn read(relative: &str) -> String {
    std::fs::read_to_string(workspace_root().join(relative))
        .unwrap_or_else(|error| panic!("read {relative}: {error}"))
}

/// `(suite, module, test)` for every test the table rows of `document` name:
/// in a row's last cell, a suite word applies to the backticked
/// `module::test` names after it.
fn named_tests(document: &str) -> BTreeSet<(String, String, String)> {
    let mut named = BTreeSet::new();
    for row in document.lines().filter(|line| line.starts_with('|')) {
        let cell = row.trim_end_matches('|').rsplit('|').next().unwrap_or("");
        let mut suite = None;
        for (index, piece) in cell.split('`').enumerate() {
            if index % 2 == 0 {
                let words = piece.split(|c: char| !c.is_ascii_alphanumeric());
                if let Some(word) = words
                    .filter(|word| SUITES.iter().any(|(name, _)| name == word))
                    .last()
                {
                    suite = Some(word.to_owned());
                }
            } else if let (Some(suite), Some((module, test))) = (&suite, piece.split_once("::")) {
                named.insert((suite.clone(), module.to_owned(), test.to_owned()));
            }
        }
    }
    named
}

fn module_file(suite: &str, module: &str) -> PathBuf {
    let (_, dir) = SUITES
        .iter()
        .find(|(name, _)| *name == suite)
        .expect("a known suite");
    workspace_root().join(dir).join(format!("{module}.rs"))
}

#[test]
fn every_test_reliability_md_names_exists() {
    let named = named_tests(&read("RELIABILITY.md"));
    assert!(
        named.len() > 30,
        "only {} tests found: {named:?}",
        named.len()
    );
    let missing: Vec<_> = named
        .iter()
        .filter(|(suite, module, test)| {
            let source = std::fs::read_to_string(module_file(suite, module)).unwrap_or_default();
            !source.contains(&format!("fn {test}("))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "RELIABILITY.md names missing tests: {missing:?}"
    );
}

#[test]
fn the_repository_cites_no_outside_design_document() {
    let tracked = Command::new("git")
        .args(["grep", "-n", "-I", "DESIGN\\.md", "--", "."])
        .current_dir(workspace_root())
        .output()
        .expect("run git grep");
    let hits = String::from_utf8_lossy(&tracked.stdout);
    let hits: Vec<&str> = hits
        .lines()
        .filter(|line| !line.starts_with("tests/tests/integration/docs.rs:"))
        .collect();
    assert!(
        hits.is_empty(),
        "cites a document outside the repository: {hits:#?}"
    );
}
