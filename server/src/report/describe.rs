//! The report's plain-language text: one line for people about an event, and
//! durations written for people.

use crate::engine::event::{ActionOutcome, EventKind, PhaseOutcome};

/// The schema's word for a phase outcome.
pub(super) fn phase_outcome(outcome: PhaseOutcome) -> &'static str {
    match outcome {
        PhaseOutcome::Passed => "passed",
        PhaseOutcome::Failed => "failed",
        PhaseOutcome::Skipped => "skipped",
        PhaseOutcome::Aborted => "aborted",
    }
}

fn outcome_text(outcome: &ActionOutcome) -> String {
    let status = outcome
        .status
        .map(|s| format!("HTTP {s}, "))
        .unwrap_or_default();
    if outcome.ok {
        format!("ok ({status}{:.1} ms)", outcome.latency_ms)
    } else {
        format!(
            "failed ({status}{:.1} ms): {}",
            outcome.latency_ms, outcome.message
        )
    }
}

/// One line for people about an event.
pub fn summarize_event(kind: &EventKind) -> String {
    match kind {
        EventKind::ExecutionQueued { scenario, .. } => format!("queued: {scenario}"),
        EventKind::ExecutionStarted { speed, dry_run } => format!(
            "started at speed {speed}×{}",
            if *dry_run { " (dry run)" } else { "" }
        ),
        EventKind::IterationStarted { iteration } => format!("iteration {iteration} started"),
        EventKind::PhaseStarted { name, duration_ms } => {
            format!("phase {name} started ({})", human_ms(*duration_ms))
        }
        EventKind::ActionStarted {
            service,
            action,
            parallel,
            ..
        } => format!(
            "{}{service}.{action} sent",
            if *parallel { "parallel " } else { "" }
        ),
        EventKind::ActionFinished {
            service,
            action,
            outcome,
            ..
        } => format!("{service}.{action} {}", outcome_text(outcome)),
        EventKind::AssertionStarted {
            kind,
            expect,
            deadline_ms,
            ..
        } => format!("assert {kind}={expect} until {}", human_ms(*deadline_ms)),
        EventKind::AssertionFinished {
            kind,
            expect,
            result,
            ..
        } => format!(
            "{kind}={expect} {} after {} check{}{}: {}",
            if result.passed { "passed" } else { "failed" },
            result.attempts,
            if result.attempts == 1 { "" } else { "s" },
            result
                .time_to_hold_ms
                .map(|t| format!(" ({})", human_ms(t)))
                .unwrap_or_default(),
            result.message
        ),
        EventKind::AssertionChecked {
            kind,
            attempts,
            message,
            ..
        } => format!("{kind} not yet (check {attempts}): {message}"),
        EventKind::PhaseFinished {
            name,
            outcome,
            reason,
        } => format!(
            "phase {name} {}{}",
            phase_outcome(*outcome),
            reason
                .as_ref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default()
        ),
        EventKind::ControlReceived { command } => format!(
            "control: {}",
            serde_json::to_value(command)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        ),
        EventKind::Paused => "paused".to_owned(),
        EventKind::Resumed => "resumed".to_owned(),
        EventKind::RecoveryStarted { previous_owner } => format!(
            "recovery: its owner{} is gone; taken over here",
            previous_owner
                .as_ref()
                .map(|o| format!(" ({o})"))
                .unwrap_or_default()
        ),
        EventKind::RollbackStarted { reason, actions } => format!(
            "rollback started ({}): {actions} action{}",
            serde_json::to_value(reason)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            if *actions == 1 { "" } else { "s" }
        ),
        EventKind::RollbackFinished { ok } => if *ok {
            "rollback succeeded"
        } else {
            "rollback failed"
        }
        .to_owned(),
        EventKind::WorkloadSlot { slot } => format!(
            "workload {}–{}: {} requests, {:.1} % failed, p95 {:.1} ms",
            human_ms(slot.start_ms),
            human_ms(slot.end_ms),
            slot.figures.requests,
            slot.figures.failure_rate * 100.0,
            slot.figures.p95_ms
        ),
        EventKind::WorkloadSummary { summary } => format!(
            "workload: {} requests, {:.2} % failed, p95 {:.1} ms{}",
            summary.total.requests,
            summary.total.failure_rate * 100.0,
            summary.total.p95_ms,
            match summary.recovery.as_ref().and_then(|r| r.recovery_time_ms) {
                Some(ms) => format!(", recovered {} after the chaos was cleared", human_ms(ms)),
                None if summary.recovery.is_some() => ", no recovery detected".to_owned(),
                None => String::new(),
            }
        ),
        EventKind::ExecutionFinished { status, verdict } => {
            format!("finished {status}: {}", verdict.summary)
        }
    }
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
