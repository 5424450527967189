//! What a check may return: `bool`, or `Result<(), E>` whose error, with
//! every cause behind it, is the reason.

use std::error::Error;

/// The outcome of one run of a check: `Ok(())` when it passed, or the reason it failed.
pub(crate) type CheckResult = Result<(), String>;

/// A value a check can return.
///
/// `true` and `Ok(())` pass. `false` fails with a generic reason; `Err(e)`
/// fails with `e` and its [`source`](Error::source) chain joined with `": "`
/// as the reason (`connecting to db: Connection refused (os error 111)`).
/// `e` is anything that converts into `Box<dyn Error + Send + Sync>`: a
/// `&str` or `String`, any `Error + Send + Sync` type, a boxed error, or
/// `anyhow::Error`. Reasons go to logs, snapshots and listeners, never on the
/// wire.
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

impl<E: Into<Box<dyn Error + Send + Sync>>> CheckOutput for Result<(), E> {
    fn into_check_result(self) -> CheckResult {
        self.map_err(|error| error_reason(&*error.into()))
    }
}

/// The reason a check's `Err(error)` becomes: `error` and its
/// [`source`](Error::source) chain joined with `": "`, as in `error connecting
/// to server: Connection refused (os error 111)`. A source whose text the
/// reason already contains is left out, since many errors repeat their cause.
///
/// For checks that build their own reason around an error, as the ready-made
/// checks do (`GET https://auth/healthz failed: ...`).
pub fn error_reason(error: &(dyn Error + 'static)) -> String {
    let mut reason = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !reason.contains(&text) {
            reason.push_str(": ");
            reason.push_str(&text);
        }
        source = cause.source();
    }
    reason
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

    /// An error with a cause, as a client library's would be.
    #[derive(Debug)]
    struct Connecting(std::io::Error);

    impl std::fmt::Display for Connecting {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("connecting to db")
        }
    }

    impl Error for Connecting {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn an_error_keeps_its_cause_chain_once() {
        let refused =
            || std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "connection refused");
        assert_eq!(
            Err::<(), _>(Connecting(refused())).into_check_result(),
            Err("connecting to db: connection refused".to_owned())
        );
        let boxed: Box<dyn Error + Send + Sync> = Box::new(Connecting(refused()));
        assert_eq!(
            Err::<(), _>(boxed).into_check_result(),
            Err("connecting to db: connection refused".to_owned()),
            "a boxed error keeps it too"
        );
        assert_eq!(
            Err::<(), _>(refused()).into_check_result(),
            Err("connection refused".to_owned()),
            "no cause, nothing added"
        );
    }
}
