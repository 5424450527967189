//! Success and failure thresholds: a check's state flips only after enough
//! consecutive results the other way, as Kubernetes' probe thresholds do.

use std::num::NonZeroU32;

/// The debounced state of one check.
#[derive(Debug)]
pub(crate) struct Debounce {
    failure_threshold: NonZeroU32,
    success_threshold: NonZeroU32,
    /// Consecutive results that disagree with `passing`.
    streak: u32,
    passing: bool,
}

impl Debounce {
    /// Starts failing: a check counts as passing only once it has passed.
    pub(crate) const fn new(failure_threshold: NonZeroU32, success_threshold: NonZeroU32) -> Self {
        Self {
            failure_threshold,
            success_threshold,
            streak: 0,
            passing: false,
        }
    }

    pub(crate) const fn passing(&self) -> bool {
        self.passing
    }

    /// Records one result and returns whether the check now counts as passing.
    pub(crate) fn observe(&mut self, passed: bool) -> bool {
        if passed == self.passing {
            self.streak = 0;
            return self.passing;
        }
        self.streak += 1;
        let needed = if passed {
            self.success_threshold
        } else {
            self.failure_threshold
        };
        if self.streak >= needed.get() {
            self.passing = passed;
            self.streak = 0;
        }
        self.passing
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn debounce(failures: u32, successes: u32) -> Debounce {
        Debounce::new(
            NonZeroU32::new(failures).expect("non-zero"),
            NonZeroU32::new(successes).expect("non-zero"),
        )
    }

    #[test]
    fn thresholds_of_one_follow_every_result() {
        let mut state = debounce(1, 1);
        assert!(!state.passing());
        assert!(state.observe(true));
        assert!(!state.observe(false));
        assert!(state.observe(true));
    }

    #[test]
    fn failure_threshold_needs_consecutive_failures() {
        let mut state = debounce(3, 1);
        assert!(state.observe(true));
        assert!(state.observe(false));
        assert!(state.observe(false));
        assert!(state.observe(true), "a pass resets the failure streak");
        assert!(state.observe(false));
        assert!(state.observe(false));
        assert!(!state.observe(false), "third consecutive failure flips");
    }

    #[test]
    fn success_threshold_needs_consecutive_passes() {
        let mut state = debounce(1, 2);
        assert!(!state.observe(true));
        assert!(!state.observe(false));
        assert!(!state.observe(true));
        assert!(state.observe(true));
    }
}
