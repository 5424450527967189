//! The query string of a health endpoint: `verbose`, repeatable `exclude`
//! and `format`, percent-decoded, bounded in size, anything else refused.

use std::fmt;

/// Longer query strings are refused with 414.
pub(crate) const MAX_QUERY_BYTES: usize = 4096;

/// What a health endpoint was asked for.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Query {
    /// List every check, as kube-apiserver's `?verbose`.
    pub(crate) verbose: bool,
    /// Checks left out of the verdict, as kube-apiserver's `?exclude=NAME`.
    pub(crate) exclude: Vec<String>,
    /// `?format=json` or `?format=text`; `None` leaves it to `Accept`.
    pub(crate) format: Option<Format>,
}

/// How an answer is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    /// kube-apiserver's plain text.
    Text,
    /// The JSON schema of the crate documentation.
    Json,
}

/// A query that cannot be served.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum QueryError {
    /// Above [`MAX_QUERY_BYTES`].
    TooLong,
    /// Invalid percent-encoding, non-UTF-8, an unknown parameter or value.
    Bad(String),
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLong => write!(f, "query string longer than {MAX_QUERY_BYTES} bytes"),
            Self::Bad(message) => f.write_str(message),
        }
    }
}

impl Query {
    /// Parses `raw` (without the `?`); `None` is no query at all.
    pub(crate) fn parse(raw: Option<&str>) -> Result<Self, QueryError> {
        let mut query = Self::default();
        let Some(raw) = raw else {
            return Ok(query);
        };
        if raw.len() > MAX_QUERY_BYTES {
            return Err(QueryError::TooLong);
        }
        for pair in raw.split('&').filter(|pair| !pair.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let key = decode(key, Plus::Space)?;
            let value = decode(value, Plus::Space)?;
            match key.as_str() {
                "verbose" => query.verbose = parse_flag(&value)?,
                "exclude" if value.is_empty() => {
                    return Err(QueryError::Bad("exclude needs a check name".to_owned()));
                }
                "exclude" => query.exclude.push(value),
                "format" => {
                    query.format = Some(match value.as_str() {
                        "json" => Format::Json,
                        "text" => Format::Text,
                        _ => {
                            return Err(QueryError::Bad(format!(
                                "format takes json or text, not {:?}",
                                shorten(&value)
                            )));
                        }
                    });
                }
                _ => {
                    return Err(QueryError::Bad(format!(
                        "unknown query parameter {:?}; known: verbose, exclude, format",
                        shorten(&key)
                    )));
                }
            }
        }
        Ok(query)
    }
}

fn parse_flag(value: &str) -> Result<bool, QueryError> {
    match value {
        "" | "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(QueryError::Bad(format!(
            "verbose takes no value, true or false, not {:?}",
            shorten(value)
        ))),
    }
}

/// How `+` reads: a space in a query string (as HTML forms send it), itself in a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Plus {
    Space,
    Literal,
}

/// Percent-decodes `raw` into UTF-8.
pub(crate) fn decode(raw: &str, plus: Plus) -> Result<String, QueryError> {
    let mut bytes = Vec::with_capacity(raw.len());
    let mut input = raw.bytes();
    while let Some(byte) = input.next() {
        bytes.push(match byte {
            b'+' if plus == Plus::Space => b' ',
            b'%' => {
                let high = input.next().and_then(hex_value);
                let low = input.next().and_then(hex_value);
                match (high, low) {
                    (Some(high), Some(low)) => high << 4 | low,
                    _ => {
                        return Err(QueryError::Bad(
                            "invalid percent-encoding: % must be followed by two hex digits"
                                .to_owned(),
                        ));
                    }
                }
            }
            other => other,
        });
    }
    String::from_utf8(bytes)
        .map_err(|_| QueryError::Bad("percent-encoded bytes are not UTF-8".to_owned()))
}

const fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

/// At most 64 characters of caller input, for an error message.
fn shorten(text: &str) -> String {
    text.chars().take(64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn bad(raw: &str) -> String {
        match Query::parse(Some(raw)) {
            Err(QueryError::Bad(message)) => message,
            other => panic!("{raw:?} gave {other:?}"),
        }
    }

    #[test]
    fn verbose_and_repeated_excludes_are_read() {
        assert_eq!(Query::parse(None), Ok(Query::default()));
        let query = Query::parse(Some("verbose&exclude=db&exclude=disk%20space&exclude=a+b"))
            .expect("valid");
        assert!(query.verbose);
        assert_eq!(query.exclude, ["db", "disk space", "a b"]);
        assert_eq!(decode("a+b%2B", Plus::Literal), Ok("a+b+".to_owned()));
        for (raw, verbose) in [
            ("verbose=true", true),
            ("verbose=1", true),
            ("verbose=false", false),
            ("", false),
            ("&&", false),
        ] {
            assert_eq!(
                Query::parse(Some(raw)).map(|query| query.verbose),
                Ok(verbose),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn bad_queries_are_refused_with_a_reason() {
        assert!(bad("exclude=%zz").contains("percent-encoding"));
        assert!(bad("exclude=%4").contains("percent-encoding"));
        assert!(bad("exclude=%ff").contains("not UTF-8"));
        assert!(bad("exclude").contains("needs a check name"));
        assert!(bad("verbose=yes").contains("verbose takes"));
        assert!(bad("format=xml").contains("format takes json or text"));
        assert_eq!(
            Query::parse(Some("format=json")).map(|query| query.format),
            Ok(Some(Format::Json))
        );
        assert!(bad("debug=1").contains("unknown query parameter \"debug\""));
        let long_key = "k".repeat(100);
        assert_eq!(
            bad(&long_key),
            format!(
                "unknown query parameter {:?}; known: verbose, exclude, format",
                "k".repeat(64)
            )
        );
    }

    #[test]
    fn queries_above_the_bound_are_too_long() {
        let at_bound = format!("exclude={}", "x".repeat(MAX_QUERY_BYTES - 8));
        assert!(Query::parse(Some(&at_bound)).is_ok());
        let above = format!("{at_bound}x");
        assert_eq!(Query::parse(Some(&above)), Err(QueryError::TooLong));
    }

    // Property tests: whatever the query string, the parser returns a query
    // or one of the documented errors, and never panics. 256 cases each
    // (proptest's default, the same in CI); for a longer run:
    // `PROPTEST_CASES=100000 cargo test -p grpc-health-checks --features admin query::tests`.

    /// The start of every `QueryError::Bad` message the parser writes.
    const DOCUMENTED: [&str; 5] = [
        "invalid percent-encoding: % must be followed by two hex digits",
        "percent-encoded bytes are not UTF-8",
        "exclude needs a check name",
        "verbose takes no value, true or false, not ",
        "unknown query parameter ",
    ];

    /// Query strings near the grammar: keys, values, separators, escapes.
    fn near_miss() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop_oneof![
                Just("verbose".to_owned()),
                Just("exclude=".to_owned()),
                Just("&".to_owned()),
                Just("=".to_owned()),
                Just("+".to_owned()),
                "%[0-9a-fA-FgG]{0,2}",
                "[a-z0-9]{0,6}",
                any::<char>().prop_map(String::from),
            ],
            0..24,
        )
        .prop_map(|pieces| pieces.concat())
    }

    /// Percent-encodes every byte that is not alphanumeric.
    fn encode(text: &str) -> String {
        text.bytes()
            .map(|byte| {
                if byte.is_ascii_alphanumeric() {
                    char::from(byte).to_string()
                } else {
                    format!("%{byte:02X}")
                }
            })
            .collect()
    }

    fn assert_documented(raw: &str, result: &Result<Query, QueryError>) {
        match result {
            Ok(query) => {
                assert!(query.exclude.iter().all(|name| !name.is_empty()), "{raw:?}");
                assert!(raw.len() <= MAX_QUERY_BYTES, "{raw:?} is too long");
            }
            Err(QueryError::TooLong) => assert!(raw.len() > MAX_QUERY_BYTES),
            Err(QueryError::Bad(message)) => {
                assert!(raw.len() <= MAX_QUERY_BYTES);
                assert!(
                    DOCUMENTED.iter().any(|start| message.starts_with(start)),
                    "{raw:?} gave an undocumented error {message:?}"
                );
                assert!(
                    message.chars().count() < 160,
                    "{message:?} echoes the input"
                );
            }
        }
    }

    proptest! {
        #[test]
        fn any_string_parses_or_gets_a_documented_error(raw in any::<String>()) {
            assert_documented(&raw, &Query::parse(Some(&raw)));
        }

        #[test]
        fn near_misses_parse_or_get_a_documented_error(raw in near_miss()) {
            assert_documented(&raw, &Query::parse(Some(&raw)));
        }

        #[test]
        fn long_strings_are_too_long_exactly_above_the_bound(
            len in (MAX_QUERY_BYTES - 64)..(MAX_QUERY_BYTES + 64),
            fill in "[a-z&=%+]",
        ) {
            let raw = fill.repeat(len);
            assert_documented(&raw, &Query::parse(Some(&raw)));
        }

        #[test]
        fn encoded_queries_read_back_as_written(
            verbose in any::<bool>(),
            exclude in prop::collection::vec("\\PC{1,12}", 0..6),
        ) {
            let mut pairs = vec![format!("verbose={verbose}")];
            pairs.extend(exclude.iter().map(|name| format!("exclude={}", encode(name))));
            let raw = pairs.join("&");
            prop_assume!(raw.len() <= MAX_QUERY_BYTES);
            prop_assert_eq!(Query::parse(Some(&raw)), Ok(Query { verbose, exclude, format: None }));
        }

        #[test]
        fn path_names_decode_or_get_a_documented_error(raw in any::<String>()) {
            if let Err(error) = decode(&raw, Plus::Literal) {
                assert_documented(&raw, &Err(error));
            }
        }
    }
}
