//! `--set key.path=value`: one assignment, typed and addressed the way Helm's
//! `--set` does it.
//!
//! - `true` and `false` are bools, `null` removes the key;
//! - `0`, and digits with an optional sign and no leading zero, are integers;
//! - anything else, including `1.5`, `08080` and the empty string, is a string.
//!
//! The value is everything after the first `=`, commas included. The key is
//! dotted keys and list positions: `env[0].value=x` sets the `value` of the
//! first item of `env`, `args[1]=y` the second item of `args`. As in Helm, a
//! position past the end grows the list, filling the gap with `null`, and
//! anything that is not a list there is replaced by one. Positions go up to
//! [`MAX_INDEX`]. A `.` or `[` inside a key is written `\.` or `\[`
//! (e.g. `labels.example\.com/team=core`).

use serde_json::{Map, Value as Json};

/// The largest list position `--set` takes. A hand-written `--set` never
/// needs more, and a typo such as `env[10000000]` would otherwise grow a list
/// of ten million nulls; longer lists belong in a values file.
pub(crate) const MAX_INDEX: usize = 999;

/// One step of a `--set` key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    /// A mapping key.
    Key(String),
    /// A list position.
    Index(usize),
}

/// One parsed `--set`: where, and what.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Assignment {
    /// The key, first step always a [`Step::Key`].
    pub(crate) path: Vec<Step>,
    /// The typed value.
    pub(crate) value: Json,
}

/// Parses one `--set` argument. The error says what is wrong and how to write it.
pub(crate) fn parse(arg: &str) -> Result<Assignment, String> {
    let (key, text) = arg
        .split_once('=')
        .ok_or_else(|| "has no `=`; write it as key.path=value".to_owned())?;
    Ok(Assignment {
        path: split_key(key)?,
        value: typed(text),
    })
}

impl Assignment {
    /// Writes the value into `values`, creating the mappings and growing the
    /// lists on the way; `null` at a mapping key removes that key.
    pub(crate) fn apply(self, values: &mut Map<String, Json>) {
        // The first step is a key (see `split_key`), so the top stays a mapping.
        let mut top = Json::Object(std::mem::take(values));
        set(&mut top, &self.path, self.value);
        if let Json::Object(map) = top {
            *values = map;
        }
    }
}

fn set(slot: &mut Json, path: &[Step], value: Json) {
    let Some((step, rest)) = path.split_first() else {
        *slot = value;
        return;
    };
    match step {
        Step::Key(key) => {
            if !slot.is_object() {
                *slot = Json::Object(Map::new());
            }
            if let Json::Object(map) = slot {
                if rest.is_empty() && value.is_null() {
                    map.shift_remove(key);
                } else {
                    set(map.entry(key.clone()).or_insert(Json::Null), rest, value);
                }
            }
        }
        Step::Index(index) => {
            if !slot.is_array() {
                *slot = Json::Array(Vec::new());
            }
            if let Json::Array(items) = slot {
                if items.len() <= *index {
                    items.resize(index + 1, Json::Null);
                }
                set(&mut items[*index], rest, value);
            }
        }
    }
}

/// Helm's typing of a `--set` value.
pub(crate) fn typed(text: &str) -> Json {
    match text {
        "true" => Json::Bool(true),
        "false" => Json::Bool(false),
        "null" => Json::Null,
        "0" => Json::from(0),
        _ if text.starts_with('0') => Json::from(text),
        _ => text
            .parse::<i64>()
            .map_or_else(|_| Json::from(text), Json::from),
    }
}

/// `a.b[0].c` into its steps.
fn split_key(key: &str) -> Result<Vec<Step>, String> {
    let empty = || {
        format!(
            "has an empty part in the key `{key}`; name every key between the dots \
             (write a dot inside a key as `\\.`)"
        )
    };
    let mut steps = Vec::new();
    let mut part = String::new();
    // Right after `]`, where only `.`, `[` or the end may follow.
    let mut after_index = false;
    let mut chars = key.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.as_str().starts_with(['.', '[']) => {
                part.extend(chars.next());
            }
            '.' if after_index => after_index = false,
            '.' => steps.push(Step::Key(
                non_empty(std::mem::take(&mut part)).ok_or_else(empty)?,
            )),
            '[' => {
                if !after_index {
                    let name = non_empty(std::mem::take(&mut part)).ok_or_else(|| {
                        format!(
                            "has a list position with no list before it in the key `{key}`; \
                             name the list first, as in env[0].value=x"
                        )
                    })?;
                    steps.push(Step::Key(name));
                }
                let (inside, rest) = chars.as_str().split_once(']').ok_or_else(|| {
                    format!(
                        "has a `[` that is not closed in the key `{key}`; write a list \
                         position as [N], as in env[0].value=x"
                    )
                })?;
                steps.push(Step::Index(index(inside, key)?));
                chars = rest.chars();
                after_index = true;
            }
            c if after_index => {
                return Err(format!(
                    "has `{c}` right after `]` in the key `{key}`; follow a list position \
                     with `.key`, another `[N]` or `=`"
                ));
            }
            c => part.push(c),
        }
    }
    if !after_index {
        steps.push(Step::Key(non_empty(part).ok_or_else(empty)?));
    }
    Ok(steps)
}

fn non_empty(part: String) -> Option<String> {
    (!part.is_empty()).then_some(part)
}

/// The list position written between `[` and `]` in `key`.
fn index(text: &str, key: &str) -> Result<usize, String> {
    let range = format!("from 0 to {MAX_INDEX} (0 is the first item)");
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "has the list position `[{text}]` in the key `{key}`, which is not a whole \
             number; write a position {range}"
        ));
    }
    match text.parse::<usize>() {
        Ok(index) if index <= MAX_INDEX => Ok(index),
        _ => Err(format!(
            "has the list position `[{text}]` in the key `{key}`, above {MAX_INDEX}, the \
             largest --set takes (the positions before it would be filled with null); write \
             a position {range}, or a longer list in a values file"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    /// `values` after applying `args` in order.
    fn applied(values: Json, args: &[&str]) -> Json {
        let Json::Object(mut map) = values else {
            unreachable!("test values are mappings")
        };
        for arg in args {
            parse(arg).unwrap().apply(&mut map);
        }
        Json::Object(map)
    }

    #[test]
    fn typing_follows_helm() {
        assert_eq!(typed("true"), json!(true));
        assert_eq!(typed("false"), json!(false));
        assert_eq!(typed("null"), json!(null));
        assert_eq!(typed("0"), json!(0));
        assert_eq!(typed("8080"), json!(8080));
        assert_eq!(typed("-3"), json!(-3));
        assert_eq!(typed("08080"), json!("08080"));
        assert_eq!(typed("1.5"), json!("1.5"));
        assert_eq!(typed("yes"), json!("yes"));
        assert_eq!(typed(""), json!(""));
    }

    #[test]
    fn nested_path_builds_nested_mappings() {
        assert_eq!(
            applied(json!({}), &["readiness.periodSeconds=2"]),
            json!({"readiness": {"periodSeconds": 2}})
        );
    }

    #[test]
    fn value_keeps_everything_after_the_first_equals() {
        let set = parse("image=a/b:c,d=e #f").unwrap();
        assert_eq!(set.value, "a/b:c,d=e #f");
    }

    #[test]
    fn escaped_dot_and_bracket_stay_in_the_key() {
        assert_eq!(
            applied(
                json!({}),
                &[r"labels.example\.com/team=core", r"labels.a\[0]=b"]
            ),
            json!({"labels": {"example.com/team": "core", "a[0]": "b"}})
        );
    }

    #[test]
    fn list_positions_address_items_as_in_helm() {
        let set = parse("env[0].value=x").unwrap();
        assert_eq!(
            set.path,
            [
                Step::Key("env".into()),
                Step::Index(0),
                Step::Key("value".into())
            ]
        );
        assert_eq!(
            applied(
                json!({"env": []}),
                &["env[0].name=A", "env[0].value=x", "env[1].name=B"]
            ),
            json!({"env": [{"name": "A", "value": "x"}, {"name": "B"}]})
        );
        assert_eq!(
            applied(json!({}), &["a.b[0].c=x", "m[1][0]=y"]),
            json!({"a": {"b": [{"c": "x"}]}, "m": [null, ["y"]]})
        );
    }

    #[test]
    fn a_position_past_the_end_grows_the_list_with_nulls() {
        assert_eq!(
            applied(json!({"args": ["a"]}), &["args[2]=c"]),
            json!({"args": ["a", null, "c"]})
        );
        assert_eq!(
            applied(json!({"args": ["a", "b"]}), &["args[0]=z"]),
            json!({"args": ["z", "b"]}),
            "an existing item is replaced, the others kept"
        );
    }

    #[test]
    fn something_else_at_a_position_is_replaced_by_a_list() {
        assert_eq!(
            applied(
                json!({"args": "x", "m": {"k": 1}}),
                &["args[0]=a", "m.k[0]=b"]
            ),
            json!({"args": ["a"], "m": {"k": ["b"]}})
        );
    }

    #[test]
    fn null_removes_a_key_and_empties_a_position() {
        assert_eq!(
            applied(
                json!({"a": {"b": 1, "c": 2}, "l": [1, 2]}),
                &["a.b=null", "l[0]=null"]
            ),
            json!({"a": {"c": 2}, "l": [null, 2]})
        );
    }

    #[test]
    fn malformed_assignments_are_refused_naming_the_problem() {
        for (arg, problem) in [
            ("port", "no `=`"),
            ("=1", "empty part"),
            ("a..b=1", "empty part"),
            ("a.=1", "empty part"),
            (
                "env[x]=1",
                "`[x]` in the key `env[x]`, which is not a whole number",
            ),
            (
                "env[]=1",
                "`[]` in the key `env[]`, which is not a whole number",
            ),
            (
                "env[-1]=1",
                "`[-1]` in the key `env[-1]`, which is not a whole number",
            ),
            ("env[1000]=1", "`[1000]` in the key `env[1000]`, above 999"),
            ("env[99999999999999999999999]=1", "above 999"),
            ("env[0=1", "`[` that is not closed"),
            ("[0]=1", "no list before it"),
            ("a.[0]=1", "no list before it"),
            ("env[0]x=1", "`x` right after `]`"),
        ] {
            let error = parse(arg).unwrap_err();
            assert!(error.contains(problem), "{arg}: {error}");
        }
    }

    /// `steps` written as a `--set` key, escaping what a key may hold.
    fn written(steps: &[Step]) -> String {
        let mut key = String::new();
        for step in steps {
            match step {
                Step::Key(name) => {
                    if !key.is_empty() {
                        key.push('.');
                    }
                    key.push_str(&name.replace('.', "\\.").replace('[', "\\["));
                }
                Step::Index(index) => key.push_str(&format!("[{index}]")),
            }
        }
        key
    }

    /// A path as `--set` takes it: a key first, keys that hold neither `=`
    /// nor `\`, positions up to the largest.
    fn path(key: &'static str) -> impl Strategy<Value = Vec<Step>> {
        let step = prop_oneof![
            key.prop_map(Step::Key),
            (0..=MAX_INDEX).prop_map(Step::Index),
        ];
        (key.prop_map(Step::Key), prop::collection::vec(step, 0..5)).prop_map(|(first, rest)| {
            let mut path = vec![first];
            path.extend(rest);
            path
        })
    }

    /// The value at `path` in `values`.
    fn at<'a>(values: &'a Json, path: &[Step]) -> Option<&'a Json> {
        path.iter().try_fold(values, |value, step| match step {
            Step::Key(key) => value.get(key),
            Step::Index(index) => value.get(index),
        })
    }

    // 256 cases per run (proptest's default). Run longer with e.g.
    // `PROPTEST_CASES=100000 cargo test -p grpc-health-manifests set::`.
    proptest! {
        #![proptest_config(ProptestConfig::default())]

        /// No argument makes the parser panic; each refusal names the key it
        /// refuses (or the missing `=`), and each parse starts with a key and
        /// stays within the positions `--set` takes.
        #[test]
        fn any_argument_parses_or_is_refused_naming_the_key(
            arg in prop_oneof![
                any::<String>(),
                "[a-z.\\[\\]0-9x\\\\=-]{0,16}",
                "[a-z]{1,3}(\\[[0-9x-]{0,8}\\]?){0,3}(\\.[a-z]{0,2})?=[a-z0-9]{0,3}",
            ]
        ) {
            match parse(&arg) {
                Ok(set) => {
                    prop_assert!(matches!(set.path.first(), Some(Step::Key(_))));
                    for step in &set.path {
                        match step {
                            Step::Key(key) => prop_assert!(!key.is_empty()),
                            Step::Index(index) => prop_assert!(*index <= MAX_INDEX),
                        }
                    }
                    let text = arg.split_once('=').map_or("", |(_, text)| text);
                    prop_assert_eq!(set.value, typed(text));
                }
                Err(error) => match arg.split_once('=') {
                    Some((key, _)) => {
                        let named = format!("in the key `{key}`");
                        prop_assert!(error.contains(&named), "{:?}: {}", arg, error);
                    }
                    None => prop_assert!(error.contains("no `=`"), "{:?}: {}", arg, error),
                },
            }
        }

        /// A path written as a `--set` key reads back as the same steps.
        #[test]
        fn written_paths_read_back(path in path("[^=\\\\]{1,8}")) {
            let set = parse(&format!("{}=v", written(&path))).unwrap();
            prop_assert_eq!(set.path, path);
        }

        /// Wherever it points, in whatever is there, the value ends up at its path.
        #[test]
        fn the_value_lands_at_its_path(path in path("[almkx]")) {
            let mut values = json!({"a": 1, "l": [1, {"k": 2}], "m": {"x": null, "l": "s"}});
            let Json::Object(map) = &mut values else { unreachable!("a mapping") };
            Assignment { path: path.clone(), value: json!("v") }.apply(map);
            prop_assert_eq!(at(&values, &path), Some(&json!("v")));
        }
    }
}
