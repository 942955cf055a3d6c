//! An execution's state folded from its typed events (as the WebSocket sends
//! them and the store replays them). A `match` over [`EventKind`] applies each,
//! so a renamed field fails to compile instead of showing zeros. Events are
//! applied once each, by `seq`, so a replay that overlaps what the page already
//! has is harmless. The log's text is [`describe()`], as in the report and `logs`.
//!
//! It stays small however many events a run has: an `assertion_checked` updates
//! its assertion's row (counter and last message) and adds no log line, a
//! `workload_slot` is a chart point, and the log keeps only the latest
//! [`LOG_KEEP`] lines (the page shows [`LOG_PAGE`] at a time; the report has them all).

use std::collections::{BTreeMap, VecDeque};

use crate::api::{
    describe,
    event::{ActionOutcome, Event, EventKind, PhaseOutcome},
    figures::WorkloadSummary,
    verdict::Verdict,
    ExecutionStatus,
};
use crate::chart::ChartPoint;

use super::super::timeline::AssertionView;

/// Log lines the page shows at first, and how many more each "show earlier" adds.
pub const LOG_PAGE: usize = 100;
/// Log lines kept in memory; older ones are counted in [`LiveState::log_dropped`].
pub const LOG_KEEP: usize = 1_000;

/// What the live view shows, from the events so far.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LiveState {
    /// The highest `seq` applied.
    pub last_seq: Option<u64>,
    /// Execution state word (`running`, `paused`, `completed`, …).
    pub status: String,
    /// Whether it has ended.
    pub finished: bool,
    /// Latest scenario offset seen, ms.
    pub elapsed_ms: u64,
    /// Index of the phase running (or last run).
    pub current_phase: Option<usize>,
    /// How each phase ended, by index (`passed`, `failed`, `skipped`, `aborted`).
    pub phase_outcomes: BTreeMap<usize, String>,
    /// Every action call, in order.
    pub actions: Vec<ActionRow>,
    /// Each assertion by (phase, index).
    pub assertions: BTreeMap<(usize, usize), AssertionRow>,
    /// The rollback's state word (`running`, `ok`, `failed`).
    pub rollback: Option<String>,
    /// The verdict, once ended.
    pub verdict: Option<Verdict>,
    /// The latest lines of the events log (at most [`LOG_KEEP`]), oldest first.
    pub log: VecDeque<LogLine>,
    /// Lines logged so far, kept or not (it changes whenever the log does).
    pub log_total: u64,
    /// The workload's slots so far (`workload_slot` events; not in the log).
    pub workload: Vec<ChartPoint>,
    /// The workload's chaos window and recovery, once its summary arrived.
    pub workload_end: Option<WorkloadEnd>,
    /// Who sent the first stop (`ui`, `api`, `cli`, `a user` when unknown).
    pub stopped_by: Option<String>,
    /// What the proxies' faults did so far, per (service, seed 004 type):
    /// requests or connections touched (`chaos_effect` events).
    pub effects: BTreeMap<(String, String), u64>,
}

/// What a run's `workload_summary` adds to the chart.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkloadEnd {
    /// (injected, cleared), scenario ms.
    pub chaos: Option<(u64, u64)>,
    /// When the steady state held again, scenario ms.
    pub recovered_ms: Option<u64>,
    /// Recovery time, ms.
    pub recovery_time_ms: Option<u64>,
    /// Whether a recovery was looked for (chaos cleared and a steady state set).
    pub measured: bool,
}

impl WorkloadEnd {
    fn of(summary: &WorkloadSummary) -> Self {
        let recovery = summary.recovery.as_ref();
        Self {
            chaos: summary.chaos.map(|c| (c.injected_ms, c.cleared_ms)),
            recovered_ms: recovery.and_then(|r| r.recovered_ms),
            recovery_time_ms: recovery.and_then(|r| r.recovery_time_ms),
            measured: recovery.is_some(),
        }
    }
}

/// One action call.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionRow {
    /// Phase index.
    pub phase: Option<usize>,
    /// Service.
    pub service: String,
    /// Action.
    pub action: String,
    /// One of the phase's parallel actions.
    pub parallel: bool,
    /// Offset it started at.
    pub started_ms: Option<u64>,
    /// Result, once returned.
    pub outcome: Option<ActionOutcome>,
}

/// One assertion's window.
#[derive(Debug, Clone, PartialEq)]
pub struct AssertionRow {
    /// Phase index.
    pub phase: usize,
    /// Index within the phase.
    pub index: usize,
    /// Type.
    pub kind: String,
    /// Expected word.
    pub expect: String,
    /// Deadline offset.
    pub deadline_ms: u64,
    /// Checks made so far that did not hold yet (`assertion_checked` events).
    pub checks: u64,
    /// What the latest of those checks saw.
    pub last_check: Option<String>,
    /// Decision, once made.
    pub result: Option<AssertionResult>,
}

impl AssertionRow {
    fn new(phase: usize, index: usize, kind: &str, expect: &str) -> Self {
        Self {
            phase,
            index,
            kind: kind.to_owned(),
            expect: expect.to_owned(),
            deadline_ms: 0,
            checks: 0,
            last_check: None,
            result: None,
        }
    }
}

/// An assertion's decision, as the page shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct AssertionResult {
    /// Held.
    pub passed: bool,
    /// Why.
    pub message: String,
    /// What the last check saw, as pretty JSON text.
    pub evidence: String,
    /// Checks made.
    pub attempts: u64,
    /// Scenario time until it held.
    pub time_to_hold_ms: Option<u64>,
}

/// One line of the events log.
#[derive(Debug, Clone, PartialEq)]
pub struct LogLine {
    /// Event number.
    pub seq: u64,
    /// Scenario offset.
    pub offset_ms: Option<u64>,
    /// Event kind.
    pub kind: String,
    /// What happened, for people ([`describe()`]).
    pub text: String,
    /// Whether it reports a failure.
    pub bad: bool,
}

impl LiveState {
    /// A state starting from the execution's stored status, with `events` applied.
    pub fn new(status: &str, events: &[Event]) -> Self {
        let mut state = Self {
            status: status.to_owned(),
            ..Self::default()
        };
        for event in events {
            state.apply(event);
        }
        state
    }

    /// Applies one event (ignored if its `seq` was applied already).
    pub fn apply(&mut self, event: &Event) {
        let seq = event.seq;
        if self.last_seq.is_some_and(|last| seq <= last) {
            return;
        }
        self.last_seq = Some(seq);
        let offset = event.offset_ms;
        if let Some(offset) = offset {
            self.elapsed_ms = self.elapsed_ms.max(offset);
        }
        let phase = event.phase;
        let bad = match &event.kind {
            EventKind::WorkloadSlot { slot } => {
                self.workload.push(ChartPoint::from(slot));
                // Charted, not logged: there can be thousands.
                return;
            }
            EventKind::ControlReceived {
                command: crate::api::event::ControlCommand::Stop,
                by,
            } => {
                if self.stopped_by.is_none() {
                    self.stopped_by = Some(by.clone().unwrap_or_else(|| "a user".to_owned()));
                }
                false
            }
            EventKind::ChaosEffect {
                service,
                count,
                effect,
                ..
            } => {
                *self
                    .effects
                    .entry((service.clone(), effect.type_name().to_owned()))
                    .or_default() += count;
                false
            }
            EventKind::ExecutionQueued { .. }
            | EventKind::IterationStarted { .. }
            | EventKind::ControlReceived { .. } => false,
            EventKind::ExecutionStarted { .. } | EventKind::Resumed => {
                self.status = "running".to_owned();
                false
            }
            EventKind::Paused => {
                self.status = "paused".to_owned();
                false
            }
            EventKind::PhaseStarted { .. } => {
                self.current_phase = phase;
                if let Some(p) = phase {
                    self.phase_outcomes.remove(&p);
                }
                false
            }
            EventKind::ActionStarted {
                service,
                action,
                parallel,
                ..
            } => {
                self.actions.push(ActionRow {
                    phase,
                    service: service.clone(),
                    action: action.clone(),
                    parallel: *parallel,
                    started_ms: offset,
                    outcome: None,
                });
                false
            }
            EventKind::ActionFinished {
                service,
                action,
                parallel,
                outcome,
            } => {
                let open = self.actions.iter_mut().rev().find(|a| {
                    a.outcome.is_none()
                        && a.phase == phase
                        && a.parallel == *parallel
                        && &a.service == service
                        && &a.action == action
                });
                match open {
                    Some(row) => row.outcome = Some(outcome.clone()),
                    None => self.actions.push(ActionRow {
                        phase,
                        service: service.clone(),
                        action: action.clone(),
                        parallel: *parallel,
                        started_ms: offset,
                        outcome: Some(outcome.clone()),
                    }),
                }
                !outcome.ok
            }
            EventKind::AssertionStarted {
                index,
                kind,
                expect,
                deadline_ms,
            } => {
                let row = self.assertion(phase, *index, kind, expect);
                row.deadline_ms = *deadline_ms;
                row.checks = 0;
                row.last_check = None;
                row.result = None;
                false
            }
            EventKind::AssertionChecked {
                index,
                kind,
                attempts,
                message,
            } => {
                let row = self.assertion(phase, *index, kind, "");
                row.checks = u64::from(*attempts);
                row.last_check = Some(message.clone());
                // Its row counts it: there can be thousands, so no log line.
                return;
            }
            EventKind::AssertionFinished {
                index,
                kind,
                expect,
                result,
            } => {
                let row = self.assertion(phase, *index, kind, expect);
                row.result = Some(AssertionResult {
                    passed: result.passed,
                    message: result.message.clone(),
                    evidence: serde_json::to_string_pretty(&result.evidence).unwrap_or_default(),
                    attempts: u64::from(result.attempts),
                    time_to_hold_ms: result.time_to_hold_ms,
                });
                !result.passed
            }
            EventKind::PhaseFinished { outcome, .. } => {
                if let Some(p) = phase {
                    self.phase_outcomes.insert(p, outcome.as_str().to_owned());
                }
                *outcome == PhaseOutcome::Failed
            }
            EventKind::RecoveryStarted { .. } => {
                // Its process is gone; another coordinator rolls it back and
                // ends it `interrupted`. Shown as such until it ends.
                self.status = "recovering".to_owned();
                false
            }
            EventKind::ResumedOnNewOwner { paused, .. } => {
                // Its phase runs again from its start: the rows of that phase
                // and the later ones are drawn afresh as they run.
                self.status = if *paused { "paused" } else { "running" }.to_owned();
                if let Some(from) = phase {
                    self.actions.retain(|a| a.phase.is_some_and(|p| p < from));
                    self.assertions.retain(|(p, _), _| *p < from);
                    self.phase_outcomes.retain(|p, _| *p < from);
                }
                false
            }
            EventKind::RollbackStarted { .. } => {
                self.rollback = Some("running".to_owned());
                false
            }
            EventKind::RollbackFinished { ok } => {
                self.rollback = Some(if *ok { "ok" } else { "failed" }.to_owned());
                !ok
            }
            EventKind::ExecutionFinished { status, verdict } => {
                self.status = status.as_str().to_owned();
                self.finished = true;
                self.verdict = Some(verdict.clone());
                // A user's stop is not a failure: its line is not marked bad.
                !verdict.passed && *status != ExecutionStatus::Stopped
            }
            EventKind::WorkloadSummary { summary } => {
                let end = WorkloadEnd::of(summary);
                let bad = end.measured && end.recovery_time_ms.is_none();
                self.workload_end = Some(end);
                bad
            }
        };
        if self.log.len() >= LOG_KEEP {
            self.log.pop_front();
        }
        self.log.push_back(LogLine {
            seq,
            offset_ms: offset,
            kind: event.kind.name().to_owned(),
            text: describe(&event.kind),
            bad,
        });
        self.log_total += 1;
    }

    /// Lines logged earlier than the ones kept (the report has them).
    pub fn log_dropped(&self) -> u64 {
        self.log_total.saturating_sub(self.log.len() as u64)
    }

    /// The latest `shown` log lines, newest first: the window the page renders.
    pub fn log_window(&self, shown: usize) -> Vec<LogLine> {
        self.log.iter().rev().take(shown).cloned().collect()
    }

    /// How many kept lines a window of `shown` leaves out ("show earlier" pages
    /// through them, [`LOG_PAGE`] at a time).
    pub fn log_hidden(&self, shown: usize) -> usize {
        self.log.len().saturating_sub(shown)
    }

    /// What the timeline draws: this state without what changes on every event
    /// (log, chart points, check counts, the latest offset), so that a memo of it
    /// changes only when a step's result does. The counts are shown apart.
    pub fn timeline_marks(&self) -> Self {
        Self {
            last_seq: None,
            status: self.status.clone(),
            finished: self.finished,
            elapsed_ms: 0,
            current_phase: self.current_phase,
            phase_outcomes: self.phase_outcomes.clone(),
            actions: self.actions.clone(),
            assertions: self
                .assertions
                .iter()
                .map(|(key, row)| {
                    let row = AssertionRow {
                        checks: 0,
                        last_check: None,
                        ..row.clone()
                    };
                    (*key, row)
                })
                .collect(),
            rollback: self.rollback.clone(),
            verdict: None,
            stopped_by: None,
            effects: BTreeMap::new(),
            log: VecDeque::new(),
            log_total: 0,
            workload: Vec::new(),
            workload_end: None,
        }
    }

    /// The check counts of the assertions still being polled, by (phase, index).
    pub fn polling_counts(&self) -> BTreeMap<(usize, usize), u64> {
        self.assertions
            .iter()
            .filter(|(_, row)| row.result.is_none())
            .map(|(key, row)| (*key, row.checks))
            .collect()
    }

    /// The row of assertion `index` of `phase`, made on its first event.
    fn assertion(
        &mut self,
        phase: Option<usize>,
        index: usize,
        kind: &str,
        expect: &str,
    ) -> &mut AssertionRow {
        let key = (phase.unwrap_or(0), index);
        self.assertions
            .entry(key)
            .or_insert_with(|| AssertionRow::new(key.0, index, kind, expect))
    }

    /// `ok`, `failed` or `running` for the `ordinal`-th call of `service.action`
    /// in `phase` (sequential or parallel); `None` if not reached.
    pub fn action_result(
        &self,
        phase: usize,
        parallel: bool,
        service: &str,
        action: &str,
        ordinal: usize,
    ) -> Option<&'static str> {
        let row = self
            .actions
            .iter()
            .filter(|a| {
                a.phase == Some(phase)
                    && a.parallel == parallel
                    && a.service == service
                    && a.action == action
            })
            .nth(ordinal)?;
        Some(match &row.outcome {
            None => "running",
            Some(o) if o.ok => "ok",
            Some(_) => "failed",
        })
    }

    /// The state of assertion `index` of `phase`.
    pub fn assertion_state(&self, phase: usize, index: usize) -> AssertionView {
        AssertionView::of(self.assertions.get(&(phase, index)))
    }
}

/// `events` without the `assertion_checked` events a later one supersedes: only
/// the latest check of each assertion is kept, which folds to the same
/// [`LiveState`] (a check sets the counter and the message, it adds nothing), so
/// the page of a run with thousands of checks loads and catches up with a few.
pub fn compact(events: Vec<Event>) -> Vec<Event> {
    let mut latest: BTreeMap<(Option<usize>, usize), u64> = BTreeMap::new();
    for event in &events {
        if let EventKind::AssertionChecked { index, .. } = &event.kind {
            latest.insert((event.phase, *index), event.seq);
        }
    }
    events
        .into_iter()
        .filter(|event| match &event.kind {
            EventKind::AssertionChecked { index, .. } => {
                latest.get(&(event.phase, *index)) == Some(&event.seq)
            }
            _ => true,
        })
        .collect()
}
