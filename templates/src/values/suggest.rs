//! The known key closest to a misspelt one, for "did you mean" hints.

/// The key of `known` that `typed` most likely meant: one that differs only in
/// case, starts with it or contains it (`period` → `periodSeconds`), or is a
/// few edits away (`replica` → `replicas`, `imagePulPolicy` → `imagePullPolicy`).
pub(crate) fn closest<'a>(
    typed: &str,
    known: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let typed_lower = typed.to_lowercase();
    let allowed = typed.chars().count() / 3 + 1;
    known
        .into_iter()
        .filter_map(|candidate| {
            let lower = candidate.to_lowercase();
            let distance = distance(&typed_lower, &lower);
            let related = lower.starts_with(&typed_lower)
                || (typed_lower.len() >= 4 && lower.contains(&typed_lower))
                || typed_lower.starts_with(&lower);
            (distance <= allowed || related).then_some((distance, candidate))
        })
        .min()
        .map(|(_, candidate)| candidate)
}

/// Levenshtein distance, in characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEYS: [&str; 5] = [
        "service",
        "initialDelaySeconds",
        "periodSeconds",
        "timeoutSeconds",
        "failureThreshold",
    ];

    #[test]
    fn misspellings_find_their_key() {
        for (typed, meant) in [
            ("period", "periodSeconds"),
            ("periodseconds", "periodSeconds"),
            ("timeoutSecond", "timeoutSeconds"),
            ("servce", "service"),
            ("failureTreshold", "failureThreshold"),
        ] {
            assert_eq!(closest(typed, KEYS), Some(meant), "{typed}");
        }
    }

    #[test]
    fn unrelated_keys_find_nothing() {
        assert_eq!(closest("replicas", KEYS), None);
    }

    #[test]
    fn distances() {
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("same", "same"), 0);
    }
}
