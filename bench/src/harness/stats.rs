//! Means, medians and percentiles of samples.

/// The arithmetic mean; `NaN` for no samples.
pub(crate) fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// The median (the mean of the middle two for an even count); `NaN` for none.
pub(crate) fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => sorted[n / 2],
        _ => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// The nearest-rank `p`th percentile (0 < p ≤ 100) of sorted samples.
pub(crate) fn percentile<T: Copy>(sorted: &[T], p: f64) -> Option<T> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    // Nearest rank: the smallest value with at least p% of the samples at or below it.
    let rank = (p / 100.0 * n as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, n) - 1])
}

/// The nearest-rank `p`th percentile of unsorted values; `NaN` for none.
pub(crate) fn quantile(values: &[f64], p: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    percentile(&sorted, p).unwrap_or(f64::NAN)
}

/// The median of per-round samples and their first and third quartiles.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Spread {
    /// The median.
    pub(crate) median: f64,
    /// The 25th percentile.
    pub(crate) q1: f64,
    /// The 75th percentile.
    pub(crate) q3: f64,
}

impl Spread {
    /// The spread of `values`; all `NaN` for none.
    pub(crate) fn of(values: &[f64]) -> Self {
        Self {
            median: median(values),
            q1: quantile(values, 25.0),
            q3: quantile(values, 75.0),
        }
    }
}

/// `numerator / denominator`, or `NaN` when the denominator is not positive.
pub(crate) fn ratio(numerator: f64, denominator: f64) -> f64 {
    if denominator > 0.0 {
        numerator / denominator
    } else {
        f64::NAN
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_is_nearest_rank() {
        let samples: Vec<u32> = (1..=100).collect();
        assert_eq!(percentile(&samples, 99.0), Some(99));
        assert_eq!(percentile(&samples, 100.0), Some(100));
        assert_eq!(percentile(&samples, 50.0), Some(50));
        assert_eq!(percentile(&samples, 0.1), Some(1));
        assert_eq!(percentile(&[7_u32], 99.0), Some(7));
        assert_eq!(percentile::<u32>(&[], 99.0), None);
        let thousand: Vec<u32> = (1..=1000).collect();
        assert_eq!(percentile(&thousand, 99.0), Some(990));
    }

    #[test]
    fn median_and_mean() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!(median(&[]).is_nan());
        assert_eq!(mean(&[1.0, 2.0, 6.0]), 3.0);
    }

    #[test]
    fn spread_gives_quartiles() {
        let values: Vec<f64> = (1..=8).rev().map(f64::from).collect();
        let spread = Spread::of(&values);
        assert_eq!((spread.q1, spread.median, spread.q3), (2.0, 4.5, 6.0));
        assert!(Spread::of(&[]).median.is_nan() && quantile(&[], 50.0).is_nan());
    }

    #[test]
    fn ratio_of_nothing_is_nan() {
        assert_eq!(ratio(3.0, 2.0), 1.5);
        assert!(ratio(1.0, 0.0).is_nan());
    }
}
