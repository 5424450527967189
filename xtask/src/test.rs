//! `cargo xtask test`: the whole suite, as the README and CI run it.
//!
//! Step 1 is every crate's tests (`cargo test --workspace`). The slow suites
//! follow as their own steps so that their cost is explicit and paid once.

use crate::steps::{self, StepError};

/// Runs every step in order, stopping at the first failure.
pub(crate) fn run() -> Result<(), StepError> {
    steps::run(
        "workspace tests",
        steps::cargo().args(["test", "--workspace"]),
    )
}
