//! The dependency list `cargo auditable` embeds in each probe, read back with
//! `rust-audit-info` (as Trivy, Syft and `cargo audit bin` read it) and held
//! against `cargo tree` of the same target at build time, so that what a
//! scanner reports is what was compiled in.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use crate::steps::{self, StepError};

use super::targets::Target;

const STEP: &str = "auditable";

/// Checks that the crates embedded in `probe` are those `cargo tree` lists
/// for `package` on `target`; returns them, as `name@version`.
pub(crate) fn check(
    probe: &Path,
    target: Target,
    package: &str,
) -> Result<BTreeSet<String>, StepError> {
    let json = steps::output(STEP, Command::new("rust-audit-info").arg(probe))?;
    let embedded = embedded_crates(&json).map_err(|why| {
        StepError::new(
            STEP,
            format!("{}: the embedded dependency list: {why}", probe.display()),
        )
    })?;
    // Proc macros run in the compiler, not in the binary: cargo auditable
    // records them as build dependencies, so they leave `cargo tree` too.
    let tree = steps::output(
        STEP,
        steps::cargo().args([
            "tree",
            "--locked",
            "--package",
            package,
            "--edges",
            "normal,no-proc-macro",
            "--target",
            target.triple,
            "--prefix",
            "none",
            "--format",
            "{p}",
        ]),
    )?;
    let compiled = tree_crates(&tree);
    let differences = difference(&embedded, &compiled);
    if !differences.is_empty() {
        return Err(StepError::new(
            STEP,
            format!(
                "{} embeds a dependency list that is not `cargo tree`'s for {}: {}",
                probe.display(),
                target.triple,
                differences.join("; ")
            ),
        ));
    }
    eprintln!(
        "xtask: {} embeds its {} crates, as `cargo tree` lists them",
        probe.display(),
        embedded.len()
    );
    Ok(embedded)
}

/// `name@version` of every runtime package in `rust-audit-info`'s JSON (a
/// package without `kind` is a runtime one).
fn embedded_crates(json: &str) -> Result<BTreeSet<String>, String> {
    let info: serde_json::Value =
        serde_json::from_str(json).map_err(|error| format!("not JSON: {error}"))?;
    let packages = info
        .get("packages")
        .and_then(serde_json::Value::as_array)
        .ok_or("no `packages` list")?;
    let mut crates = BTreeSet::new();
    for package in packages {
        let field = |name: &str| package.get(name).and_then(serde_json::Value::as_str);
        if field("kind").unwrap_or("runtime") != "runtime" {
            continue;
        }
        let (Some(name), Some(version)) = (field("name"), field("version")) else {
            return Err(format!("a package without a name or version: {package}"));
        };
        crates.insert(format!("{name}@{version}"));
    }
    if crates.is_empty() {
        return Err("no runtime packages".to_owned());
    }
    Ok(crates)
}

/// `name@version` of every line of `cargo tree --prefix none --format {p}`
/// (`name vVERSION`, then a path or `(*)` for some).
fn tree_crates(tree: &str) -> BTreeSet<String> {
    tree.lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let name = words.next()?;
            let version = words.next()?.strip_prefix('v')?;
            Some(format!("{name}@{version}"))
        })
        .collect()
}

/// What one set has that the other has not, said both ways.
fn difference(embedded: &BTreeSet<String>, compiled: &BTreeSet<String>) -> Vec<String> {
    let only = |these: &BTreeSet<String>, those: &BTreeSet<String>, what: &str| {
        let extra: Vec<&str> = these.difference(those).map(String::as_str).collect();
        (!extra.is_empty()).then(|| format!("{what}: {}", extra.join(", ")))
    };
    only(embedded, compiled, "embedded but not in cargo tree")
        .into_iter()
        .chain(only(compiled, embedded, "in cargo tree but not embedded"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_packages_are_read_and_build_ones_left_out() {
        let json = r#"{"packages":[
            {"name":"grpc-health-exec-probe","version":"0.1.0","source":"local","root":true,"dependencies":[1]},
            {"name":"bytes","version":"1.10.1","source":"crates.io"},
            {"name":"cc","version":"1.2.0","source":"crates.io","kind":"build"}
        ]}"#;
        let crates = embedded_crates(json).expect("valid");
        assert_eq!(
            crates.into_iter().collect::<Vec<_>>(),
            ["bytes@1.10.1", "grpc-health-exec-probe@0.1.0"]
        );
        assert!(embedded_crates("not json").is_err());
        assert!(embedded_crates(r#"{"packages":[{"name":"x"}]}"#).is_err());
        assert!(embedded_crates(r#"{"packages":[]}"#).is_err());
    }

    #[test]
    fn tree_lines_are_read_with_paths_and_repeats() {
        let tree = "grpc-health-exec-probe v0.1.0 (/src/grpc-probe)\n\
                    bytes v1.10.1\n\
                    bytes v1.10.1 (*)\n\n";
        assert_eq!(
            tree_crates(tree).into_iter().collect::<Vec<_>>(),
            ["bytes@1.10.1", "grpc-health-exec-probe@0.1.0"]
        );
    }

    #[test]
    fn a_difference_is_named_both_ways() {
        let set = |items: &[&str]| items.iter().map(|&item| item.to_owned()).collect();
        assert!(difference(&set(&["a@1"]), &set(&["a@1"])).is_empty());
        assert_eq!(
            difference(&set(&["a@1", "b@1"]), &set(&["a@2", "b@1"])),
            [
                "embedded but not in cargo tree: a@1",
                "in cargo tree but not embedded: a@2"
            ]
        );
    }
}
