//! Spike detection: negative volume about an entity that rises abnormally, even when no
//! single post is severe.
//!
//! Per entity × complaint category (and "all" negative posts), hourly counts are kept.
//! The expected count for an hour is a rolling baseline — the mean hourly count over the
//! last four weeks — times an hour-of-week factor learned from those weeks and shrunk
//! towards 1 while there is little history (Mondays at 9 are busier than Sundays at 3).
//! An hour is a spike when its count is at least `min_count` and the Poisson probability
//! of seeing that many or more, given the expected count, is below `p_value`.

use serde::{Deserialize, Serialize};

pub const HOURS_PER_WEEK: i64 = 168;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SpikeConfig {
    /// Fewer posts than this in an hour are never a spike, however quiet it usually is.
    pub min_count: u32,
    /// How improbable the hour's count must be under the baseline (Poisson tail).
    pub p_value: f64,
    /// Weeks of history in the baseline.
    pub baseline_weeks: u32,
    /// The expected count never drops below this (a quiet entity is not silent).
    pub floor: f64,
}

impl Default for SpikeConfig {
    fn default() -> Self {
        SpikeConfig { min_count: 5, p_value: 1e-4, baseline_weeks: 4, floor: 0.5 }
    }
}

/// Hour index of a unix time: hours since 1970-01-01T00:00Z.
pub fn hour_of(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(3600)
}

/// 0 = Monday 00:00–01:00 UTC … 167 = Sunday 23:00 (1970-01-01 was a Thursday).
pub fn hour_of_week(hour: i64) -> i64 {
    (hour + 3 * 24).rem_euclid(HOURS_PER_WEEK)
}

/// The expected count for `hour` from the counts of earlier hours (`(hour, count)`, sparse:
/// missing hours had none). `first_seen` is the first hour the entity was ever counted,
/// so a new entity's baseline is not diluted by hours before hearken listened.
pub fn expected(history: &[(i64, u32)], hour: i64, first_seen: i64, config: &SpikeConfig) -> f64 {
    let window = config.baseline_weeks.max(1) as i64 * HOURS_PER_WEEK;
    let start = (hour - window).max(first_seen);
    let span = (hour - start).max(1);
    let in_window = history.iter().filter(|(h, _)| *h >= start && *h < hour);
    let total: u64 = in_window.clone().map(|(_, n)| *n as u64).sum();
    let level = total as f64 / span as f64;
    // Hour-of-week factor: mean count in this slot over the weeks seen, against the level,
    // shrunk towards 1 with one pseudo-week so one odd week does not make a season.
    let slot = hour_of_week(hour);
    let weeks_seen = span / HOURS_PER_WEEK;
    let factor = if weeks_seen >= 1 && level > 0.0 {
        let slot_total: u64 = in_window.filter(|(h, _)| hour_of_week(*h) == slot).map(|(_, n)| *n as u64).sum();
        (slot_total as f64 + level) / ((weeks_seen + 1) as f64 * level)
    } else {
        1.0
    };
    (level * factor).max(config.floor)
}

/// P(X ≥ k) for X ~ Poisson(lambda).
pub fn poisson_tail(k: u32, lambda: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    // 1 − P(X ≤ k−1), summed in log space term by term for stability.
    let mut term = (-lambda).exp();
    let mut cdf = term;
    for i in 1..k {
        term *= lambda / i as f64;
        cdf += term;
    }
    (1.0 - cdf).max(0.0)
}

/// `Some(p)` when `count` in an hour with this expectation is a spike.
pub fn is_spike(count: u32, expected: f64, config: &SpikeConfig) -> Option<f64> {
    if count < config.min_count {
        return None;
    }
    let p = poisson_tail(count, expected);
    (p < config.p_value).then_some(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poisson_tail_values() {
        assert!((poisson_tail(0, 2.0) - 1.0).abs() < 1e-12);
        // P(X >= 1 | 2) = 1 - e^-2
        assert!((poisson_tail(1, 2.0) - (1.0 - (-2.0f64).exp())).abs() < 1e-12);
        assert!(poisson_tail(20, 2.0) < 1e-10);
        assert!(poisson_tail(3, 2.0) > 0.3);
    }

    #[test]
    fn hour_of_week_starts_monday() {
        // 2026-03-02 is a Monday.
        let monday = time::macros::datetime!(2026-03-02 00:30 UTC).unix_timestamp();
        assert_eq!(hour_of_week(hour_of(monday)), 0);
        let sunday = time::macros::datetime!(2026-03-08 23:10 UTC).unix_timestamp();
        assert_eq!(hour_of_week(hour_of(sunday)), 167);
    }

    /// Two weeks of a steady daily rhythm: busy days, quiet nights.
    fn rhythm(weeks: i64, start: i64) -> Vec<(i64, u32)> {
        (start..start + weeks * HOURS_PER_WEEK)
            .map(|h| (h, if (8..18).contains(&(h % 24)) { 6 } else { 1 }))
            .collect()
    }

    #[test]
    fn a_steady_rhythm_is_no_spike_and_a_burst_is() {
        let config = SpikeConfig::default();
        let start = 480_000;
        let history = rhythm(3, start);
        let now = start + 3 * HOURS_PER_WEEK + 10; // a busy hour
        let lambda = expected(&history, now, start, &config);
        assert!(lambda > 3.0, "busy hours expect more: {lambda}");
        assert_eq!(is_spike(7, lambda, &config), None);
        assert!(is_spike(25, lambda, &config).is_some());
        let night = start + 3 * HOURS_PER_WEEK + 2;
        let quiet = expected(&history, night, start, &config);
        assert!(quiet < lambda);
        assert_eq!(is_spike(3, quiet, &config), None, "below min_count");
        assert!(is_spike(12, quiet, &config).is_some(), "12 at night is abnormal");
    }

    #[test]
    fn a_new_entity_is_not_diluted_by_hours_before_it_was_seen() {
        let config = SpikeConfig::default();
        let history: Vec<(i64, u32)> = (100..148).map(|h| (h, 4)).collect();
        let lambda = expected(&history, 148, 100, &config);
        assert!((lambda - 4.0).abs() < 1e-9, "{lambda}");
    }
}
