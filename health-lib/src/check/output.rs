//! What a check may return: `bool`, or `Result<(), E>` whose error is the reason.

use std::fmt::Display;

/// The outcome of one run of a check: `Ok(())` when it passed, or the reason it failed.
pub(crate) type CheckResult = Result<(), String>;

/// A value a check can return.
///
/// `true` and `Ok(())` pass. `false` fails with a generic reason; `Err(e)` fails
/// with `e.to_string()` as the reason. Reasons go to logs and snapshots, never
/// on the wire.
pub trait CheckOutput {
    /// Turns the value into a pass or a failure reason.
    fn into_check_result(self) -> Result<(), String>;
}

impl CheckOutput for bool {
    fn into_check_result(self) -> CheckResult {
        if self {
            Ok(())
        } else {
            Err("check returned false".to_owned())
        }
    }
}

impl<E: Display> CheckOutput for Result<(), E> {
    fn into_check_result(self) -> CheckResult {
        self.map_err(|error| error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bool_and_result_map_to_pass_or_reason() {
        assert_eq!(true.into_check_result(), Ok(()));
        assert_eq!(
            false.into_check_result(),
            Err("check returned false".to_owned())
        );
        assert_eq!(Ok::<(), String>(()).into_check_result(), Ok(()));
        assert_eq!(
            Err::<(), _>("connection refused").into_check_result(),
            Err("connection refused".to_owned())
        );
    }
}
