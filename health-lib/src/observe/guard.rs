//! The one rule for calling a listener: a panic in it is caught and logged,
//! never passed on.

use std::panic::{AssertUnwindSafe, catch_unwind};

/// Runs one listener call, catching and logging a panic so that it reaches
/// neither the caller nor the other listeners.
pub(super) fn guarded(call: impl FnOnce()) {
    if catch_unwind(AssertUnwindSafe(call)).is_err() {
        tracing::error!("a health listener panicked; it keeps receiving events");
    }
}
