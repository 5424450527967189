//! The cargo subcommands and tools the chores run, each pinned to one version
//! and installed from the crates registry (`cargo install --locked`, into
//! `~/.cargo/bin`) when missing or at another version, so CI needs no setup
//! of its own and every machine runs the same tools.

use crate::steps::{self, StepError};

/// A tool from the crates registry at a pinned version.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tool {
    /// The crate that installs it.
    pub(crate) krate: &'static str,
    /// The pinned version.
    pub(crate) version: &'static str,
}

/// `cargo deny`: licenses, bans and sources of the dependency graph.
pub(crate) const CARGO_DENY: Tool = Tool {
    krate: "cargo-deny",
    version: "0.20.2",
};

/// `cargo auditable build`: the dependency list embedded in each binary.
pub(crate) const CARGO_AUDITABLE: Tool = Tool {
    krate: "cargo-auditable",
    version: "0.7.7",
};

/// `cargo cyclonedx`: the CycloneDX SBOM of each binary.
pub(crate) const CARGO_CYCLONEDX: Tool = Tool {
    krate: "cargo-cyclonedx",
    version: "0.5.9",
};

/// `rust-audit-info`: reads back the list `cargo auditable` embedded.
pub(crate) const RUST_AUDIT_INFO: Tool = Tool {
    krate: "rust-audit-info",
    version: "0.5.4",
};

impl Tool {
    /// Whether `cargo install --list` (`installed`) lists the pinned version.
    fn listed_in(&self, installed: &str) -> bool {
        installed
            .lines()
            .any(|line| line.starts_with(&format!("{} v{}:", self.krate, self.version)))
    }
}

/// What `cargo install` has installed, as `cargo install --list` says it.
fn installed() -> Result<String, StepError> {
    steps::output(
        "installed tools",
        steps::cargo().args(["install", "--list"]),
    )
}

/// Installs each tool of `tools` that is missing or at another version.
pub(crate) fn require(tools: &[Tool]) -> Result<(), StepError> {
    let before = installed()?;
    for tool in tools.iter().filter(|tool| !tool.listed_in(&before)) {
        let step = format!("install {}", tool.krate);
        eprintln!(
            "xtask: {} {} is not installed: installing it from the crates registry into \
             ~/.cargo/bin (cargo install --locked; this takes a few minutes once)",
            tool.krate, tool.version
        );
        // Its own temporary target directory, not the workspace's.
        steps::run(
            &step,
            steps::cargo().env_remove("CARGO_TARGET_DIR").args([
                "install",
                "--locked",
                &format!("{}@{}", tool.krate, tool.version),
            ]),
        )?;
        if !tool.listed_in(&installed()?) {
            return Err(StepError::new(
                &step,
                format!(
                    "`cargo install --list` does not list {} v{} after installing it",
                    tool.krate, tool.version
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_pinned_version_counts_as_installed() {
        let list =
            "cargo-deny v0.20.2:\n    cargo-deny\ncargo-auditable v0.7.6:\n    cargo-auditable\n";
        assert!(CARGO_DENY.listed_in(list));
        assert!(!CARGO_AUDITABLE.listed_in(list), "another version");
        assert!(!RUST_AUDIT_INFO.listed_in(list), "not installed");
    }
}
