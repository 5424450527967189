//! How a check's failure reason is shown over HTTP, in text and JSON alike:
//! one bounded line.

/// Longest reason shown, in characters.
const MAX_REASON_CHARS: usize = 256;

/// A reason as one bounded line: control characters become spaces.
pub(super) fn bounded(reason: &str) -> String {
    reason
        .chars()
        .take(MAX_REASON_CHARS)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}
