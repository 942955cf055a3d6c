//! One phase's steps: its actions in order at the phase's start, its parallel
//! actions at their offsets and its assertions polled until they hold or their
//! deadline — each a task with a [`StepEnv`] — tallied as they finish, and all
//! cancelled at once when the phase ends early.

use std::{future::Future, time::Duration};

use app::scenario::{
    plan::{PlannedAction, PlannedAssertion, PlannedPhase},
    validate::METRIC,
};
use serde_json::Value;
use tokio::{sync::watch, task::JoinSet};

use super::{
    cancel::Cancel,
    clock::{millis, sleep_until, to_scenario, Precision, Schedule},
    event::{ActionOutcome, AssertionResult, EventDraft, EventKind},
    recorder::ExecutionRecorder,
    runner::Runner,
    verdict::{tallied_kind, Ending},
    workload::WorkloadHandle,
    ActionCall, AssertionCall, CheckOutcome, EngineParts, ExecutionId,
};

/// How one phase ended.
pub(super) enum PhaseEnd {
    Passed,
    Failed(String),
    Skipped,
    Interrupted(Ending),
}

/// What a spawned step reports back.
enum StepResult {
    Action {
        ok: bool,
        message: String,
    },
    Assertion {
        kind: String,
        passed: bool,
        message: String,
    },
    /// Given up because the phase ended first (nothing to tally).
    Cancelled,
}

/// Everything a spawned step needs, cheap to clone.
#[derive(Clone)]
pub(super) struct StepEnv {
    pub(super) id: ExecutionId,
    /// How exactly timed steps start.
    pub(super) precision: Precision,
    pub(super) speed: f64,
    pub(super) dry_run: bool,
    pub(super) parts: EngineParts,
    pub(super) recorder: ExecutionRecorder,
    pub(super) schedule: watch::Receiver<Schedule>,
    /// The iteration's workload, while it runs.
    pub(super) workload: Option<WorkloadHandle>,
    /// Cancels this step when its phase ends early.
    pub(super) cancel: Cancel,
}

impl StepEnv {
    pub(super) fn emit(&self, phase: Option<usize>, planned: Option<Duration>, kind: EventKind) {
        let offset = self.schedule.borrow().offset();
        self.recorder.emit(EventDraft {
            offset_ms: Some(millis(offset)),
            planned_ms: planned.map(millis),
            phase,
            kind,
        });
    }

    /// Where the services report what this execution's faults do: events
    /// at the schedule's offset when they arrive.
    fn effect_sink(&self) -> super::EffectSink {
        let (recorder, schedule) = (self.recorder.clone(), self.schedule.clone());
        super::EffectSink::new(move |kind| {
            let offset = schedule.borrow().offset();
            recorder.emit(EventDraft {
                offset_ms: Some(millis(offset)),
                planned_ms: None,
                phase: None,
                kind,
            });
        })
    }

    /// Runs one action and records its start and end; a cancelled phase
    /// abandons the call at once (recorded as a failed, cancelled action).
    pub(super) async fn act(
        &self,
        phase: Option<usize>,
        action: &PlannedAction,
        parallel: bool,
    ) -> ActionOutcome {
        let cancel = self.cancel.clone();
        let give_up = async move { format!("cancelled: {}", cancel.cancelled().await) };
        self.act_until(phase, action, parallel, give_up).await
    }

    /// Runs one action and records its start and end; if `give_up` completes
    /// first, the call is abandoned and recorded as failed with its message.
    pub(super) async fn act_until(
        &self,
        phase: Option<usize>,
        action: &PlannedAction,
        parallel: bool,
        give_up: impl Future<Output = String>,
    ) -> ActionOutcome {
        let planned = phase.map(|_| action.at_ms);
        if let (Some(_), Some(workload)) = (phase, &self.workload) {
            workload.action(&action.action, self.schedule.borrow().offset());
        }
        self.emit(
            phase,
            planned,
            EventKind::ActionStarted {
                service: action.service.clone(),
                action: action.action.clone(),
                parallel,
                parameters: Value::Object(action.parameters.clone()),
            },
        );
        let outcome = if self.dry_run {
            ActionOutcome {
                ok: true,
                status: None,
                latency_ms: 0.0,
                message: "dry run: not sent".to_owned(),
                response: Value::Null,
            }
        } else {
            let call = ActionCall {
                execution_id: self.id,
                speed: self.speed,
                service: action.service.clone(),
                action: action.action.clone(),
                parameters: Value::Object(action.parameters.clone()),
                effects: self.effect_sink(),
            };
            let started = tokio::time::Instant::now();
            tokio::select! {
                outcome = self.parts.services.call(&call) => outcome,
                why = give_up => ActionOutcome {
                    ok: false,
                    status: None,
                    latency_ms: started.elapsed().as_secs_f64() * 1000.0,
                    message: format!("{} {}: {why} before it answered", action.service, action.action),
                    response: Value::Null,
                },
            }
        };
        self.emit(
            phase,
            planned,
            EventKind::ActionFinished {
                service: action.service.clone(),
                action: action.action.clone(),
                parallel,
                outcome: outcome.clone(),
            },
        );
        outcome
    }

    /// Polls one assertion until it holds or its deadline passes.
    async fn assert(
        mut self,
        phase: usize,
        index: usize,
        assertion: PlannedAssertion,
    ) -> StepResult {
        self.emit(
            Some(phase),
            Some(assertion.start_ms),
            EventKind::AssertionStarted {
                index,
                kind: assertion.assertion_type.clone(),
                expect: assertion.expect.clone(),
                deadline_ms: millis(assertion.deadline_ms),
            },
        );
        let mut result = AssertionResult {
            passed: false,
            message: String::new(),
            evidence: Value::Null,
            attempts: 0,
            first_check_ms: None,
            last_check_ms: None,
            time_to_hold_ms: None,
        };
        // Watches for a pause: a check in flight then is dropped and made again
        // after the resume (checks only read, so repeating one is safe).
        let mut pauses = self.schedule.clone();
        loop {
            if self.schedule.borrow().is_paused() {
                tokio::select! {
                    _ = pauses.wait_for(|s| !s.is_paused()) => {}
                    _ = self.cancel.cancelled() => return StepResult::Cancelled,
                }
            }
            let checked_at = self.schedule.borrow().offset();
            result.attempts += 1;
            result.first_check_ms.get_or_insert(millis(checked_at));
            result.last_check_ms = Some(millis(checked_at));
            let call = AssertionCall {
                execution_id: self.id,
                speed: self.speed,
                kind: assertion.assertion_type.clone(),
                expect: assertion.expect.clone(),
                service: assertion.service.clone(),
                parameters: Value::Object(assertion.parameters.clone()),
                window_start: assertion.start_ms,
                attempt: result.attempts,
            };
            let outcome = match (&self.workload, assertion.assertion_type.as_str()) {
                (Some(workload), METRIC) => workload.check(&assertion, phase),
                (None, METRIC) => CheckOutcome {
                    passed: false,
                    message: "the scenario has no workload to judge".to_owned(),
                    evidence: Value::Null,
                },
                _ => tokio::select! {
                    outcome = self.parts.assertions.check(&call) => outcome,
                    _ = pauses.wait_for(Schedule::is_paused) => {
                        result.attempts -= 1;
                        continue;
                    }
                    _ = self.cancel.cancelled() => return StepResult::Cancelled,
                },
            };
            result.message = outcome.message;
            result.evidence = outcome.evidence;
            if outcome.passed {
                result.passed = true;
                result.time_to_hold_ms =
                    Some(millis(checked_at.saturating_sub(assertion.start_ms)));
                break;
            }
            if checked_at >= assertion.deadline_ms {
                result.message = format!("not met within its window: {}", result.message);
                break;
            }
            self.emit(
                Some(phase),
                None,
                EventKind::AssertionChecked {
                    index,
                    kind: assertion.assertion_type.clone(),
                    attempts: result.attempts,
                    message: result.message.clone(),
                },
            );
            let schedule = *self.schedule.borrow();
            let settings = &self.parts.settings;
            let step = to_scenario(
                schedule.real_interval(settings.poll_interval, settings.min_real_poll),
                schedule.speed(),
            );
            let next = checked_at.saturating_add(step).min(assertion.deadline_ms);
            let cancel = self.cancel.clone();
            tokio::select! {
                () = sleep_until(&mut self.schedule, next, Precision::Timer) => {}
                _ = cancel.cancelled() => return StepResult::Cancelled,
            }
        }
        let (passed, message) = (result.passed, result.message.clone());
        self.emit(
            Some(phase),
            Some(assertion.deadline_ms),
            EventKind::AssertionFinished {
                index,
                kind: assertion.assertion_type.clone(),
                expect: assertion.expect.clone(),
                result,
            },
        );
        StepResult::Assertion {
            kind: tallied_kind(&assertion.assertion_type, &assertion.expect),
            passed,
            message,
        }
    }
}

impl Runner {
    pub(super) async fn run_phase(&mut self, index: usize, phase: &PlannedPhase) -> PhaseEnd {
        // Every step of this phase gives up at once when the phase ends early.
        let cancel = Cancel::default();
        let mut env = self.env.clone();
        env.cancel = cancel.clone();
        let mut failures = Vec::new();
        for action in &phase.actions {
            // Nothing new starts while paused (an action in flight at the pause ran on).
            let mut schedule = self.schedule.subscribe();
            let cancelled = cancel.clone();
            let resumed = async move {
                tokio::select! {
                    _ = schedule.wait_for(|s| !s.is_paused()) => {}
                    _ = cancelled.cancelled() => {}
                }
            };
            if let Err(end) = self.serve_signals_during(index, &cancel, resumed).await {
                return self.end_phase_early(phase, end);
            }
            let step = env.act(Some(index), action, false);
            let outcome = match self.serve_signals_during(index, &cancel, step).await {
                Ok(outcome) => outcome,
                Err(end) => return self.end_phase_early(phase, end),
            };
            if !outcome.ok {
                self.tally
                    .failed_actions
                    .push(format!("{}.{}", action.service, action.action));
                failures.push(outcome.message);
                if !self.options.continue_on_failure {
                    return PhaseEnd::Failed(failures.join("; "));
                }
            }
        }
        let mut steps = JoinSet::new();
        for action in phase.parallel_actions.iter().cloned() {
            let mut env = env.clone();
            steps.spawn(async move {
                let cancel = env.cancel.clone();
                tokio::select! {
                    () = sleep_until(&mut env.schedule, action.at_ms, env.precision) => {}
                    _ = cancel.cancelled() => return StepResult::Cancelled,
                }
                let outcome = env.act(Some(index), &action, true).await;
                StepResult::Action {
                    ok: outcome.ok,
                    message: outcome.message,
                }
            });
        }
        for (i, assertion) in phase.assertions.iter().cloned().enumerate() {
            steps.spawn(env.clone().assert(index, i, assertion));
        }
        let mut phase_clock = self.schedule.subscribe();
        let mut time_up = false;
        loop {
            if time_up && steps.is_empty() {
                break;
            }
            tokio::select! {
                () = sleep_until(&mut phase_clock, phase.end_ms, Precision::Timer), if !time_up => time_up = true,
                Some(joined) = steps.join_next(), if !steps.is_empty() => {
                    let failure = match joined {
                        Ok(StepResult::Action { ok: false, message }) => {
                            self.tally.failed_actions.push(message.clone());
                            Some(message)
                        }
                        Ok(StepResult::Action { .. } | StepResult::Cancelled) => None,
                        Ok(StepResult::Assertion { kind, passed, message }) => {
                            self.tally.assertions.push((kind.clone(), passed));
                            (!passed).then(|| format!("assertion {kind} failed: {message}"))
                        }
                        Err(error) if error.is_cancelled() => None,
                        Err(error) => Some(format!("a step panicked: {error}")),
                    };
                    if let Some(failure) = failure {
                        failures.push(failure);
                        if !self.options.continue_on_failure {
                            let end = PhaseEnd::Failed(failures.join("; "));
                            cancel_steps(&cancel, &mut steps, &end).await;
                            return end;
                        }
                    }
                }
                () = tokio::time::sleep_until(self.deadline) => {
                    let end = PhaseEnd::Interrupted(Ending::TimedOut);
                    cancel_steps(&cancel, &mut steps, &end).await;
                    return end;
                }
                signal = self.control.recv() => {
                    if let Some(end) = self.phase_signal(index, signal) {
                        cancel_steps(&cancel, &mut steps, &end).await;
                        return self.end_phase_early(phase, end);
                    }
                }
            }
        }
        if failures.is_empty() {
            PhaseEnd::Passed
        } else {
            PhaseEnd::Failed(failures.join("; "))
        }
    }
}

/// Why the steps of a phase that ended with `end` are cancelled.
pub(super) fn cancel_reason(end: &PhaseEnd) -> &'static str {
    match end {
        PhaseEnd::Passed => "the phase ended",
        PhaseEnd::Failed(_) => "the phase failed",
        PhaseEnd::Skipped => "the phase was skipped",
        PhaseEnd::Interrupted(Ending::Stopped) => "stopped by a user",
        PhaseEnd::Interrupted(Ending::Shutdown) => "the coordinator shut down",
        PhaseEnd::Interrupted(Ending::TimedOut) => "spec.timeout ran out",
        PhaseEnd::Interrupted(Ending::Completed | Ending::Failed(_)) => "the execution ended",
    }
}

/// Cancels a phase's remaining steps and waits for them to record it (they
/// give up at once, so this takes no time).
async fn cancel_steps(cancel: &Cancel, steps: &mut JoinSet<StepResult>, end: &PhaseEnd) {
    cancel.cancel(cancel_reason(end));
    while steps.join_next().await.is_some() {}
}
