//! State shared by the service, the handle and the evaluation loop.

use std::sync::Mutex;

use crate::registry::Registry;
use crate::snapshot::CheckSnapshot;

pub(crate) struct Shared {
    pub(crate) registry: Registry,
    /// The check states as of the last evaluation.
    pub(crate) checks: Mutex<Vec<CheckSnapshot>>,
}
