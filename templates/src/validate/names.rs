//! Kubernetes name rules: the app name (a DNS label, since it names the Service
//! too), volume names, label keys and values, annotation keys and sizes, and
//! environment variable names.

use crate::error::ValueError;
use crate::kube::{Feature, KubeVersion};

/// The most bytes of annotations (keys and values) one object may carry.
const ANNOTATIONS_MAX: usize = 256 * 1024;

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
    rule(ok, path, || {
        format!(
            "is {name:?}, not a DNS-1123 label: use at most 63 lowercase letters, digits and '-', \
             starting with a letter and ending with a letter or digit"
        )
    })
}

/// Checks a DNS-1123 subdomain (a ServiceAccount name): dot-separated labels
/// of lowercase letters, digits and '-', at most 253 in all.
pub(crate) fn subdomain(path: &str, name: &str) -> Result<(), ValueError> {
    let ok = name.len() <= 253 && name.split('.').all(is_subdomain_part);
    rule(ok, path, || {
        format!(
            "is {name:?}, not a DNS-1123 subdomain: use lowercase letters, digits, '-' and \
             '.', each part starting and ending with a letter or digit"
        )
    })
}

/// Checks a DNS-1123 label (a volume name): at most 63 lowercase letters,
/// digits and '-', starting and ending with a letter or digit.
pub(crate) fn dns_label(path: &str, name: &str) -> Result<(), ValueError> {
    rule(is_subdomain_part(name), path, || {
        format!(
            "is {name:?}, not a DNS-1123 label: use at most 63 lowercase letters, digits and \
             '-', starting and ending with a letter or digit"
        )
    })
}

/// `Ok` when `ok`, else the refusal of the value at `path`, `problem` saying why.
fn rule(ok: bool, path: &str, problem: impl FnOnce() -> String) -> Result<(), ValueError> {
    if ok {
        Ok(())
    } else {
        Err(ValueError::new(path, problem()))
    }
}

/// Whether `key` is a qualified name (a label or annotation key): an optional
/// DNS subdomain prefix of at most 253 characters and `/`, then a name of at
/// most 63 letters, digits, '-', '_' and '.', starting and ending with a
/// letter or digit.
pub(crate) fn is_qualified_name(key: &str) -> bool {
    let (prefix, name) = key.split_once('/').unwrap_or(("", key));
    let prefix_ok =
        !key.contains('/') || (prefix.len() <= 253 && prefix.split('.').all(is_subdomain_part));
    prefix_ok && is_label_text(name)
}

/// Checks a label or annotation key, a qualified name.
pub(crate) fn label_key(path: &str, key: &str) -> Result<(), ValueError> {
    rule(is_qualified_name(key), path, || {
        format!(
            "has the key {key:?}, not a valid label key: use [prefix/]name, the name at most 63 \
             letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
        )
    })
}

/// Checks a label value: empty, or at most 63 letters, digits, `-`, `_` and `.`,
/// starting and ending with a letter or digit.
pub(crate) fn label_value(path: &str, value: &str) -> Result<(), ValueError> {
    rule(value.is_empty() || is_label_text(value), path, || {
        format!(
            "is {value:?}, not a valid label value: use at most 63 letters, digits, '-', '_' \
             or '.', starting and ending with a letter or digit"
        )
    })
}

/// Checks that the annotations of one object, keys and values, fit in the
/// 256 KiB the API server allows.
pub(crate) fn annotations_size<'a>(
    path: &str,
    entries: impl IntoIterator<Item = (&'a String, &'a String)>,
) -> Result<(), ValueError> {
    let size: usize = entries.into_iter().map(|(k, v)| k.len() + v.len()).sum();
    rule(size <= ANNOTATIONS_MAX, path, || {
        format!(
            "takes {size} bytes (keys and values); an object's annotations may take at most \
             {ANNOTATIONS_MAX} (256 KiB)"
        )
    })
}

/// Checks an environment variable name. From 1.34 the API server takes any
/// printable ASCII but `=` (KEP-4369, GA); 1.33 has that behind a beta
/// feature gate a cluster may turn off, so there the older rule holds:
/// `[-._a-zA-Z][-._a-zA-Z0-9]*`, Kubernetes' own (looser than C_IDENTIFIER,
/// it allows '-' and '.').
pub(crate) fn env_name(path: &str, name: &str, version: KubeVersion) -> Result<(), ValueError> {
    let relaxed = version.has(Feature::RelaxedEnvNames);
    let ok = if relaxed {
        !name.is_empty()
            && name
                .bytes()
                .all(|b| (b' '..=b'~').contains(&b) && b != b'=')
    } else {
        name.starts_with(|c: char| c.is_ascii_alphabetic() || matches!(c, '-' | '.' | '_'))
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
    };
    rule(ok, path, || {
        let allowed = if relaxed {
            "use printable ASCII characters other than '=', at least one".to_owned()
        } else {
            format!(
                "use letters, digits, '-', '.' and '_', not starting with a digit ({})",
                version.lacks(Feature::RelaxedEnvNames)
            )
        };
        format!("is {name:?}, not an environment variable name Kubernetes takes: {allowed}")
    })
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
        for bad in [
            "",
            "/x",
            "Ex.com/x",
            "x/",
            "-x",
            "a/b/c",
            &"a".repeat(64),
            &format!("{}/x", "a".repeat(254)),
        ] {
            assert!(
                label_key("labels", bad).is_err(),
                "{bad:?} should be refused"
            );
        }
    }

    #[test]
    fn dns_labels() {
        for good in ["data", "1st", "a-b"] {
            dns_label("volumes[0].name", good).unwrap();
        }
        for bad in ["", "Data", "a_b", "-a", "a.b", &"a".repeat(64)] {
            assert!(dns_label("v", bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn env_names_by_version() {
        let (old, new) = (
            KubeVersion::parse("1.33").unwrap(),
            KubeVersion::parse("1.34").unwrap(),
        );
        for good in ["PATH", "_x", "my.var", "-dash", "a1"] {
            env_name("env[0].name", good, old).unwrap();
        }
        for relaxed_only in ["1ST", "a b", "x:y"] {
            let error = env_name("env[0].name", relaxed_only, old)
                .unwrap_err()
                .to_string();
            assert!(error.contains("1.34 or later"), "{error}");
            env_name("env[0].name", relaxed_only, new).unwrap();
        }
        for never in ["", "A=B", "tab\t", "ü"] {
            assert!(env_name("e", never, old).is_err(), "{never:?}");
            assert!(env_name("e", never, new).is_err(), "{never:?}");
        }
    }

    #[test]
    fn annotation_size() {
        let small = [("k".to_owned(), "v".to_owned())];
        annotations_size("annotations", small.iter().map(|(k, v)| (k, v))).unwrap();
        let big = [("k".to_owned(), "v".repeat(ANNOTATIONS_MAX))];
        let error = annotations_size("annotations", big.iter().map(|(k, v)| (k, v)))
            .unwrap_err()
            .to_string();
        assert!(error.contains("256 KiB"), "{error}");
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
