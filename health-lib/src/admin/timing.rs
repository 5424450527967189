//! The timing a verbose line carries: how long a check's last run took and
//! how long ago its status last changed, as `(2.1ms, changed 3m ago)`.

use std::time::{Duration, SystemTime};

use crate::snapshot::CheckSnapshot;

/// ` (2.1ms, changed 3m ago)`, ` (2.1ms)` before a first change, or nothing
/// before a first run.
pub(crate) fn suffix(check: &CheckSnapshot, now: SystemTime) -> String {
    let Some(duration) = check.last_duration else {
        return String::new();
    };
    match check.last_change {
        Some(changed) => format!(
            " ({}, changed {} ago)",
            run_time(duration),
            age(now.duration_since(changed).unwrap_or_default())
        ),
        None => format!(" ({})", run_time(duration)),
    }
}

/// A run's duration: milliseconds with one decimal below a second, else seconds.
fn run_time(duration: Duration) -> String {
    if duration < Duration::from_secs(1) {
        format!("{:.1}ms", duration.as_secs_f64() * 1000.0)
    } else {
        format!("{:.1}s", duration.as_secs_f64())
    }
}

/// An age as kubectl shows one, in its largest whole unit: `42s`, `3m`, `5h`, `2d`.
fn age(age: Duration) -> String {
    let seconds = age.as_secs();
    match seconds {
        0..60 => format!("{seconds}s"),
        60..3600 => format!("{}m", seconds / 60),
        3600..86_400 => format!("{}h", seconds / 3600),
        _ => format!("{}d", seconds / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Group;

    #[test]
    fn durations_and_ages_read_as_kubectl_shows_them() {
        assert_eq!(run_time(Duration::from_micros(2_140)), "2.1ms");
        assert_eq!(run_time(Duration::from_millis(1_250)), "1.2s");
        for (seconds, shown) in [
            (0, "0s"),
            (59, "59s"),
            (60, "1m"),
            (3599, "59m"),
            (3600, "1h"),
            (86_399, "23h"),
            (86_400, "1d"),
        ] {
            assert_eq!(age(Duration::from_secs(seconds)), shown, "{seconds}");
        }
    }

    #[test]
    fn the_suffix_says_what_is_known() {
        let now = SystemTime::now();
        let mut check = CheckSnapshot::pending("db".to_owned(), vec![Group::Readiness], false);
        assert_eq!(suffix(&check, now), "", "not run yet");
        check.last_duration = Some(Duration::from_micros(2_140));
        assert_eq!(suffix(&check, now), " (2.1ms)", "no change yet");
        check.last_change = now.checked_sub(Duration::from_secs(180));
        assert_eq!(suffix(&check, now), " (2.1ms, changed 3m ago)");
        check.last_change = now.checked_add(Duration::from_secs(5));
        assert_eq!(
            suffix(&check, now),
            " (2.1ms, changed 0s ago)",
            "a clock set back reads as now"
        );
    }
}
