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
    Test,
}

impl Chore {
    /// Runs the chore.
    pub(crate) fn run(&self) -> Result<(), StepError> {
        match self {
            Self::Test => crate::test::run(),
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
