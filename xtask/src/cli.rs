//! The command line: one subcommand per chore.

use clap::{Parser, Subcommand};

use crate::steps::StepError;

/// Repository chores.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask")]
pub(crate) struct Cli {
    /// The chore to run.
    #[command(subcommand)]
    pub(crate) command: Chore,
}

/// The chores.
#[derive(Debug, Subcommand)]
pub(crate) enum Chore {
    /// Runs the whole test suite: every crate's tests, then the slow suites,
    /// each as its own step.
    Test {
        /// Runs only this step (e.g. `kubelet`); what it needs from earlier
        /// steps (the images of `dist`) must already be there.
        #[arg(long, value_name = "STEP")]
        step: Option<String>,
    },
    /// Builds the release artifacts: the static, auditable, reproducible
    /// probe for each Linux architecture rustup can build here, with a
    /// CycloneDX SBOM beside each, in `dist/` with `dist/SHA256SUMS`, checked,
    /// and (where podman or a docker engine exists) the images: the index
    /// `grpc-probe:VERSION` and `health-demo:VERSION`.
    Dist,
    /// Checks the dependency policy of `deny.toml` with `cargo deny`:
    /// licenses, bans and duplicate versions, sources.
    Deny {
        /// Also checks the RustSec advisories (fetches their database from
        /// GitHub).
        #[arg(long)]
        advisories: bool,
    },
}

impl Chore {
    /// Runs the chore.
    pub(crate) fn run(&self) -> Result<(), StepError> {
        match self {
            Self::Test { step: None } => crate::test::run(),
            Self::Test { step: Some(step) } => crate::test::run_one(step),
            Self::Dist => crate::dist::run(crate::dist::Images::IfEngine),
            Self::Deny { advisories } => crate::deny::run(*advisories),
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
