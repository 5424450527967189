//! Failure reasons an operator can act on: an error with every cause behind it.

use std::error::Error;

/// `error` and its sources joined with `": "`, as in `error connecting to
/// server: Connection refused (os error 111)`. A source whose text the reason
/// already contains is left out, since many errors repeat their cause.
pub(crate) fn with_causes(error: &dyn Error) -> String {
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
    use std::fmt;

    use super::*;

    #[derive(Debug)]
    struct Wrapper(&'static str, std::io::Error);

    impl fmt::Display for Wrapper {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
    }

    impl Error for Wrapper {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            Some(&self.1)
        }
    }

    #[test]
    fn causes_are_appended_once() {
        let refused = || std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        assert_eq!(
            with_causes(&Wrapper("error connecting to server", refused())),
            "error connecting to server: refused"
        );
        assert_eq!(
            with_causes(&Wrapper("connect failed: refused", refused())),
            "connect failed: refused"
        );
    }
}
