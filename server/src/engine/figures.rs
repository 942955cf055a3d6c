//! Workload figures (DESIGN.md §7), computed from request samples: counts by
//! outcome, latency percentiles from HDR histograms, throughput — and the
//! recovery-time detector. Pure functions over plain data, so they are tested on
//! synthetic series. The figure types themselves ([`Figures`], [`Outcome`]) are
//! wire vocabulary and live in `app::api::figures`.

use std::time::Duration;

pub use app::api::figures::{Figures, Outcome};
use app::scenario::workload::SteadyState;
use hdrhistogram::Histogram;

/// One request: when it was due (scenario time), how long it took, how it ended.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// Scenario offset when it was due, in microseconds.
    pub offset_us: u64,
    /// From when it was due (not when it was sent) until it ended, in
    /// microseconds; 0 for a dropped request.
    pub latency_us: u32,
    /// Index of its stream.
    pub stream: u16,
    /// How it ended.
    pub outcome: Outcome,
}

/// Latencies from 1 µs to 10 minutes at 3 significant digits.
fn histogram() -> Histogram<u32> {
    Histogram::new_with_bounds(1, 600_000_000, 3).expect("static bounds are valid")
}

/// How far from its due time each sent request left, early or late: the
/// generator's own timing error.
#[derive(Debug, Clone)]
pub struct SendTimingHistogram(Histogram<u32>);

impl Default for SendTimingHistogram {
    fn default() -> Self {
        Self(histogram())
    }
}

impl SendTimingHistogram {
    /// One request that left `error` away from its due time.
    pub fn record(&mut self, error: Duration) {
        let us = u64::try_from(error.as_micros()).unwrap_or(u64::MAX);
        self.0.saturating_record(us.max(1));
    }

    /// Its percentiles (zeros when nothing was sent).
    pub fn figures(&self) -> app::api::figures::SendTiming {
        let ms = |us: u64| us as f64 / 1000.0;
        if self.0.is_empty() {
            return app::api::figures::SendTiming::default();
        }
        app::api::figures::SendTiming {
            p50_ms: ms(self.0.value_at_quantile(0.50)),
            p99_ms: ms(self.0.value_at_quantile(0.99)),
            max_ms: ms(self.0.max()),
        }
    }
}

/// The figures of `samples`, which took `wall` of real time to send.
pub fn measure<'a>(samples: impl IntoIterator<Item = &'a Sample>, wall: Duration) -> Figures {
    let mut figures = Figures::default();
    let mut latencies = histogram();
    for sample in samples {
        figures.requests += 1;
        match sample.outcome {
            Outcome::Success | Outcome::Redirect => figures.ok += 1,
            Outcome::ClientError => figures.client_errors += 1,
            Outcome::ServerError => figures.server_errors += 1,
            Outcome::Transport => figures.transport_errors += 1,
            Outcome::Timeout => figures.timeouts += 1,
            Outcome::Dropped => figures.dropped += 1,
        }
        if sample.outcome.failed() {
            figures.failures += 1;
        }
        if sample.outcome != Outcome::Dropped {
            // Saturates at the histogram's top (10 minutes) rather than failing.
            latencies.saturating_record(u64::from(sample.latency_us.max(1)));
        }
    }
    if figures.requests > 0 {
        figures.failure_rate = figures.failures as f64 / figures.requests as f64;
    }
    let completed = figures.requests - figures.dropped;
    if wall > Duration::ZERO {
        figures.throughput = completed as f64 / wall.as_secs_f64();
    }
    if !latencies.is_empty() {
        let ms = |us: u64| us as f64 / 1000.0;
        figures.p50_ms = ms(latencies.value_at_quantile(0.50));
        figures.p95_ms = ms(latencies.value_at_quantile(0.95));
        figures.p99_ms = ms(latencies.value_at_quantile(0.99));
        figures.max_ms = ms(latencies.max());
        figures.mean_ms = latencies.mean() / 1000.0;
    }
    figures
}

/// The steady-state figures of one slot of time, as the detector sees them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SlotCheck {
    /// Slot start (scenario time).
    pub start: Duration,
    /// Slot end.
    pub end: Duration,
    /// Requests due in it.
    pub requests: u64,
    /// Their p95 latency, ms.
    pub p95_ms: f64,
    /// Their p99 latency, ms.
    pub p99_ms: f64,
    /// Their failure rate.
    pub failure_rate: f64,
}

/// When the steady state held again after `cleared`: the start of the first run
/// of consecutive slots, beginning at or after `cleared`, in which every slot
/// with requests meets `steady` and that covers `steady.hold_for`. A slot that
/// misses breaks the run (so a flapping system recovers only when it stops
/// flapping); a slot without requests neither breaks nor proves anything, but a
/// run must hold at least one slot with requests. `None` while it has not.
pub fn recovered_at(
    slots: &[SlotCheck],
    cleared: Duration,
    steady: &SteadyState,
) -> Option<Duration> {
    // Start of the current run of steady slots (it always holds one with requests).
    let mut run: Option<Duration> = None;
    for slot in slots.iter().filter(|slot| slot.end > cleared) {
        if slot.requests > 0 {
            if !steady.holds(slot.p95_ms, slot.p99_ms, slot.failure_rate) {
                run = None;
                continue;
            }
            run.get_or_insert(slot.start.max(cleared));
        }
        if let Some(run_start) = run {
            if slot.end.saturating_sub(run_start) >= steady.hold_for {
                return Some(run_start);
            }
        }
    }
    None
}

/// Cuts `samples` (in offset order or not) into slots of `width` from `from` to
/// `until` and computes each slot's steady-state figures.
pub fn slot_checks(
    samples: &[&Sample],
    from: Duration,
    until: Duration,
    width: Duration,
) -> Vec<SlotCheck> {
    if width.is_zero() || until <= from {
        return Vec::new();
    }
    let count = ((until - from).as_micros() / width.as_micros()).max(1) as usize + 1;
    let mut buckets: Vec<Vec<&Sample>> = vec![Vec::new(); count];
    for sample in samples {
        let offset = Duration::from_micros(sample.offset_us);
        if offset < from || offset >= until {
            continue;
        }
        let index = ((offset - from).as_micros() / width.as_micros()) as usize;
        if let Some(bucket) = buckets.get_mut(index) {
            bucket.push(sample);
        }
    }
    buckets
        .into_iter()
        .enumerate()
        .map(|(index, bucket)| {
            let start = from + width * index as u32;
            let end = (start + width).min(until);
            let figures = measure(bucket.iter().copied(), Duration::ZERO);
            SlotCheck {
                start,
                end,
                requests: figures.requests,
                p95_ms: figures.p95_ms,
                p99_ms: figures.p99_ms,
                failure_rate: figures.failure_rate,
            }
        })
        .filter(|slot| slot.start < until)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steady() -> SteadyState {
        SteadyState {
            p95_latency_ms: Some(150.0),
            p99_latency_ms: None,
            failure_rate: Some(0.005),
            hold_for: Duration::from_secs(5),
            resolution: None,
        }
    }

    /// One-second slots from `series`: (p95 ms, failure rate), `None` for no traffic.
    fn slots(series: &[Option<(f64, f64)>]) -> Vec<SlotCheck> {
        series
            .iter()
            .enumerate()
            .map(|(i, figures)| {
                let (p95, rate) = figures.unwrap_or((0.0, 0.0));
                SlotCheck {
                    start: Duration::from_secs(i as u64),
                    end: Duration::from_secs(i as u64 + 1),
                    requests: if figures.is_some() { 100 } else { 0 },
                    p95_ms: p95,
                    p99_ms: p95,
                    failure_rate: rate,
                }
            })
            .collect()
    }

    const GOOD: Option<(f64, f64)> = Some((20.0, 0.0));
    const SLOW: Option<(f64, f64)> = Some((900.0, 0.0));
    const FAILING: Option<(f64, f64)> = Some((20.0, 1.0));

    #[test]
    fn recovery_is_the_start_of_the_first_steady_run_after_the_clear() {
        // Chaos until 10 s, cleared at 10 s; bad for 3 more seconds, then steady.
        let mut series = vec![FAILING; 13];
        series.extend([GOOD; 8]);
        let at = recovered_at(&slots(&series), Duration::from_secs(10), &steady());
        assert_eq!(at, Some(Duration::from_secs(13)));
        // Steady right away: recovered at the clear itself.
        let at = recovered_at(
            &slots(&[GOOD; 20]),
            Duration::from_millis(10_500),
            &steady(),
        );
        assert_eq!(at, Some(Duration::from_millis(10_500)));
    }

    #[test]
    fn a_system_that_never_returns_to_steady_state_never_recovers() {
        let mut series = vec![FAILING; 10];
        series.extend([SLOW; 30]);
        assert_eq!(
            recovered_at(&slots(&series), Duration::from_secs(10), &steady()),
            None
        );
        // Steady, but not for long enough before the data ends.
        series.extend([GOOD; 4]);
        assert_eq!(
            recovered_at(&slots(&series), Duration::from_secs(10), &steady()),
            None
        );
    }

    #[test]
    fn flapping_recovers_only_once_it_stops_flapping() {
        // Good 4 s, bad 1 s, repeatedly: never 5 s in a row…
        let mut series = vec![FAILING; 2];
        for _ in 0..5 {
            series.extend([GOOD; 4]);
            series.push(SLOW);
        }
        let flapping = series.len() as u64;
        assert_eq!(
            recovered_at(&slots(&series), Duration::from_secs(2), &steady()),
            None
        );
        // …until it stays good.
        series.extend([GOOD; 6]);
        assert_eq!(
            recovered_at(&slots(&series), Duration::from_secs(2), &steady()),
            Some(Duration::from_secs(flapping))
        );
    }

    #[test]
    fn quiet_slots_neither_break_nor_prove_a_recovery() {
        let series = [GOOD, None, GOOD, None, None, GOOD, GOOD];
        assert_eq!(
            recovered_at(&slots(&series), Duration::ZERO, &steady()),
            Some(Duration::ZERO)
        );
        assert_eq!(
            recovered_at(&slots(&[None; 10]), Duration::ZERO, &steady()),
            None
        );
    }

    fn sample(offset_ms: u64, latency_ms: u32, outcome: Outcome) -> Sample {
        Sample {
            offset_us: offset_ms * 1000,
            latency_us: latency_ms * 1000,
            stream: 0,
            outcome,
        }
    }

    #[test]
    fn figures_count_outcomes_and_read_percentiles_from_the_histogram() {
        let mut samples: Vec<Sample> = (1..=100)
            .map(|ms| sample(ms, ms as u32, Outcome::Success))
            .collect();
        samples.push(sample(0, 0, Outcome::Dropped));
        samples.push(sample(0, 5000, Outcome::Timeout));
        samples.push(sample(0, 3, Outcome::ClientError));
        samples.push(sample(0, 4, Outcome::ServerError));
        samples.push(sample(0, 1, Outcome::Transport));
        let figures = measure(&samples, Duration::from_secs(2));
        assert_eq!(figures.requests, 105);
        assert_eq!(figures.failures, 5);
        assert_eq!(figures.ok, 100);
        assert_eq!(
            (
                figures.dropped,
                figures.timeouts,
                figures.client_errors,
                figures.server_errors,
                figures.transport_errors
            ),
            (1, 1, 1, 1, 1)
        );
        assert!((figures.failure_rate - 5.0 / 105.0).abs() < 1e-12);
        // 104 sent in 2 s; dropped ones are not throughput.
        assert_eq!(figures.throughput, 52.0);
        assert!(
            (48.0..=51.0).contains(&figures.p50_ms),
            "{}",
            figures.p50_ms
        );
        assert!((figures.p95_ms - 96.0).abs() <= 1.0, "{}", figures.p95_ms);
        assert!((figures.max_ms - 5000.0).abs() <= 5.0, "{}", figures.max_ms);
        assert_eq!(measure(&[], Duration::ZERO), Figures::default());
    }

    #[test]
    fn slots_cut_samples_by_when_they_were_due() {
        let samples = [
            sample(100, 10, Outcome::Success),
            sample(900, 10, Outcome::ServerError),
            sample(1_500, 300, Outcome::Success),
            sample(3_200, 10, Outcome::Success),
        ];
        let refs: Vec<&Sample> = samples.iter().collect();
        let slots = slot_checks(
            &refs,
            Duration::ZERO,
            Duration::from_millis(3_500),
            Duration::from_secs(1),
        );
        let summary: Vec<(u64, u64, f64)> = slots
            .iter()
            .map(|s| (s.start.as_secs(), s.requests, s.failure_rate))
            .collect();
        assert_eq!(
            summary,
            vec![(0, 2, 0.5), (1, 1, 0.0), (2, 0, 0.0), (3, 1, 0.0)]
        );
        assert_eq!(slots[3].end, Duration::from_millis(3_500));
        assert!((slots[1].p95_ms - 300.0).abs() < 1.0);
    }
}
