//! What a due schedule does now: the pure decision of one tick, given its
//! compiled timing, its policies, what it has done so far and the time. No
//! clock, store or engine here: the runner reads the state, calls [`tick`],
//! and writes the result in one transaction before it submits anything.

use app::api::schedule::{ConcurrencyPolicy, MissedPolicy, SchedulePolicies, MISSED_AFTER_SECONDS};
use jiff::{SignedDuration, Timestamp};

use super::timing::{utc_words, Compiled};

/// Missed firings counted one by one up to this many (then "more than").
const COUNT_CAP: u64 = 100_000;

/// What the schedule has done so far.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    /// The first due time not yet decided.
    pub next_due: Timestamp,
    /// Executions (or suites) submitted by its timing (manual triggers not counted).
    pub execution_count: u32,
    /// Its previous execution (or suite), when it is still queued or running.
    pub running: Option<String>,
}

/// A due time recorded as skipped, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Skip {
    /// When it was due (the first of a group of missed ones).
    pub due: Timestamp,
    /// Why: `missed …`, `blackout …`, `concurrency …`.
    pub reason: String,
}

/// A due time to run now.
#[derive(Debug, Clone, PartialEq)]
pub struct Fire {
    /// When it was due.
    pub due: Timestamp,
    /// `concurrency: replace`: stop this execution (or suite) first.
    pub replace: Option<String>,
    /// It was missed and runs late (`missed: run_once`).
    pub late: bool,
}

/// The outcome of one tick.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Tick {
    /// Due times recorded as skipped (oldest first).
    pub skipped: Vec<Skip>,
    /// The due time to run, if any.
    pub fire: Option<Fire>,
    /// The next due time; `None` when it will not fire again.
    pub next_due: Option<Timestamp>,
    /// Why it will not fire again (with `next_due: None`).
    pub ended: Option<String>,
}

/// Decides what a schedule whose `state.next_due` has come does at `now`.
/// Due times more than [`MISSED_AFTER_SECONDS`] late are missed and the
/// `missed` policy decides them; the one due time on time (if any) runs
/// unless it is past the end, over the cap, in a blackout, or the previous
/// run still goes under `concurrency: forbid`.
pub fn tick(
    compiled: &Compiled,
    policies: &SchedulePolicies,
    state: &State,
    now: Timestamp,
) -> Tick {
    let first = state.next_due;
    let Some(latest) = compiled.timing.last_between(first, now) else {
        // Not due yet (or the grid moved): keep waiting for it.
        return Tick {
            next_due: Some(first),
            ..Tick::default()
        };
    };
    let on_time =
        now.duration_since(latest) <= SignedDuration::from_secs(MISSED_AFTER_SECONDS as i64);
    let total = compiled
        .timing
        .count_between(first, latest, COUNT_CAP)
        .max(1);
    let missed = if on_time { total - 1 } else { total };
    let mut out = Tick::default();
    let missed_words = |count: u64, last: Timestamp| {
        let count_words = if count >= COUNT_CAP {
            format!("more than {COUNT_CAP} firings")
        } else if count == 1 {
            "1 firing".to_owned()
        } else {
            format!("{count} firings")
        };
        if count == 1 {
            format!(
                "missed {count_words} due {} (the coordinator was down or busy)",
                utc_words(first)
            )
        } else {
            format!(
                "missed {count_words} due {} to {} (the coordinator was down or busy)",
                utc_words(first),
                utc_words(last)
            )
        }
    };
    // The last due time before the latest: where a run of missed ones ends
    // when the latest itself runs. Only asked for when some were missed.
    let before_latest = || {
        compiled
            .timing
            .last_between(first, latest - SignedDuration::from_millis(1))
            .unwrap_or(first)
    };
    let candidate = if on_time {
        if missed > 0 {
            out.skipped.push(Skip {
                due: first,
                reason: missed_words(missed, before_latest()),
            });
        }
        Some(latest)
    } else {
        match policies.missed {
            MissedPolicy::Skip => {
                out.skipped.push(Skip {
                    due: first,
                    reason: format!("{}; policy missed: skip", missed_words(missed, latest)),
                });
                None
            }
            MissedPolicy::RunOnce => {
                let within = policies.starting_deadline_seconds.is_none_or(|deadline| {
                    now.duration_since(latest) <= SignedDuration::from_secs(deadline as i64)
                });
                if !within {
                    out.skipped.push(Skip {
                        due: first,
                        reason: format!(
                            "{}; the latest is beyond starting_deadline_seconds",
                            missed_words(missed, latest)
                        ),
                    });
                    None
                } else {
                    if missed > 1 {
                        out.skipped.push(Skip {
                            due: first,
                            reason: format!(
                                "{}; policy missed: run_once ran the latest",
                                missed_words(missed - 1, before_latest())
                            ),
                        });
                    }
                    Some(latest)
                }
            }
        }
    };
    let mut count = state.execution_count;
    if let Some(due) = candidate {
        if compiled.expired_at(due) || compiled.capped(count) {
            // Nothing more: the end is decided below.
        } else if let Some(window) = compiled.blackout_at(due) {
            out.skipped.push(Skip {
                due,
                reason: format!("blackout: {}", window.describe()),
            });
        } else {
            match (&state.running, policies.concurrency) {
                (Some(running), ConcurrencyPolicy::Forbid) => out.skipped.push(Skip {
                    due,
                    reason: format!(
                        "concurrency forbid: the previous run {running} is still going"
                    ),
                }),
                (running, ConcurrencyPolicy::Replace) => {
                    out.fire = Some(Fire {
                        due,
                        replace: running.clone(),
                        late: !on_time,
                    });
                }
                _ => {
                    out.fire = Some(Fire {
                        due,
                        replace: None,
                        late: !on_time,
                    });
                }
            }
            if out.fire.is_some() {
                count += 1;
            }
        }
    }
    let next = compiled.timing.next_after(latest);
    (out.next_due, out.ended) = ending(compiled, next, count);
    out
}

/// The next due time, or why there is none: `finished` (a one-off has run),
/// `max_executions reached`, `expired`.
pub fn ending(
    compiled: &Compiled,
    next: Option<Timestamp>,
    count: u32,
) -> (Option<Timestamp>, Option<String>) {
    if compiled.capped(count) {
        return (None, Some(format!("max_executions reached ({count})")));
    }
    match next {
        None => (None, Some("finished".to_owned())),
        Some(next) if compiled.expired_at(next) => (None, Some("expired".to_owned())),
        Some(next) => (Some(next), None),
    }
}

#[cfg(test)]
mod tests;
