//! A CycloneDX 1.5 JSON SBOM beside each probe in `dist/`, from
//! `cargo cyclonedx` (licenses, checksums and purls of each crate), narrowed
//! to the crates compiled into that binary and made reproducible.
//!
//! `cargo cyclonedx` resolves features over the whole workspace, so for the
//! probe it lists crates that only other members use (database drivers, the
//! HTTP server); the crates kept are those `cargo auditable` embedded in the
//! binary, which `audit` has held against `cargo tree`. Its references name
//! the workspace's absolute path, remapped here to `/build` as the compiler's
//! paths are; its timestamp is `SOURCE_DATE_EPOCH`.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::steps::{self, StepError, workspace_root};

use super::source::Source;
use super::targets::Target;

const STEP: &str = "SBOM";

/// The file name `cargo cyclonedx` writes beside every workspace member's
/// manifest; each is removed once read.
const SCRATCH_NAME: &str = "grpc-probe-dist-sbom";

/// Where the workspace root appears in the SBOM instead of its real path.
pub(crate) const REMAPPED_ROOT: &str = "/build";

/// Writes `dist/<probe>.cdx.json` for the probe of `target` at `probe`,
/// listing `crates` (`name@version`, the ones compiled in); returns its path.
pub(crate) fn write(
    probe: &Path,
    target: Target,
    crates: &BTreeSet<String>,
    source: &Source,
) -> Result<PathBuf, StepError> {
    let root = workspace_root();
    let io = |what: &str, error: std::io::Error| StepError::new(STEP, format!("{what}: {error}"));
    let generated = steps::run(
        &format!("{STEP} of {}", target.triple),
        steps::cargo()
            .args(["cyclonedx", "--manifest-path", "grpc-probe/Cargo.toml"])
            .args([
                "--format",
                "json",
                "--spec-version",
                "1.5",
                "--no-build-deps",
            ])
            .args([
                "--target",
                target.triple,
                "--override-filename",
                SCRATCH_NAME,
            ])
            .env("SOURCE_DATE_EPOCH", source.epoch.to_string()),
    );
    let scratch = root.join("grpc-probe").join(format!("{SCRATCH_NAME}.json"));
    let text = fs::read_to_string(&scratch);
    remove_scratch(&root).map_err(|error| io("remove cargo cyclonedx's files", error))?;
    generated?;
    let text = text.map_err(|error| io(&format!("read {}", scratch.display()), error))?;
    let root_url = format!("path+file://{}", root.display());
    let text = text.replace(&root_url, &format!("path+file://{REMAPPED_ROOT}"));
    let mut bom: Value = serde_json::from_str(&text)
        .map_err(|error| StepError::new(STEP, format!("cargo cyclonedx wrote no JSON: {error}")))?;
    narrow(&mut bom, crates).map_err(|why| StepError::new(STEP, why))?;
    let path = probe.with_file_name(format!(
        "{}.cdx.json",
        probe
            .file_name()
            .map_or_else(|| target.triple.into(), |name| name.to_string_lossy())
    ));
    let mut json = serde_json::to_string_pretty(&bom)
        .map_err(|error| StepError::new(STEP, format!("serialize the SBOM: {error}")))?;
    json.push('\n');
    fs::write(&path, json).map_err(|error| io(&format!("write {}", path.display()), error))?;
    Ok(path)
}

/// Removes the file `cargo cyclonedx` wrote beside each member's manifest.
fn remove_scratch(root: &Path) -> std::io::Result<()> {
    for entry in fs::read_dir(root)? {
        let scratch = entry?.path().join(format!("{SCRATCH_NAME}.json"));
        if scratch.is_file() {
            fs::remove_file(scratch)?;
        }
    }
    Ok(())
}

/// Keeps, of `bom`'s components and dependency graph, the crates in `crates`
/// (the described component itself stays as the graph's root); fails unless
/// every crate of `crates` is among the components.
fn narrow(bom: &mut Value, crates: &BTreeSet<String>) -> Result<(), String> {
    let name_at_version = |component: &Value| {
        Some(format!(
            "{}@{}",
            component.get("name")?.as_str()?,
            component.get("version")?.as_str()?
        ))
    };
    let root = bom
        .pointer("/metadata/component")
        .ok_or("no metadata.component")?;
    let mut kept_refs: BTreeSet<String> = root
        .get("bom-ref")
        .and_then(Value::as_str)
        .into_iter()
        .map(str::to_owned)
        .collect();
    let mut found: BTreeSet<String> = name_at_version(root).into_iter().collect();
    let components = bom
        .get_mut("components")
        .and_then(Value::as_array_mut)
        .ok_or("no components list")?;
    components.retain(|component| {
        let keep = name_at_version(component).is_some_and(|id| crates.contains(&id));
        if keep {
            found.extend(name_at_version(component));
            kept_refs.extend(
                component
                    .get("bom-ref")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            );
        }
        keep
    });
    let missing: Vec<&str> = crates.difference(&found).map(String::as_str).collect();
    if !missing.is_empty() {
        return Err(format!(
            "cargo cyclonedx lists no component for: {}",
            missing.join(", ")
        ));
    }
    let graph = bom
        .get_mut("dependencies")
        .and_then(Value::as_array_mut)
        .ok_or("no dependencies list")?;
    let is_kept = |reference: &Value| {
        reference
            .as_str()
            .is_some_and(|reference| kept_refs.contains(reference))
    };
    graph.retain(|node| node.get("ref").is_some_and(is_kept));
    for node in graph {
        if let Some(Value::Array(edges)) = node.get_mut("dependsOn") {
            edges.retain(is_kept);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_compiled_crates_stay_in_components_and_graph() {
        let mut bom = serde_json::json!({
            "metadata": {"component": {"bom-ref": "probe", "name": "probe", "version": "1.0.0"}},
            "components": [
                {"bom-ref": "b", "name": "bytes", "version": "1.0.0"},
                {"bom-ref": "d", "name": "deadpool", "version": "0.1.0"}
            ],
            "dependencies": [
                {"ref": "probe", "dependsOn": ["b", "d"]},
                {"ref": "b", "dependsOn": []},
                {"ref": "d", "dependsOn": ["b"]}
            ]
        });
        let crates = ["probe@1.0.0", "bytes@1.0.0"]
            .map(str::to_owned)
            .into_iter()
            .collect();
        narrow(&mut bom, &crates).expect("every crate is listed");
        assert_eq!(
            bom["components"],
            serde_json::json!([{"bom-ref": "b", "name": "bytes", "version": "1.0.0"}])
        );
        assert_eq!(
            bom["dependencies"],
            serde_json::json!([
                {"ref": "probe", "dependsOn": ["b"]},
                {"ref": "b", "dependsOn": []}
            ])
        );
        let more = ["probe@1.0.0", "bytes@2.0.0"]
            .map(str::to_owned)
            .into_iter()
            .collect();
        let error = narrow(&mut bom, &more).expect_err("bytes 2.0.0 is not listed");
        assert!(error.contains("bytes@2.0.0"), "{error}");
    }
}
