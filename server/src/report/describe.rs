//! The report's plain-language text: one line for people about an event, and
//! durations written for people.

use crate::engine::event::{EventKind, PhaseOutcome};

/// The schema's word for a phase outcome.
pub(super) fn phase_outcome(outcome: PhaseOutcome) -> &'static str {
    match outcome {
        PhaseOutcome::Passed => "passed",
        PhaseOutcome::Failed => "failed",
        PhaseOutcome::Skipped => "skipped",
        PhaseOutcome::Aborted => "aborted",
    }
}

/// One line for people about an event: `app::api::describe`, which `logs` and
/// the live view print too.
pub fn summarize_event(kind: &EventKind) -> String {
    app::api::describe(kind)
}

/// Milliseconds of scenario time for people: `350ms`, `1m50s`, `2h` (whole seconds
/// from a second up).
pub fn human_ms(ms: u64) -> String {
    let duration = if ms < 1000 {
        std::time::Duration::from_millis(ms)
    } else {
        std::time::Duration::from_secs(ms.saturating_add(500) / 1000)
    };
    app::scenario::duration::format_duration(duration)
}

/// Signed milliseconds for people: `-2s`, `+350ms`.
pub fn human_signed_ms(ms: i64) -> String {
    let sign = if ms < 0 { "-" } else { "+" };
    format!("{sign}{}", human_ms(ms.unsigned_abs()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_durations_round_to_seconds_above_one_second() {
        assert_eq!(human_ms(110_347), "1m50s");
        assert_eq!(human_ms(350), "350ms");
        assert_eq!(human_signed_ms(-2_000), "-2s");
    }
}
