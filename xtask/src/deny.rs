//! `cargo xtask deny`: the dependency policy of `deny.toml` (licenses, bans
//! and duplicate versions, sources), checked by a pinned `cargo deny`. The
//! advisories check needs the RustSec database from GitHub; it runs with
//! `--advisories` where that is reachable.

use crate::steps::{self, StepError};
use crate::tools;

/// Checks the policy; `advisories` adds the RustSec advisories check.
pub(crate) fn run(advisories: bool) -> Result<(), StepError> {
    tools::require(&[tools::CARGO_DENY])?;
    let mut checks = vec!["licenses", "bans", "sources"];
    if advisories {
        checks.push("advisories");
    } else {
        eprintln!(
            "xtask: not checking advisories (the RustSec database is fetched from GitHub): \
             `cargo xtask deny --advisories` where it is reachable"
        );
    }
    steps::run(
        "cargo deny",
        steps::cargo()
            .args(["deny", "--locked", "--workspace", "check"])
            .args(&checks),
    )
}
