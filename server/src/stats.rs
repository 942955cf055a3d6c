//! The definitions behind the figures that several readers show, so they agree:
//! the percentile of a set of samples and the timing skew of an event. The
//! report, `/debug/execution-timeline`, the CLI's `metrics` and `timeline`, and
//! `/api/v1/metrics/scenario-performance` all use these (docs/engine.md,
//! "Figures"). The workload's latency percentiles are not samples but HDR
//! histograms (`engine::figures`); they are not computed here.

use crate::engine::event::{Event, EventKind};

/// The `p`-th percentile (0 < `p` ≤ 100) of `sorted`, which must be in ascending
/// order, by **nearest rank**: the smallest sample such that at least `p` % of the
/// samples are at or below it (p99 of 12 samples is the 12th, p50 of 4 the 2nd).
/// Always one of the samples, never interpolated; `None` when there are none.
pub fn percentile<T: Copy>(sorted: &[T], p: f64) -> Option<T> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    // p·n / 100, so that whole-number cases (p99 of 100) stay exact.
    let rank = (p * n as f64 / 100.0).ceil();
    let rank = if rank.is_finite() && rank >= 1.0 {
        (rank as usize).min(n)
    } else {
        1
    };
    Some(sorted[rank - 1])
}

/// Whether the scheduler starts this kind of step at a planned time: the only
/// events with a timing skew. Other events carry a planned reference too (an
/// assertion's deadline, a phase's end) but finishing early is not lateness.
pub fn is_scheduled(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::PhaseStarted { .. }
            | EventKind::ActionStarted { .. }
            | EventKind::AssertionStarted { .. }
            | EventKind::IterationStarted { .. }
    )
}

/// The **timing skew** of `event` in milliseconds of scenario time: its actual
/// offset minus its planned one, for a [scheduled](is_scheduled) step that has
/// both; `None` otherwise. Positive is late.
pub fn skew_ms(event: &Event) -> Option<i64> {
    if !is_scheduled(&event.kind) {
        return None;
    }
    let (actual, planned) = (event.offset_ms?, event.planned_ms?);
    Some(if actual >= planned {
        i64::try_from(actual - planned).unwrap_or(i64::MAX)
    } else {
        i64::try_from(planned - actual).map_or(i64::MIN, |d| -d)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank_samples() {
        let hundred: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&hundred, 50.0), Some(50.0));
        assert_eq!(percentile(&hundred, 95.0), Some(95.0));
        assert_eq!(percentile(&hundred, 99.0), Some(99.0));
        assert_eq!(percentile(&hundred, 100.0), Some(100.0));
        let twelve: Vec<i64> = (1..=12).collect();
        assert_eq!(percentile(&twelve, 99.0), Some(12), "p99 of 12 is the 12th");
        assert_eq!(
            percentile(&[1, 2, 3, 4], 50.0),
            Some(2),
            "never interpolated"
        );
        assert_eq!(percentile(&[7.0], 1.0), Some(7.0));
        assert_eq!(percentile::<f64>(&[], 50.0), None);
    }

    #[test]
    fn only_scheduled_steps_have_a_skew() {
        let event = |kind: EventKind, offset: u64, planned: u64| Event {
            seq: 0,
            execution_id: crate::engine::ExecutionId::new(),
            at: time::OffsetDateTime::UNIX_EPOCH,
            offset_ms: Some(offset),
            planned_ms: Some(planned),
            phase: Some(0),
            kind,
        };
        let started = EventKind::IterationStarted { iteration: 1 };
        assert_eq!(skew_ms(&event(started.clone(), 1_050, 1_000)), Some(50));
        assert_eq!(skew_ms(&event(started, 990, 1_000)), Some(-10));
        let paused = EventKind::Paused;
        assert_eq!(skew_ms(&event(paused, 2_000, 1_000)), None);
    }
}
