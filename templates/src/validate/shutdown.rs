//! How the pod stops: the optional preStop sleep, the library's drain delay,
//! and the grace period that covers both and the server's shutdown.
//!
//! The sleep counts against `terminationGracePeriodSeconds` (kubelet's clock
//! starts before the hook), so the grace period is the sum of all three: a
//! sleep can never eat into the drain or the shutdown, and is always shorter
//! than the grace period.

use serde_json::{Value as Json, json};

use crate::error::ValueError;
use crate::kube::{Feature, KubeVersion};

use super::read::{INT32_MAX, Values};

/// The checked shutdown values.
#[derive(Debug, PartialEq)]
pub(crate) struct Shutdown {
    /// The container's `lifecycle`, when a preStop sleep is asked for.
    pub(crate) lifecycle: Option<Json>,
    /// `preStopSleepSeconds + drainDelaySeconds + shutdownGraceSeconds`.
    pub(crate) grace_period_seconds: i64,
}

/// Reads `preStopSleepSeconds`, `drainDelaySeconds` and `shutdownGraceSeconds`.
pub(crate) fn shutdown(values: Values<'_>, version: KubeVersion) -> Result<Shutdown, ValueError> {
    let sleep = values.int("preStopSleepSeconds", 0, INT32_MAX)?;
    let drain = values.int("drainDelaySeconds", 0, INT32_MAX)?;
    let grace = values.int("shutdownGraceSeconds", 0, INT32_MAX)?;
    if grace < 1 {
        return Err(ValueError::new(
            "shutdownGraceSeconds",
            format!(
                "is {grace}; it must be at least 1 so that terminationGracePeriodSeconds \
                 (preStopSleepSeconds + drainDelaySeconds + shutdownGraceSeconds) exceeds \
                 the sleep and drain before it ({sleep} + {drain})"
            ),
        ));
    }
    if sleep > 0 && !version.has(Feature::PreStopSleep) {
        return Err(ValueError::new(
            "preStopSleepSeconds",
            format!(
                "is {sleep}; {}, or leave it 0 and drain with the library (drainDelaySeconds)",
                version.lacks(Feature::PreStopSleep)
            ),
        ));
    }
    Ok(Shutdown {
        lifecycle: (sleep > 0).then(|| json!({"preStop": {"sleep": {"seconds": sleep}}})),
        grace_period_seconds: sleep + drain + grace,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shutdown_of(sleep: i64, drain: i64, version: &str) -> Result<Shutdown, String> {
        let values = json!({
            "preStopSleepSeconds": sleep,
            "drainDelaySeconds": drain,
            "shutdownGraceSeconds": 1,
        });
        let Json::Object(map) = values else {
            unreachable!("a mapping")
        };
        let version = KubeVersion::parse(version)?;
        shutdown(Values::new(&map), version).map_err(|error| error.to_string())
    }

    #[test]
    fn the_sleep_is_added_to_the_grace_period_so_it_is_always_shorter() {
        for (sleep, drain) in [(0, 0), (5, 0), (5, 5), (INT32_MAX, 0)] {
            let stop = shutdown_of(sleep, drain, "1.34").unwrap();
            assert_eq!(stop.grace_period_seconds, sleep + drain + 1);
            assert!(sleep < stop.grace_period_seconds);
            assert_eq!(stop.lifecycle.is_some(), sleep > 0);
        }
    }

    #[test]
    fn the_sleep_needs_1_34() {
        let error = shutdown_of(5, 0, "1.33").unwrap_err();
        assert!(
            error.starts_with("value `preStopSleepSeconds` is 5"),
            "{error}"
        );
        assert!(error.contains("--kube-version is 1.33"), "{error}");
        assert!(shutdown_of(0, 5, "1.33").unwrap().lifecycle.is_none());
    }
}
