//! Resource quantities as the API server reads them (k8s-openapi's `Quantity`
//! is only a string): `<signedNumber><suffix>`, the number `1`, `1.5`, `1.`
//! or `.5` with an optional sign, the suffix one of `Ki Mi Gi Ti Pi Ei`,
//! `n u m "" k M G T P E`, or an exponent `e3` / `E-2`. And the container
//! resources that hold them: known resource names, no negative amounts, and
//! requests no larger than limits.

use serde_json::Value as Json;

use crate::error::ValueError;

use super::names;
use super::read::Values;

/// What a refusal says a quantity looks like.
const GRAMMAR: &str = "write a number with an optional suffix, Ki Mi Gi Ti Pi Ei (powers of \
    1024), n u m k M G T P E (powers of 1000) or an exponent such as e3, e.g. 500m, 1.5, \
    128Mi, 2Gi, 1e9";

/// A quantity's value in billionths (the API server's finest unit, `1n`),
/// rounded up as it rounds; saturated at the ends of `i128`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Nanos(i128);

/// Parses a quantity, or says why it is not one.
pub(crate) fn parse(text: &str) -> Result<Nanos, &'static str> {
    let (negative, rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let number_end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let (number, suffix) = rest.split_at(number_end);
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && fraction.is_empty() {
        return Err("it does not start with a number");
    }
    if fraction.contains('.') {
        return Err("its number has two decimal points");
    }
    let (binary, decimal) = scale(suffix)?;
    // digits × 10^(decimal - fraction digits + 9) × 1024^binary, in nanos.
    let digits = format!("{whole}{fraction}");
    let ten_power = i64::from(decimal) + 9 - i64::try_from(fraction.len()).unwrap_or(i64::MAX);
    let mut value = digits
        .trim_start_matches('0')
        .chars()
        .try_fold(0i128, |n, c| {
            n.checked_mul(10)?
                .checked_add(i128::from(c.to_digit(10).unwrap_or(0)))
        })
        .unwrap_or(i128::MAX);
    for _ in 0..binary {
        value = value.saturating_mul(1024);
    }
    if ten_power >= 0 {
        for _ in 0..ten_power.min(40) {
            value = value.saturating_mul(10);
        }
    } else {
        let divisor = (0..(-ten_power).min(39)).fold(1i128, |d, _| d.saturating_mul(10));
        // Below one nano rounds up, as the API server rounds.
        value = value / divisor + i128::from(value % divisor != 0);
    }
    Ok(Nanos(if negative { -value } else { value }))
}

/// `(powers of 1024, powers of 10)` of a suffix.
fn scale(suffix: &str) -> Result<(u32, i32), &'static str> {
    Ok(match suffix {
        "" => (0, 0),
        "n" => (0, -9),
        "u" => (0, -6),
        "m" => (0, -3),
        "k" => (0, 3),
        "M" => (0, 6),
        "G" => (0, 9),
        "T" => (0, 12),
        "P" => (0, 15),
        "E" => (0, 18),
        "Ki" => (1, 0),
        "Mi" => (2, 0),
        "Gi" => (3, 0),
        "Ti" => (4, 0),
        "Pi" => (5, 0),
        "Ei" => (6, 0),
        _ => {
            let exponent = suffix
                .strip_prefix(['e', 'E'])
                .ok_or("its suffix is not one Kubernetes knows")?;
            let digits = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err("its exponent is not a whole number");
            }
            let power = exponent
                .parse::<i32>()
                .map_err(|_| "its exponent is too large")?;
            (0, power)
        }
    })
}

/// Checks the quantity at `path`: a string or a number, written as a quantity.
pub(crate) fn quantity(path: &str, value: &Json) -> Result<Nanos, ValueError> {
    let text = match value {
        Json::String(text) => text.clone(),
        Json::Number(n) => n.to_string(),
        other => {
            return Err(ValueError::new(
                path,
                format!("is {other}, not a Kubernetes quantity: {GRAMMAR}"),
            ));
        }
    };
    parse(&text).map_err(|why| {
        ValueError::new(
            path,
            format!("is {text:?}, not a Kubernetes quantity ({why}): {GRAMMAR}"),
        )
    })
}

/// Checks `resources.limits` and `resources.requests`: each name a container
/// resource, each amount a quantity of 0 or more, and no request above its
/// limit.
pub(crate) fn resources(values: Values<'_>) -> Result<(), ValueError> {
    let mut limits = Vec::new();
    for section in ["limits", "requests"] {
        let path = format!("resources.{section}");
        for (name, amount) in values.entries(&path)? {
            let path = format!("{path}.{name}");
            resource_name(&path, name)?;
            let nanos = quantity(&path, amount)?;
            if nanos < Nanos(0) {
                return Err(ValueError::new(
                    path,
                    format!("is {amount}; a resource amount must be 0 or more"),
                ));
            }
            match section {
                "limits" => limits.push((name, amount, nanos)),
                _ => {
                    if let Some((_, limit, _)) = limits
                        .iter()
                        .find(|(limited, _, limit)| *limited == name && *limit < nanos)
                    {
                        return Err(ValueError::new(
                            path,
                            format!(
                                "is {amount}, more than resources.limits.{name} ({limit}); a \
                                 request must be at most its limit"
                            ),
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}

/// A container resource name: `cpu`, `memory`, `ephemeral-storage`,
/// `hugepages-<size>`, or an extended resource `example.com/name`.
fn resource_name(path: &str, name: &str) -> Result<(), ValueError> {
    let standard = matches!(name, "cpu" | "memory" | "ephemeral-storage")
        || name
            .strip_prefix("hugepages-")
            .is_some_and(|size| parse(size).is_ok());
    if standard || (name.contains('/') && names::is_qualified_name(name)) {
        return Ok(());
    }
    Err(ValueError::new(
        path,
        format!(
            "names the resource {name:?}, which a container does not have: use cpu, memory, \
             ephemeral-storage, hugepages-<size> or an extended resource such as \
             example.com/gpu"
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nanos(text: &str) -> i128 {
        parse(text)
            .unwrap_or_else(|why| panic!("{text:?}: {why}"))
            .0
    }

    #[test]
    fn the_grammar_is_kubernetes() {
        for (text, expected) in [
            ("1", 1_000_000_000),
            ("0", 0),
            ("500m", 500_000_000),
            ("1.5", 1_500_000_000),
            ("1.", 1_000_000_000),
            (".5", 500_000_000),
            ("+2k", 2_000_000_000_000),
            ("-1", -1_000_000_000),
            ("1Ki", 1_024_000_000_000),
            ("1Mi", 1_048_576_000_000_000),
            ("1e3", 1_000_000_000_000),
            ("1E-3", 1_000_000),
            ("1e+2", 100_000_000_000),
            ("5n", 5),
            ("3u", 3_000),
            ("0.1n", 1),
        ] {
            assert_eq!(nanos(text), expected, "{text}");
        }
        assert!(nanos("1Ei") > 0 && nanos("1E") > 0);
        assert_eq!(nanos("100m"), nanos("0.1"));
        assert_eq!(nanos("1Gi"), nanos("1073741824"));
    }

    #[test]
    fn other_text_is_refused() {
        for bad in [
            "lots", "", "Mi", "1 Mi", "1mi", "1KI", "1Kib", "1.2.3", "1e", "1e1.5", "--1", "+",
            ".", "1b", "0x10", " 1",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn resource_names() {
        for good in [
            "cpu",
            "memory",
            "ephemeral-storage",
            "hugepages-2Mi",
            "nvidia.com/gpu",
        ] {
            resource_name("r", good).unwrap();
        }
        for bad in ["memroy", "CPU", "gpu", "hugepages-x", "/gpu", "a/b/c"] {
            assert!(
                resource_name("r", bad).is_err(),
                "{bad:?} should be refused"
            );
        }
    }
}
