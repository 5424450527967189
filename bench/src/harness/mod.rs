//! The machinery every scenario shares and none measures: building and
//! spawning the binaries under test, CPU and memory accounting, statistics,
//! and writing a run out as figures, goals, Markdown and plots.

pub(crate) mod artifacts;
pub(crate) mod child_server;
pub(crate) mod machine;
pub(crate) mod markdown;
pub(crate) mod plots;
pub(crate) mod report;
pub(crate) mod rusage;
pub(crate) mod stats;
