//! Go-style durations (`1s`, `250ms`, `1m30s`, `1.5s`, `100us`), parsed and
//! printed by hand so that flags and messages read exactly as upstream's.

use std::time::Duration;

/// Nanoseconds per unit suffix, longest suffixes first so `ms` wins over `m`.
const UNITS: [(&str, u128); 8] = [
    ("ns", 1),
    ("us", 1_000),
    ("µs", 1_000),
    ("μs", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
];

/// Parses a Go duration. `0` alone is accepted (as Go does) so that the
/// "must be greater than zero" check can report it; negatives are refused here.
pub(crate) fn parse(text: &str) -> Result<Duration, String> {
    let s = text.strip_prefix('+').unwrap_or(text);
    if s.starts_with('-') {
        return Err("must be greater than zero".into());
    }
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    if s.is_empty() {
        return Err(format!("invalid duration {text:?}"));
    }
    let invalid = || format!("invalid duration {text:?} (examples: 1s, 250ms, 1m30s)");
    let mut rest = s;
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let int_len = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let (int, after) = rest.split_at(int_len);
        let (frac, after) = match after.strip_prefix('.') {
            Some(f) => {
                let n = f.find(|c: char| !c.is_ascii_digit()).unwrap_or(f.len());
                f.split_at(n)
            }
            None => ("", after),
        };
        if int.is_empty() && frac.is_empty() {
            return Err(invalid());
        }
        let (unit, scale) = UNITS
            .iter()
            .filter(|(u, _)| after.starts_with(u))
            .max_by_key(|(u, _)| u.len())
            .copied()
            .ok_or_else(invalid)?;
        let whole: u128 = if int.is_empty() {
            0
        } else {
            int.parse().map_err(|_| invalid())?
        };
        let mut part = whole.checked_mul(scale).ok_or_else(invalid)?;
        // Fraction digits beyond nanosecond precision are dropped, as in Go.
        let mut div = 1u128;
        for d in frac.bytes().take(20) {
            div *= 10;
            part += u128::from(d - b'0') * scale / div;
        }
        total = total.checked_add(part).ok_or_else(invalid)?;
        rest = &after[unit.len()..];
    }
    let secs = u64::try_from(total / 1_000_000_000).map_err(|_| invalid())?;
    // The remainder is below 10^9, so it fits.
    let nanos = (total % 1_000_000_000) as u32;
    Ok(Duration::new(secs, nanos))
}

/// Formats like Go's `time.Duration.String()`: `1s`, `1.5s`, `250ms`, `1m30s`.
pub(crate) fn format(d: Duration) -> String {
    let n = d.as_nanos();
    if n == 0 {
        return "0s".into();
    }
    if n < 1_000 {
        return format!("{n}ns");
    }
    if n < 1_000_000 {
        return format!("{}µs", decimal(n, 1_000));
    }
    if n < 1_000_000_000 {
        return format!("{}ms", decimal(n, 1_000_000));
    }
    let secs = decimal(n % 60_000_000_000, 1_000_000_000);
    let mins = n / 60_000_000_000;
    match (mins / 60, mins % 60) {
        (0, 0) => format!("{secs}s"),
        (0, m) => format!("{m}m{secs}s"),
        (h, m) => format!("{h}h{m}m{secs}s"),
    }
}

/// `n / unit` with the fraction written out and trailing zeros trimmed.
fn decimal(n: u128, unit: u128) -> String {
    let (whole, frac) = (n / unit, n % unit);
    if frac == 0 {
        return whole.to_string();
    }
    let width = unit.ilog10() as usize;
    let digits = format!("{frac:0width$}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_go_forms() {
        assert_eq!(parse("1s"), Ok(Duration::from_secs(1)));
        assert_eq!(parse("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse(".5s"), Ok(Duration::from_millis(500)));
        assert_eq!(parse("100us"), Ok(Duration::from_micros(100)));
        assert_eq!(parse("100µs"), Ok(Duration::from_micros(100)));
        assert_eq!(parse("7ns"), Ok(Duration::from_nanos(7)));
        assert_eq!(parse("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse("1h2m3.25s"), Ok(Duration::from_millis(3_723_250)));
        assert_eq!(parse("+1s"), Ok(Duration::from_secs(1)));
        assert_eq!(parse("0"), Ok(Duration::ZERO));
        assert_eq!(parse("0s"), Ok(Duration::ZERO));
    }

    #[test]
    fn rejects_bad_input() {
        for bad in [
            "", "1", "s", "1x", "1.s.", "ms", "-1s", "1s-", " 1s", "1e3s", "1..5s",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} should be rejected");
        }
        assert!(parse("99999999999999999999999h").is_err());
    }

    #[test]
    fn formats_like_go() {
        assert_eq!(format(Duration::ZERO), "0s");
        assert_eq!(format(Duration::from_secs(1)), "1s");
        assert_eq!(format(Duration::from_millis(1500)), "1.5s");
        assert_eq!(format(Duration::from_millis(250)), "250ms");
        assert_eq!(format(Duration::from_micros(1500)), "1.5ms");
        assert_eq!(format(Duration::from_micros(100)), "100µs");
        assert_eq!(format(Duration::from_nanos(42)), "42ns");
        assert_eq!(format(Duration::from_secs(90)), "1m30s");
        assert_eq!(format(Duration::from_secs(3600)), "1h0m0s");
    }

    proptest::proptest! {
        // proptest's 256 cases each run in CI; PROPTEST_CASES sets more:
        // PROPTEST_CASES=100000 cargo test -p grpc-health-exec-probe duration::
        /// Any text: no panic; an error names the text it refuses.
        #[test]
        fn parse_never_panics(text in "[-+.0-9a-zµμ]{0,16}|\\PC{0,16}") {
            if let Err(why) = parse(&text) {
                proptest::prop_assert!(
                    why == "must be greater than zero" || why.contains(&format!("{text:?}")),
                    "{}",
                    why
                );
            }
        }

        /// Whatever Go prints for a duration parses back to it.
        #[test]
        fn any_duration_round_trips(nanos in 0..u64::MAX / 2) {
            let d = Duration::from_nanos(nanos);
            proptest::prop_assert_eq!(parse(&format(d)), Ok(d));
        }
    }

    #[test]
    fn format_then_parse_round_trips() {
        for ms in [1, 999, 1000, 1001, 59_999, 60_000, 3_723_250] {
            let d = Duration::from_millis(ms);
            assert_eq!(parse(&format(d)), Ok(d));
        }
    }
}
