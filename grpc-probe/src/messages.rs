//! Everything the probe writes: results and errors on stderr (as
//! grpc-health-probe logs them), `-v` lines when verbose, and help and
//! `-version` on stdout. No other module prints.
//!
//! Write errors (a closed pipe, a full disk) are ignored: the exit code is
//! the answer that matters, and printing must never panic.

use std::fmt::Display;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::duration;

/// Whether `-v` lines are printed; set once, after the arguments are checked.
static VERBOSE: AtomicBool = AtomicBool::new(false);

/// Turns the `-v` lines on or off.
pub(crate) fn set_verbose(on: bool) {
    VERBOSE.store(on, Ordering::Relaxed);
}

/// Text for stdout (help, `-version`), printed as given.
pub(crate) fn stdout(text: &str) {
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

/// A result or an error for stderr; one line is added after it unless it is
/// empty or already ends with one.
pub(crate) fn report(text: &str) {
    if text.is_empty() {
        return;
    }
    // One write per message (stderr is unbuffered): a line is never split
    // from its newline, and a run makes one system call fewer.
    let mut err = std::io::stderr().lock();
    if text.ends_with('\n') {
        let _ = err.write_all(text.as_bytes());
    } else {
        let mut line = String::with_capacity(text.len() + 1);
        line.push_str(text);
        line.push('\n');
        let _ = err.write_all(line.as_bytes());
    }
}

/// `error: {what}` on stderr.
pub(crate) fn error(what: impl Display) {
    report(&format!("error: {what}"));
}

/// Whether `-v` lines are printed; a line whose text costs allocations to
/// build is built only then.
pub(crate) fn is_verbose() -> bool {
    VERBOSE.load(Ordering::Relaxed)
}

/// A `-v` line, printed only when verbose.
pub(crate) fn verbose(line: impl Display) {
    if is_verbose() {
        report(&line.to_string());
    }
}

/// A `-v` line for a finished phase: `{what} (took {took})`.
pub(crate) fn took(what: &str, took: Duration) {
    if is_verbose() {
        report(&format!("{what} (took {})", duration::format(took)));
    }
}
