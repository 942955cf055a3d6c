//! [`describe`]: one line for people about an event. The report's timeline, the
//! CLI's `logs` and the live view's event log all print this, so an event reads
//! the same everywhere. Pure, and [`format_ms`] with it.

use super::event::{ActionOutcome, EventKind};

/// Formats milliseconds for people, in hours at most (a 36-hour scenario reads
/// `36h`, as it was written): `500ms`, `4.6s`, `1h30m`, `25m59s`.
pub fn format_ms(ms: u64) -> String {
    if ms == 0 {
        return "0s".to_owned();
    }
    if ms < 1000 {
        return format!("{ms}ms");
    }
    if ms < 60_000 && !ms.is_multiple_of(1000) {
        return format!("{:.1}s", ms as f64 / 1000.0);
    }
    let seconds = ms.saturating_add(500) / 1000;
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    let mut out = String::new();
    for (value, unit) in [(h, "h"), (m, "m"), (s, "s")] {
        if value > 0 {
            out.push_str(&format!("{value}{unit}"));
        }
    }
    out
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

/// `: text`, or nothing when there is no text.
fn colon(text: Option<&str>) -> String {
    match text {
        Some(text) if !text.is_empty() => format!(": {text}"),
        _ => String::new(),
    }
}

/// One line for people about an event.
pub fn describe(kind: &EventKind) -> String {
    match kind {
        EventKind::ExecutionQueued { scenario, .. } => format!("queued: {scenario}"),
        EventKind::ExecutionStarted { speed, dry_run } => format!(
            "started at speed {speed}×{}",
            if *dry_run { " (dry run)" } else { "" }
        ),
        EventKind::IterationStarted { iteration } => format!("iteration {iteration} started"),
        EventKind::PhaseStarted { name, duration_ms } => {
            format!("phase {name} started ({})", format_ms(*duration_ms))
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
        } => format!("assert {kind}={expect} until {}", format_ms(*deadline_ms)),
        EventKind::AssertionFinished {
            kind,
            expect,
            result,
            ..
        } => format!(
            "{kind}={expect} {} after {} check{}{}{}",
            if result.passed { "passed" } else { "failed" },
            result.attempts,
            if result.attempts == 1 { "" } else { "s" },
            result
                .time_to_hold_ms
                .map(|t| format!(" ({})", format_ms(t)))
                .unwrap_or_default(),
            colon(Some(&result.message))
        ),
        EventKind::AssertionChecked {
            kind,
            attempts,
            message,
            ..
        } => format!("{kind} not yet (check {attempts}){}", colon(Some(message))),
        EventKind::PhaseFinished {
            name,
            outcome,
            reason,
        } => format!(
            "phase {name} {}{}",
            outcome.as_str(),
            colon(reason.as_deref())
        ),
        EventKind::ControlReceived { command, by } => match by {
            Some(by) => format!("control: {} (by {by})", command.as_str()),
            None => format!("control: {}", command.as_str()),
        },
        EventKind::Paused => "paused".to_owned(),
        EventKind::Resumed => "resumed".to_owned(),
        EventKind::RecoveryStarted { previous_owner } => format!(
            "recovery: its owner{} is gone; taken over here",
            previous_owner
                .as_ref()
                .map(|o| format!(" ({o})"))
                .unwrap_or_default()
        ),
        EventKind::ResumedOnNewOwner {
            name,
            iteration,
            paused,
            resumption,
        } => format!(
            "resumed here at the start of phase {name}{}{}{}",
            if *iteration > 1 {
                format!(" (iteration {iteration})")
            } else {
                String::new()
            },
            if *paused { ", paused as it was" } else { "" },
            if *resumption > 1 {
                format!(": resumption {resumption}")
            } else {
                String::new()
            }
        ),
        EventKind::RollbackStarted { reason, actions } => format!(
            "rollback started ({}): {actions} action{}",
            reason.as_str(),
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
            format_ms(slot.start_ms),
            format_ms(slot.end_ms),
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
                Some(ms) => format!(", recovered {} after the chaos was cleared", format_ms(ms)),
                None if summary.recovery.is_some() => ", no recovery detected".to_owned(),
                None => String::new(),
            }
        ),
        EventKind::ChaosEffect {
            service,
            count,
            effect,
            ..
        } => format!(
            "{service}: {} × {count}: {}",
            effect.type_name(),
            effect.describe()
        ),
        EventKind::ExecutionFinished { status, verdict } => {
            format!("finished {status}{}", colon(Some(&verdict.summary)))
        }
    }
}

#[cfg(test)]
mod tests;
