//! The simulation clock: sim time advances at `scale` × real time.
//!
//! The clock is plain data stepped by the ticker (see `runtime`); it never
//! reads the real clock itself except for wall-clock timestamps, so the
//! whole simulation can be stepped by hand in unit tests.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Largest accepted time scale: one real second is then ~11.5 sim days.
pub const MAX_SCALE: f64 = 1_000_000.0;

/// Sim time (seconds since the sandbox started) and the current scale.
#[derive(Debug, Clone)]
pub struct SimClock {
    sim_s: f64,
    scale: f64,
}

impl SimClock {
    /// A clock at sim time zero running at `scale` (clamped to `[1, MAX_SCALE]`).
    pub fn new(scale: f64) -> Self {
        SimClock {
            sim_s: 0.0,
            scale: clamp_scale(scale).unwrap_or(1.0),
        }
    }

    /// Sim seconds since the sandbox started.
    pub fn now(&self) -> f64 {
        self.sim_s
    }

    /// The current time scale (sim seconds per real second).
    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// Sets the scale; returns false (and changes nothing) for values that
    /// are not finite or outside `[1, MAX_SCALE]`.
    pub fn set_scale(&mut self, scale: f64) -> bool {
        match clamp_scale(scale) {
            Some(s) => {
                self.scale = s;
                true
            }
            None => false,
        }
    }

    /// Moves sim time to `sim_s` (never backwards).
    pub fn advance_to(&mut self, sim_s: f64) {
        if sim_s > self.sim_s {
            self.sim_s = sim_s;
        }
    }

    /// How long a sim duration lasts in real time at the current scale.
    pub fn real_duration(&self, sim_ms: f64) -> std::time::Duration {
        std::time::Duration::from_secs_f64((sim_ms / 1000.0 / self.scale).max(0.0))
    }
}

fn clamp_scale(scale: f64) -> Option<f64> {
    (scale.is_finite() && (1.0..=MAX_SCALE).contains(&scale)).then_some(scale)
}

/// The current wall-clock time as RFC 3339 (UTC).
pub fn wall_now() -> String {
    format_wall(OffsetDateTime::now_utc())
}

/// Formats a wall-clock time as RFC 3339.
pub fn format_wall(at: OffsetDateTime) -> String {
    at.format(&Rfc3339)
        .unwrap_or_else(|_| at.unix_timestamp().to_string())
}

/// Parses an RFC 3339 time.
pub fn parse_wall(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_outside_the_accepted_range_is_refused() {
        let mut clock = SimClock::new(1.0);
        assert!(!clock.set_scale(0.5));
        assert!(!clock.set_scale(f64::NAN));
        assert!(clock.set_scale(3600.0));
        assert_eq!(clock.scale(), 3600.0);
    }

    #[test]
    fn real_duration_divides_by_the_scale() {
        let clock = SimClock::new(100.0);
        assert_eq!(clock.real_duration(1000.0).as_millis(), 10);
    }

    #[test]
    fn time_never_goes_backwards() {
        let mut clock = SimClock::new(1.0);
        clock.advance_to(10.0);
        clock.advance_to(5.0);
        assert_eq!(clock.now(), 10.0);
    }
}
