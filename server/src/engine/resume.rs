//! `on_owner_loss: resume` (docs/scale-out.md, "Owner loss"): where a run
//! whose owner was lost goes on, read from its stored events. It goes on from
//! the start of the phase it was in (or the next one, when it was between
//! two), with what the phases it finished tallied for its verdict. A run that
//! had already begun to end (a stop, a failed phase, a timeout, its last
//! phase done) does not go on: its end is what it was heading for.

use app::scenario::plan::Plan;

use super::{
    event::{ControlCommand, Event, EventKind, PhaseOutcome, RollbackReason},
    verdict::{tallied_kind, Tally},
    RunOptions,
};

/// The most times one run resumes: a run whose owner keeps being lost (a
/// scenario that takes its own coordinator down) ends after that many.
pub const MAX_RESUMPTIONS: u32 = 3;

/// The kinds of event [`point`] reads: the store loads only these, not the
/// checks, workload slots and effects that make up most of a long run.
pub const MILESTONES: &[&str] = &[
    "execution_started",
    "iteration_started",
    "phase_started",
    "action_finished",
    "assertion_finished",
    "phase_finished",
    "control_received",
    "recovery_started",
    "resumed_on_new_owner",
    "rollback_started",
    "execution_finished",
];

/// Why a phase the runner ended because its engine was shutting down was
/// aborted (`runner.rs` writes an interruption's [`Ending`] in lower case).
///
/// [`Ending`]: super::verdict::Ending
const OWNER_GOING: &str = "shutdown";

/// Where a resumed run goes on.
#[derive(Debug, Default)]
pub(super) struct ResumePoint {
    /// Whether it had started: one lost while queued starts afresh.
    pub(super) started: bool,
    /// The iteration it goes on in (1 without `repeat`).
    pub(super) iteration: u32,
    /// Whether that iteration is yet to begin (its `iteration_started` is due).
    pub(super) new_iteration: bool,
    /// The phase it goes on from, from its start.
    pub(super) phase: usize,
    /// What the phases it finished tallied.
    pub(super) tally: Tally,
    /// Whether it goes on paused, as it was when its owner was lost.
    pub(super) paused: bool,
    /// This resumption's number (1 for the first).
    pub(super) resumption: u32,
}

/// Where the run of `plan` whose events (its [`MILESTONES`]) are `history`
/// goes on, or why it does not.
pub(super) fn point(
    plan: &Plan,
    options: &RunOptions,
    history: &[Event],
) -> Result<ResumePoint, String> {
    let mut at = ResumePoint {
        iteration: 1,
        ..ResumePoint::default()
    };
    // The phase begun and not finished, and what it tallied so far: counted
    // only once it finishes, for a phase cut short runs again from its start.
    let mut open: Option<usize> = None;
    let mut pending = Tally::default();
    // Between a `recovery_started` and the run going on, steps are the
    // recovery's rollback, not the run's.
    let mut recovering = false;
    let mut resumptions = 0;
    for event in history {
        match &event.kind {
            EventKind::ExecutionStarted { .. } => at.started = true,
            EventKind::IterationStarted { iteration } => {
                at.iteration = *iteration;
                at.phase = 0;
                open = None;
                pending = Tally::default();
            }
            EventKind::PhaseStarted { .. } => {
                open = event.phase;
                pending = Tally::default();
            }
            EventKind::ActionFinished {
                service,
                action,
                parallel,
                outcome,
            } if open.is_some() && !recovering && !outcome.ok => {
                // As the runner tallies them (`phase.rs`).
                pending.failed_actions.push(if *parallel {
                    outcome.message.clone()
                } else {
                    format!("{service}.{action}")
                });
            }
            EventKind::AssertionFinished {
                kind,
                expect,
                result,
                ..
            } if open.is_some() && !recovering => {
                pending
                    .assertions
                    .push((tallied_kind(kind, expect), result.passed));
            }
            // Cut short because its owner was going away (a replica that lost
            // the database stops its runs so): it runs again from its start.
            EventKind::PhaseFinished {
                outcome: PhaseOutcome::Aborted,
                reason,
                ..
            } if reason.as_deref() == Some(OWNER_GOING) => pending = Tally::default(),
            EventKind::PhaseFinished { name, outcome, .. } => {
                let tally = &mut at.tally;
                tally.failed_actions.append(&mut pending.failed_actions);
                tally.assertions.append(&mut pending.assertions);
                match outcome {
                    PhaseOutcome::Passed => tally.phases_passed += 1,
                    PhaseOutcome::Skipped => tally.phases_skipped.push(name.clone()),
                    PhaseOutcome::Failed if options.continue_on_failure => {
                        tally.phases_not_passed.push(name.clone());
                    }
                    PhaseOutcome::Failed | PhaseOutcome::Aborted => {
                        return Err(format!(
                            "phase {name} had {}, so the run was ending",
                            outcome.as_str()
                        ));
                    }
                }
                at.phase = event.phase.map_or(at.phase, |p| p + 1);
                open = None;
            }
            EventKind::ControlReceived {
                command: ControlCommand::Stop,
                ..
            } => return Err("it had been asked to stop".to_owned()),
            // A rollback because the owner was going away, not the run ending:
            // its steps are the rollback's.
            EventKind::RollbackStarted {
                reason: RollbackReason::Shutdown,
                ..
            } => recovering = true,
            EventKind::RollbackStarted { reason, .. } if *reason != RollbackReason::Recovery => {
                return Err(format!("it was rolling back to end ({})", reason.as_str()));
            }
            EventKind::RecoveryStarted { .. } => recovering = true,
            EventKind::ResumedOnNewOwner {
                iteration,
                resumption,
                ..
            } => {
                resumptions = *resumption;
                at.iteration = *iteration;
                at.phase = event.phase.unwrap_or(0);
                open = None;
                pending = Tally::default();
                recovering = false;
            }
            EventKind::ExecutionFinished { .. } => return Err("it had ended".to_owned()),
            _ => {}
        }
    }
    if resumptions >= MAX_RESUMPTIONS {
        return Err(format!(
            "it has resumed {resumptions} times already, the most a run does"
        ));
    }
    at.resumption = resumptions + 1;
    at.phase = open.unwrap_or(at.phase);
    if at.phase >= plan.phases.len() {
        if at.iteration >= options.repeat.max(1) {
            return Err("its last phase had finished, so the run was ending".to_owned());
        }
        at.iteration += 1;
        at.phase = 0;
        at.new_iteration = true;
    }
    if !at.started {
        // It never began: it starts as if new (its first iteration announced).
        at.new_iteration = true;
    }
    Ok(at)
}

#[cfg(test)]
mod tests {
    use app::api::event::{ActionOutcome, AssertionResult};

    use super::*;
    use crate::engine::{tests::plan, tests::HEADER, ExecutionId};

    /// Three phases of 10 s: `a`, `b`, `c`.
    fn three() -> std::sync::Arc<Plan> {
        plan(&format!(
            "{HEADER}spec:\n  phases:\n    - {{name: a, duration: 10s}}\n    - {{name: b, duration: 10s}}\n    - {{name: c, duration: 10s}}\n"
        ))
    }

    struct History {
        id: ExecutionId,
        events: Vec<Event>,
    }

    impl History {
        fn new() -> Self {
            Self {
                id: ExecutionId::new(),
                events: Vec::new(),
            }
        }

        fn add(mut self, phase: Option<usize>, kind: EventKind) -> Self {
            self.events.push(Event {
                execution_id: self.id,
                seq: self.events.len() as u64,
                at: time::OffsetDateTime::UNIX_EPOCH,
                offset_ms: None,
                planned_ms: None,
                phase,
                kind,
            });
            self
        }

        fn started(self) -> Self {
            self.add(
                None,
                EventKind::ExecutionStarted {
                    speed: 1.0,
                    dry_run: false,
                },
            )
        }

        fn phase(self, index: usize, name: &str) -> Self {
            self.add(
                Some(index),
                EventKind::PhaseStarted {
                    name: name.into(),
                    duration_ms: 10_000,
                },
            )
        }

        fn finished(self, index: usize, name: &str, outcome: PhaseOutcome) -> Self {
            self.add(
                Some(index),
                EventKind::PhaseFinished {
                    name: name.into(),
                    outcome,
                    reason: None,
                },
            )
        }

        fn action(self, index: usize, ok: bool) -> Self {
            self.add(
                Some(index),
                EventKind::ActionFinished {
                    service: "exchange".into(),
                    action: "inject_latency".into(),
                    parallel: false,
                    outcome: ActionOutcome {
                        ok,
                        status: Some(if ok { 200 } else { 500 }),
                        latency_ms: 1.0,
                        message: "answered".into(),
                        response: serde_json::Value::Null,
                    },
                },
            )
        }

        fn assertion(self, index: usize, passed: bool) -> Self {
            self.add(
                Some(index),
                EventKind::AssertionFinished {
                    index: 0,
                    kind: "alert_triggered".into(),
                    expect: "risk_alert".into(),
                    result: AssertionResult {
                        passed,
                        message: String::new(),
                        evidence: serde_json::Value::Null,
                        attempts: 1,
                        first_check_ms: None,
                        last_check_ms: None,
                        time_to_hold_ms: None,
                    },
                },
            )
        }

        fn recovered(self) -> Self {
            self.add(
                None,
                EventKind::RecoveryStarted {
                    previous_owner: None,
                },
            )
            .add(
                None,
                EventKind::RollbackStarted {
                    reason: RollbackReason::Recovery,
                    actions: 1,
                },
            )
        }

        fn resumed(self, index: usize, resumption: u32) -> Self {
            self.add(
                Some(index),
                EventKind::ResumedOnNewOwner {
                    name: "b".into(),
                    iteration: 1,
                    paused: false,
                    resumption,
                },
            )
        }
    }

    fn options() -> RunOptions {
        RunOptions::default()
    }

    #[test]
    fn a_run_lost_inside_a_phase_goes_on_from_that_phase_with_the_earlier_ones_tallied() {
        let history = History::new()
            .started()
            .phase(0, "a")
            .action(0, true)
            .assertion(0, true)
            .finished(0, "a", PhaseOutcome::Passed)
            .phase(1, "b")
            // Cut short: these run again, so they are not counted.
            .action(1, false)
            .assertion(1, false);
        let at = point(&three(), &options(), &history.events).unwrap();
        assert!(at.started);
        assert_eq!((at.iteration, at.phase, at.resumption), (1, 1, 1));
        assert!(!at.new_iteration);
        assert_eq!(at.tally.phases_passed, 1);
        assert_eq!(at.tally.assertions, vec![("alert_triggered".into(), true)]);
        assert!(at.tally.failed_actions.is_empty());
    }

    #[test]
    fn a_run_lost_between_phases_goes_on_from_the_next() {
        let history = History::new()
            .started()
            .phase(0, "a")
            .finished(0, "a", PhaseOutcome::Passed)
            .phase(1, "b")
            .finished(1, "b", PhaseOutcome::Skipped);
        let at = point(&three(), &options(), &history.events).unwrap();
        assert_eq!(at.phase, 2);
        assert_eq!(at.tally.phases_skipped, vec!["b".to_owned()]);
    }

    #[test]
    fn a_run_lost_while_queued_starts_afresh() {
        let at = point(&three(), &options(), &[]).unwrap();
        assert!(!at.started);
        assert!(at.new_iteration);
        assert_eq!((at.iteration, at.phase), (1, 0));
    }

    #[test]
    fn a_run_already_ending_is_not_resumed() {
        let failed = History::new()
            .started()
            .phase(0, "a")
            .finished(0, "a", PhaseOutcome::Failed);
        let why = point(&three(), &options(), &failed.events).unwrap_err();
        assert!(why.contains("phase a had failed"), "{why}");
        // With continue_on_failure a failed phase is counted and the run goes on.
        let going_on = RunOptions {
            continue_on_failure: true,
            ..options()
        };
        let at = point(&three(), &going_on, &failed.events).unwrap();
        assert_eq!(at.phase, 1);
        assert_eq!(at.tally.phases_not_passed, vec!["a".to_owned()]);

        let stopped = History::new().started().phase(0, "a").add(
            None,
            EventKind::ControlReceived {
                command: ControlCommand::Stop,
                by: None,
            },
        );
        assert!(point(&three(), &options(), &stopped.events).is_err());
        let timed_out = History::new().started().phase(0, "a").add(
            None,
            EventKind::RollbackStarted {
                reason: RollbackReason::Timeout,
                actions: 1,
            },
        );
        let why = point(&three(), &options(), &timed_out.events).unwrap_err();
        assert!(why.contains("timeout"), "{why}");
        let done = ["a", "b", "c"]
            .iter()
            .enumerate()
            .fold(History::new().started(), |h, (i, name)| {
                h.phase(i, name).finished(i, name, PhaseOutcome::Passed)
            });
        let why = point(&three(), &options(), &done.events).unwrap_err();
        assert!(why.contains("last phase"), "{why}");
    }

    #[test]
    fn a_run_its_owner_stopped_while_cut_off_from_the_database_goes_on_from_its_phase() {
        let reason = format!("{:?}", crate::engine::verdict::Ending::Shutdown).to_lowercase();
        assert_eq!(reason, OWNER_GOING, "as the runner writes it");
        let history = History::new()
            .started()
            .phase(0, "a")
            .finished(0, "a", PhaseOutcome::Passed)
            .phase(1, "b")
            .assertion(1, true)
            .add(
                Some(1),
                EventKind::PhaseFinished {
                    name: "b".into(),
                    outcome: PhaseOutcome::Aborted,
                    reason: Some(reason),
                },
            )
            .add(
                None,
                EventKind::RollbackStarted {
                    reason: RollbackReason::Shutdown,
                    actions: 1,
                },
            )
            .action(1, true);
        let at = point(&three(), &options(), &history.events).unwrap();
        assert_eq!(at.phase, 1);
        assert_eq!(at.tally.phases_passed, 1);
        assert!(at.tally.assertions.is_empty(), "{:?}", at.tally);
        assert!(at.tally.phases_not_passed.is_empty());
    }

    #[test]
    fn a_run_whose_iteration_had_finished_goes_on_with_the_next() {
        let done = ["a", "b", "c"]
            .iter()
            .enumerate()
            .fold(History::new().started(), |h, (i, name)| {
                h.phase(i, name).finished(i, name, PhaseOutcome::Passed)
            });
        let twice = RunOptions {
            repeat: 2,
            ..options()
        };
        let at = point(&three(), &twice, &done.events).unwrap();
        assert_eq!((at.iteration, at.phase), (2, 0));
        assert!(at.new_iteration);
        assert_eq!(at.tally.phases_passed, 3);
    }

    #[test]
    fn a_second_loss_goes_on_from_where_the_first_resumption_got_and_the_fourth_ends_it() {
        let once = History::new()
            .started()
            .phase(0, "a")
            .finished(0, "a", PhaseOutcome::Passed)
            .phase(1, "b")
            .recovered()
            .resumed(1, 1);
        // Lost again before its phase began anew: the same phase.
        let at = point(&three(), &options(), &once.events).unwrap();
        assert_eq!((at.phase, at.resumption), (1, 2));
        // The recovery's rollback steps tally nothing.
        let again = once
            .phase(1, "b")
            .assertion(1, true)
            .finished(1, "b", PhaseOutcome::Passed)
            .phase(2, "c")
            .recovered()
            .action(2, false);
        let at = point(&three(), &options(), &again.events).unwrap();
        assert_eq!((at.phase, at.resumption), (2, 2));
        assert_eq!(at.tally.phases_passed, 2);
        assert!(at.tally.failed_actions.is_empty());
        let thrice = again.resumed(2, 3).phase(2, "c").recovered();
        let why = point(&three(), &options(), &thrice.events).unwrap_err();
        assert!(why.contains("3 times"), "{why}");
    }
}
