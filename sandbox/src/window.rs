//! Bounded windows over recent samples: percentiles over the last N samples
//! within a sim-time horizon, and event rates.
//!
//! Windows are ring buffers with a fixed capacity, so memory stays bounded
//! however long the sandbox runs. Count windows (rather than pure time
//! windows) keep figures meaningful at any time scale: at scale 3600 a tick
//! moves the sim by ~36 s, and a figure must react within a tick or two.

use std::collections::VecDeque;

/// Recent `(sim time, value)` samples, at most `capacity` of them.
#[derive(Debug, Clone)]
pub struct SampleWindow {
    samples: VecDeque<(f64, f64)>,
    capacity: usize,
}

impl SampleWindow {
    /// An empty window keeping at most `capacity` samples.
    pub fn new(capacity: usize) -> Self {
        SampleWindow {
            samples: VecDeque::with_capacity(capacity.min(1024)),
            capacity: capacity.max(1),
        }
    }

    /// Adds a sample taken at sim time `at`.
    pub fn push(&mut self, at: f64, value: f64) {
        if self.samples.len() == self.capacity {
            self.samples.pop_front();
        }
        self.samples.push_back((at, value));
    }

    /// The values of the last `count` samples taken no earlier than `since`.
    pub fn recent(&self, count: usize, since: f64) -> Vec<f64> {
        self.samples
            .iter()
            .rev()
            .take(count)
            .take_while(|(at, _)| *at >= since)
            .map(|(_, v)| *v)
            .collect()
    }

    /// Number of samples held.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// True when no sample is held.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }
}

/// The nearest-rank percentile `p` (0..=100) of `values`, or `None` if empty.
pub fn percentile(values: &[f64], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(|a, b| a.total_cmp(b));
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// The mean of `values`, or `None` if empty.
pub fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// Counts events in a sliding sim-time horizon (bounded by `capacity`).
#[derive(Debug, Clone)]
pub struct RateWindow {
    events: VecDeque<f64>,
    capacity: usize,
    horizon_s: f64,
}

impl RateWindow {
    /// Counts events over the last `horizon_s` sim seconds.
    pub fn new(horizon_s: f64, capacity: usize) -> Self {
        RateWindow {
            events: VecDeque::new(),
            capacity: capacity.max(1),
            horizon_s,
        }
    }

    /// Records `n` events at sim time `at` (times must not decrease);
    /// events older than the horizon are dropped.
    pub fn record(&mut self, at: f64, n: usize) {
        while self
            .events
            .front()
            .is_some_and(|t| *t <= at - self.horizon_s)
        {
            self.events.pop_front();
        }
        for _ in 0..n {
            if self.events.len() == self.capacity {
                self.events.pop_front();
            }
            self.events.push_back(at);
        }
    }

    /// Events per sim hour over the horizon ending at `now`; `started` is when
    /// counting began, so a young window is not diluted by time it never saw.
    pub fn per_hour(&self, now: f64, started: f64) -> f64 {
        let since = now - self.horizon_s;
        let count = self.events.len() - self.events.partition_point(|t| *t <= since);
        let span = (now - started.max(since)).max(1.0);
        count as f64 * 3600.0 / span
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_uses_nearest_rank() {
        let values: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(percentile(&values, 95.0), Some(19.0));
        assert_eq!(percentile(&values, 50.0), Some(10.0));
        assert_eq!(percentile(&values, 100.0), Some(20.0));
        assert_eq!(percentile(&[], 95.0), None);
    }

    #[test]
    fn two_slow_samples_in_thirty_lift_the_p95() {
        let mut values = vec![50.0; 28];
        values.extend([550.0, 560.0]);
        assert!(percentile(&values, 95.0).is_some_and(|p| p > 500.0));
        values[29] = 50.0;
        assert!(percentile(&values, 95.0).is_some_and(|p| p < 100.0));
    }

    #[test]
    fn recent_stops_at_the_horizon_and_the_count() {
        let mut w = SampleWindow::new(5);
        for i in 0..10 {
            w.push(f64::from(i), f64::from(i) * 10.0);
        }
        assert_eq!(w.len(), 5);
        assert_eq!(w.recent(3, 0.0), vec![90.0, 80.0, 70.0]);
        assert_eq!(w.recent(10, 8.0), vec![90.0, 80.0]);
    }

    #[test]
    fn rate_counts_only_the_horizon() {
        let mut r = RateWindow::new(1800.0, 10_000);
        r.record(0.0, 10);
        r.record(3000.0, 5);
        // Horizon is (1800, 3600]: only the 5 recent events count.
        assert!((r.per_hour(3600.0, 0.0) - 10.0).abs() < 1e-9);
    }
}
