//! The values with no default (`name`, `image`, `port`). They are checked before
//! anything else, so leaving one out or setting it empty is reported as what it
//! is, a required value, with what a valid one looks like, instead of as an
//! empty value that could fall back to a default.

use serde_json::Value as Json;

use crate::error::ValueError;

use super::read::Values;

/// A value without a default.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Required {
    /// Its key in values.yaml.
    pub(crate) path: &'static str,
    /// What it holds and which values are valid.
    pub(crate) what: &'static str,
    /// A valid value.
    pub(crate) example: &'static str,
}

/// Every value without a default, in the order they are checked; values.yaml
/// marks each `null` with a `# Required.` comment (a unit test keeps the two in step).
pub(crate) const REQUIRED: [Required; 3] = [
    Required {
        path: "name",
        what: "the name of the Deployment, Service and container, a DNS-1123 label \
               (lower-case letters, digits and '-', at most 63 characters)",
        example: "greeter",
    },
    Required {
        path: "image",
        what: "the container image of the gRPC server",
        example: "registry.example/greeter:1.0",
    },
    Required {
        path: "port",
        what: "the port the gRPC server listens on, a whole number from 1 to 65535",
        example: "50051",
    },
];

/// Fails on the first required value that is missing, `null` or blank.
pub(crate) fn present(values: Values<'_>) -> Result<(), ValueError> {
    for required in REQUIRED {
        let state = match values.optional(required.path) {
            None => "is missing",
            Some(Json::String(text)) if text.trim().is_empty() => "is empty",
            Some(_) => continue,
        };
        return Err(ValueError::new(
            required.path,
            format!(
                "{state}, but it is required (there is no default): {}; for example \
                 `--set {}={}`, or `{}: {}` in a values file",
                required.what, required.path, required.example, required.path, required.example
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::DEFAULTS;
    use serde_json::json;

    fn error(value: Json) -> String {
        let Json::Object(map) = value else {
            unreachable!("test values are mappings")
        };
        present(Values::new(&map)).unwrap_err().to_string()
    }

    #[test]
    fn values_yaml_marks_exactly_these_as_required() {
        let marked: Vec<&str> = DEFAULTS
            .lines()
            .zip(DEFAULTS.lines().skip(1))
            .filter(|(comment, _)| comment.starts_with("# Required."))
            .filter_map(|(_, line)| line.strip_suffix(": null"))
            .collect();
        let required: Vec<&str> = REQUIRED.iter().map(|r| r.path).collect();
        assert_eq!(marked, required);
    }

    #[test]
    fn an_empty_required_value_is_called_required_with_an_example() {
        let message = error(json!({"name": "a", "image": "", "port": 1}));
        assert!(
            message.starts_with("value `image` is empty, but it is required"),
            "{message}"
        );
        assert!(
            message.contains("--set image=registry.example/greeter:1.0"),
            "{message}"
        );
        assert!(!message.contains("leave it out"), "{message}");
        let message = error(json!({"name": "  ", "image": "i", "port": 1}));
        assert!(
            message.contains("`name` is empty") && message.contains("DNS-1123"),
            "{message}"
        );
    }

    #[test]
    fn a_missing_required_value_says_what_a_valid_one_looks_like() {
        let message = error(json!({"name": "a", "image": "i", "port": null}));
        assert!(
            message.starts_with("value `port` is missing, but it is required"),
            "{message}"
        );
        assert!(
            message.contains("from 1 to 65535") && message.contains("--set port=50051"),
            "{message}"
        );
    }

    #[test]
    fn set_values_pass_to_their_own_checks() {
        let Json::Object(map) = json!({"name": "A_b", "image": "i", "port": "x"}) else {
            unreachable!("a mapping")
        };
        present(Values::new(&map)).unwrap();
    }
}
