//! Kubernetes name rules: the app name (a DNS label, since it names the Service
//! too) and label keys and values.

use crate::error::ValueError;

/// Checks that `name` is a DNS-1123 label that also starts with a letter, as a
/// Service name (RFC 1035) must: at most 63 of `a-z`, `0-9` and `-`. Namespaces
/// are held to the same rule.
pub(crate) fn app_name(path: &str, name: &str) -> Result<(), ValueError> {
    let ok = name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(ValueError::new(
            path,
            format!(
                "is {name:?}, not a DNS-1123 label: use at most 63 lowercase letters, digits and '-', \
                 starting with a letter and ending with a letter or digit"
            ),
        ))
    }
}

/// Checks a DNS-1123 subdomain (a ServiceAccount name): dot-separated labels
/// of lowercase letters, digits and '-', at most 253 in all.
pub(crate) fn subdomain(path: &str, name: &str) -> Result<(), ValueError> {
    if name.len() <= 253 && name.split('.').all(is_subdomain_part) {
        Ok(())
    } else {
        Err(ValueError::new(
            path,
            format!(
                "is {name:?}, not a DNS-1123 subdomain: use lowercase letters, digits, '-' and \
                 '.', each part starting and ending with a letter or digit"
            ),
        ))
    }
}

/// Checks a label key: an optional DNS subdomain prefix and `/`, then a name.
pub(crate) fn label_key(path: &str, key: &str) -> Result<(), ValueError> {
    let (prefix, name) = key.rsplit_once('/').unwrap_or(("", key));
    let prefix_ok = key.rsplit_once('/').is_none()
        || (prefix.len() <= 253 && prefix.split('.').all(is_subdomain_part));
    if prefix_ok && !name.is_empty() && is_label_text(name) {
        Ok(())
    } else {
        Err(ValueError::new(
            path,
            format!(
                "has the key {key:?}, not a valid label key: use [prefix/]name, the name at most 63 \
                 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
            ),
        ))
    }
}

/// Checks a label value: empty, or at most 63 letters, digits, `-`, `_` and `.`,
/// starting and ending with a letter or digit.
pub(crate) fn label_value(path: &str, value: &str) -> Result<(), ValueError> {
    if value.is_empty() || is_label_text(value) {
        Ok(())
    } else {
        Err(ValueError::new(
            path,
            format!(
                "is {value:?}, not a valid label value: use at most 63 letters, digits, '-', '_' \
                 or '.', starting and ending with a letter or digit"
            ),
        ))
    }
}

fn is_label_text(text: &str) -> bool {
    text.len() <= 63
        && text.starts_with(|c: char| c.is_ascii_alphanumeric())
        && text.ends_with(|c: char| c.is_ascii_alphanumeric())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn is_subdomain_part(part: &str) -> bool {
    !part.is_empty()
        && part.len() <= 63
        && !part.starts_with('-')
        && !part.ends_with('-')
        && part
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_names() {
        for good in ["a", "yes", "on", "my-app-2", &"a".repeat(63)] {
            app_name("name", good).unwrap();
        }
        for bad in [
            "",
            "My-App",
            "app_1",
            "-a",
            "a-",
            "1a",
            "a.b",
            &"a".repeat(64),
        ] {
            assert!(app_name("name", bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn label_keys() {
        for good in [
            "team",
            "example.com/team",
            "app.kubernetes.io/name",
            "a_b.c",
        ] {
            label_key("labels", good).unwrap();
        }
        for bad in ["", "/x", "Ex.com/x", "x/", "-x", "a/b/c"] {
            assert!(
                label_key("labels", bad).is_err(),
                "{bad:?} should be refused"
            );
        }
    }

    #[test]
    fn label_values() {
        for good in ["", "1.0", "true", "v1.2.3-rc_1"] {
            label_value("version", good).unwrap();
        }
        for bad in ["1.0+build", " x", "x.", "a b"] {
            assert!(
                label_value("version", bad).is_err(),
                "{bad:?} should be refused"
            );
        }
    }
}
