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

/// Milliseconds of scenario time for people, by the one rule the UI uses too
/// ([`app::api::describe::format_ms`]): hours at most (`25h`, never `1d1h`),
/// tenths below a minute (`4.6s`), `350ms` below a second.
pub fn human_ms(ms: u64) -> String {
    app::api::describe::format_ms(ms)
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
    fn human_durations_follow_the_uis_rule() {
        assert_eq!(human_ms(110_347), "1m50s");
        assert_eq!(
            human_ms(90_000_000),
            "25h",
            "hours at most, as the UI shows it"
        );
        assert_eq!(human_ms(4_600), "4.6s");
        assert_eq!(human_ms(350), "350ms");
        assert_eq!(human_signed_ms(-2_000), "-2s");
    }
}
