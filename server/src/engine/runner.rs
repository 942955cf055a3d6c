//! One task per execution: waits for a slot, then runs the plan's phases on an
//! absolute schedule — actions in order at phase start, parallel actions at
//! their offsets, assertions polled until they hold or their deadline — reacts
//! to pause/resume/skip/stop within milliseconds, rolls back on every abnormal
//! exit, and ends with a verdict over the success criteria.

use std::{future::Future, sync::Arc, time::Duration};

use app::{
    api::ExecutionStatus,
    scenario::{
        plan::{Plan, PlannedAction, PlannedAssertion, PlannedPhase},
        validate::METRIC,
    },
};
use serde_json::Value;
use tokio::{
    sync::{mpsc, watch, Semaphore},
    task::JoinSet,
};

use super::{
    cancel::Cancel,
    clock::{deadline_after, millis, sleep_until, to_scenario, Precision, Schedule},
    event::{
        ActionOutcome, AssertionResult, ControlCommand, EventDraft, EventKind, PhaseOutcome,
        RollbackReason, Verdict,
    },
    guard::Progress,
    recorder::ExecutionRecorder,
    rollback::run_rollback,
    verdict::{verdict, Ending, Tally, RECOVERY_METRIC},
    workload::{Workload, WorkloadHandle},
    ActionCall, AssertionCall, CheckOutcome, EngineParts, ExecutionId, NewExecution, Signal,
};

// Recovery reaches the rollback through the runner, as before the split.
pub(super) use super::rollback::{rollback_actions, run_rollback_with};

/// What a runner gets from the engine.
pub(super) struct Context {
    pub(super) parts: EngineParts,
    pub(super) recorder: ExecutionRecorder,
    pub(super) control: mpsc::UnboundedReceiver<Signal>,
    /// How far it got, for the guard should the task panic.
    pub(super) progress: Arc<Progress>,
}

/// Waits for a free slot (a stop or shutdown while queued ends the execution
/// there), then runs it.
pub(super) async fn run_when_admitted(
    mut context: Context,
    execution: NewExecution,
    slots: Arc<Semaphore>,
) {
    let queued = |kind| EventDraft {
        offset_ms: None,
        planned_ms: None,
        phase: None,
        kind,
    };
    let permit = loop {
        tokio::select! {
            permit = slots.clone().acquire_owned() => match permit {
                Ok(permit) => break permit,
                Err(_) => return,
            },
            signal = context.control.recv() => match signal {
                Some(Signal::Command(command)) => {
                    context.recorder.emit(queued(EventKind::ControlReceived { command }));
                    if command == ControlCommand::Stop {
                        finish_unstarted(&context.recorder, ExecutionStatus::Stopped, "stopped while queued").await;
                        context.progress.finished();
                        return;
                    }
                }
                Some(Signal::Shutdown) | None => {
                    finish_unstarted(&context.recorder, ExecutionStatus::Interrupted, "the coordinator shut down while it was queued").await;
                    context.progress.finished();
                    return;
                }
            },
        }
    };
    Runner::new(context, execution).run().await;
    drop(permit);
}

async fn finish_unstarted(recorder: &ExecutionRecorder, status: ExecutionStatus, why: &str) {
    recorder.emit(EventDraft {
        offset_ms: None,
        planned_ms: None,
        phase: None,
        kind: EventKind::ExecutionFinished {
            status,
            verdict: Verdict {
                passed: false,
                criteria: Vec::new(),
                summary: why.to_owned(),
            },
        },
    });
    recorder.flush().await;
}

/// How one phase ended.
enum PhaseEnd {
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
        // A `recovery_time` metric counts as a recovery assertion in the verdict.
        let kind = if assertion.assertion_type == METRIC
            && assertion.expect.trim_start().starts_with("recovery_time")
        {
            RECOVERY_METRIC.to_owned()
        } else {
            assertion.assertion_type
        };
        StepResult::Assertion {
            kind,
            passed,
            message,
        }
    }
}

struct Runner {
    plan: Arc<Plan>,
    /// `spec.timeout`, or the configured default.
    timeout: Duration,
    /// When the timeout fires: wall-clock (scaled) from the iteration's start,
    /// pauses included — a hard stop is a hard stop.
    deadline: tokio::time::Instant,
    options: super::RunOptions,
    control: mpsc::UnboundedReceiver<Signal>,
    schedule: watch::Sender<Schedule>,
    env: StepEnv,
    tally: Tally,
    /// How far the execution got, for its guard.
    progress: Arc<Progress>,
    /// A run's workload that stopped sending but still has requests in flight:
    /// it is summed up after the rollback, which must not wait for them.
    stopped_workload: Option<Workload>,
}

impl Runner {
    fn new(context: Context, execution: NewExecution) -> Self {
        let (schedule, schedule_rx) =
            watch::channel(Schedule::starting_now(execution.options.speed));
        let speed = schedule_rx.borrow().speed();
        let precision = if context.parts.settings.precise_timing {
            Precision::Precise
        } else {
            Precision::Timer
        };
        let env = StepEnv {
            id: execution.id,
            precision,
            speed,
            dry_run: execution.options.dry_run,
            parts: context.parts,
            recorder: context.recorder,
            schedule: schedule_rx,
            workload: None,
            cancel: Cancel::default(),
        };
        let timeout = execution
            .plan
            .timeout_ms
            .unwrap_or(env.parts.settings.default_timeout);
        Self {
            timeout,
            deadline: deadline_after(timeout, speed),
            plan: execution.plan,
            options: execution.options,
            control: context.control,
            schedule,
            env,
            tally: Tally::default(),
            stopped_workload: None,
            progress: context.progress,
        }
    }

    #[tracing::instrument(skip_all, fields(execution_id = %self.env.id, scenario = %self.plan.metadata.name))]
    async fn run(mut self) {
        self.schedule
            .send_replace(Schedule::starting_now(self.options.speed));
        self.deadline = deadline_after(self.timeout, self.env.speed);
        self.env.emit(
            None,
            None,
            EventKind::ExecutionStarted {
                speed: self.env.speed,
                dry_run: self.env.dry_run,
            },
        );
        self.progress.started();
        let iterations = self.options.repeat.max(1);
        let mut ending = Ending::Completed;
        for iteration in 1..=iterations {
            if iteration > 1 {
                // Each loop runs the plan's timeline afresh, with its own timeout.
                self.schedule
                    .send_replace(Schedule::starting_now(self.options.speed));
                self.deadline = deadline_after(self.timeout, self.env.speed);
            }
            if iterations > 1 {
                self.env.emit(
                    None,
                    Some(Duration::ZERO),
                    EventKind::IterationStarted { iteration },
                );
            }
            ending = if self.env.dry_run {
                self.simulate_phases()
            } else {
                self.run_with_workload().await
            };
            if ending != Ending::Completed {
                break;
            }
        }
        let rollback = match &ending {
            Ending::Completed => None,
            Ending::Failed(_) => (self.plan.rollback.on_failure
                && self.env.parts.settings.rollback_on_failure)
                .then_some(RollbackReason::Failure),
            Ending::Stopped => Some(RollbackReason::Stop),
            Ending::TimedOut => Some(RollbackReason::Timeout),
            Ending::Shutdown => Some(RollbackReason::Shutdown),
        };
        if let Some(reason) = rollback {
            if !self.env.dry_run {
                let actions = rollback_actions(
                    &self.plan,
                    &self.env.parts.settings.default_rollback_services,
                );
                self.tally.rollback_ok = Some(run_rollback(&self.env, reason, &actions).await);
            }
        }
        if let Some(workload) = self.stopped_workload.take() {
            workload.finish(None).await;
        }
        let verdict = verdict(
            &self.plan,
            self.timeout,
            &self.tally,
            &ending,
            self.env.dry_run,
        );
        let status = match ending {
            Ending::Completed if verdict.passed => ExecutionStatus::Completed,
            Ending::Completed | Ending::Failed(_) => ExecutionStatus::Failed,
            Ending::Stopped => ExecutionStatus::Stopped,
            Ending::TimedOut => ExecutionStatus::TimedOut,
            Ending::Shutdown => ExecutionStatus::Interrupted,
        };
        self.env
            .emit(None, None, EventKind::ExecutionFinished { status, verdict });
        self.progress.finished();
        self.env.recorder.flush().await;
    }

    /// Runs the phases with the plan's workload (if any) driving traffic
    /// throughout, then records the workload's summary.
    async fn run_with_workload(&mut self) -> Ending {
        if self.plan.workload.is_none() {
            return self.run_phases().await;
        }
        let workload = match Workload::start(
            self.plan.clone(),
            self.env.id,
            self.env.speed,
            self.schedule.subscribe(),
            self.env.recorder.clone(),
            self.env.parts.load.as_ref(),
        ) {
            Ok(workload) => workload,
            Err(why) => return Ending::Failed(format!("the workload cannot start: {why}")),
        };
        self.env.workload = Some(workload.handle());
        let ending = self.run_phases().await;
        self.env.workload = None;
        let mut workload = workload;
        workload.stop_sending().await;
        if ending == Ending::Completed {
            workload.finish(None).await;
        } else {
            self.stopped_workload = Some(workload);
        }
        ending
    }

    /// A dry run: every step recorded at its planned time, nothing called or waited for.
    fn simulate_phases(&mut self) -> Ending {
        let plan = self.plan.clone();
        let at = |offset: Duration| Some(millis(offset));
        for (index, phase) in plan.phases.iter().enumerate() {
            let emit = |planned: Duration, kind| {
                self.env.recorder.emit(EventDraft {
                    offset_ms: at(planned),
                    planned_ms: at(planned),
                    phase: Some(index),
                    kind,
                });
            };
            emit(
                phase.start_ms,
                EventKind::PhaseStarted {
                    name: phase.name.clone(),
                    duration_ms: millis(phase.end_ms - phase.start_ms),
                },
            );
            for (parallel, action) in phase
                .actions
                .iter()
                .map(|a| (false, a))
                .chain(phase.parallel_actions.iter().map(|a| (true, a)))
            {
                emit(
                    action.at_ms,
                    EventKind::ActionStarted {
                        service: action.service.clone(),
                        action: action.action.clone(),
                        parallel,
                        parameters: Value::Object(action.parameters.clone()),
                    },
                );
            }
            for (i, assertion) in phase.assertions.iter().enumerate() {
                emit(
                    assertion.start_ms,
                    EventKind::AssertionStarted {
                        index: i,
                        kind: assertion.assertion_type.clone(),
                        expect: assertion.expect.clone(),
                        deadline_ms: millis(assertion.deadline_ms),
                    },
                );
            }
            emit(
                phase.end_ms,
                EventKind::PhaseFinished {
                    name: phase.name.clone(),
                    outcome: PhaseOutcome::Passed,
                    reason: Some("dry run: nothing was called or checked".to_owned()),
                },
            );
            self.tally.phases_passed += 1;
        }
        Ending::Completed
    }

    async fn run_phases(&mut self) -> Ending {
        let plan = self.plan.clone();
        for (index, phase) in plan.phases.iter().enumerate() {
            if let Some(ending) = self.wait_until(phase.start_ms).await {
                return ending;
            }
            self.env.emit(
                Some(index),
                Some(phase.start_ms),
                EventKind::PhaseStarted {
                    name: phase.name.clone(),
                    duration_ms: millis(phase.end_ms - phase.start_ms),
                },
            );
            let end = self.run_phase(index, phase).await;
            let (outcome, reason) = match &end {
                PhaseEnd::Passed => (PhaseOutcome::Passed, None),
                PhaseEnd::Failed(reason) => (PhaseOutcome::Failed, Some(reason.clone())),
                PhaseEnd::Skipped => (PhaseOutcome::Skipped, Some("skipped by a user".to_owned())),
                PhaseEnd::Interrupted(ending) => (
                    PhaseOutcome::Aborted,
                    Some(format!("{ending:?}").to_lowercase()),
                ),
            };
            match outcome {
                PhaseOutcome::Passed => self.tally.phases_passed += 1,
                // A user's decision, not a failure of the system under test.
                PhaseOutcome::Skipped => self.tally.phases_skipped.push(phase.name.clone()),
                PhaseOutcome::Failed | PhaseOutcome::Aborted => {
                    self.tally.phases_not_passed.push(phase.name.clone())
                }
            }
            self.env.emit(
                Some(index),
                Some(phase.end_ms),
                EventKind::PhaseFinished {
                    name: phase.name.clone(),
                    outcome,
                    reason,
                },
            );
            match end {
                PhaseEnd::Passed | PhaseEnd::Skipped => {}
                PhaseEnd::Failed(reason) if !self.options.continue_on_failure => {
                    return Ending::Failed(format!("phase {} failed: {reason}", phase.name));
                }
                PhaseEnd::Failed(_) => {}
                PhaseEnd::Interrupted(ending) => return ending,
            }
        }
        if self.tally.phases_not_passed.is_empty() {
            Ending::Completed
        } else {
            Ending::Failed(format!(
                "phases failed: {}",
                self.tally.phases_not_passed.join(", ")
            ))
        }
    }

    /// Waits for `offset` between phases, serving control signals and the timeout.
    async fn wait_until(&mut self, offset: Duration) -> Option<Ending> {
        let mut schedule = self.schedule.subscribe();
        loop {
            tokio::select! {
                () = sleep_until(&mut schedule, offset, self.env.precision) => return None,
                () = tokio::time::sleep_until(self.deadline) => return Some(Ending::TimedOut),
                signal = self.control.recv() => {
                    if let Some(ending) = self.handle_signal(signal) {
                        return Some(ending);
                    }
                }
            }
        }
    }

    /// Applies pause/resume/skip; returns how the execution ends for stop and shutdown.
    /// Skip between phases has nothing to skip and is only recorded.
    fn handle_signal(&mut self, signal: Option<Signal>) -> Option<Ending> {
        match signal {
            None | Some(Signal::Shutdown) => Some(Ending::Shutdown),
            Some(Signal::Command(command)) => {
                self.env
                    .emit(None, None, EventKind::ControlReceived { command });
                match command {
                    ControlCommand::Stop => Some(Ending::Stopped),
                    ControlCommand::Pause if !self.schedule.borrow().is_paused() => {
                        self.schedule.send_modify(Schedule::pause);
                        self.env.emit(None, None, EventKind::Paused);
                        None
                    }
                    ControlCommand::Resume if self.schedule.borrow().is_paused() => {
                        self.schedule.send_modify(Schedule::resume);
                        self.env.emit(None, None, EventKind::Resumed);
                        None
                    }
                    ControlCommand::Pause | ControlCommand::Resume | ControlCommand::SkipPhase => {
                        None
                    }
                }
            }
        }
    }

    async fn run_phase(&mut self, index: usize, phase: &PlannedPhase) -> PhaseEnd {
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

    /// Awaits `step` (a phase's action in order) while serving control signals
    /// and the timeout. A pause is recorded at once and the call runs on (see
    /// docs/engine.md); a stop, skip, shutdown or the timeout cancels it at once
    /// and ends the phase (`Err`), after the step has recorded its cancellation.
    async fn serve_signals_during<T>(
        &mut self,
        index: usize,
        cancel: &Cancel,
        step: impl Future<Output = T>,
    ) -> Result<T, PhaseEnd> {
        tokio::pin!(step);
        let end = loop {
            tokio::select! {
                done = &mut step => return Ok(done),
                () = tokio::time::sleep_until(self.deadline) => break PhaseEnd::Interrupted(Ending::TimedOut),
                signal = self.control.recv() => {
                    if let Some(end) = self.phase_signal(index, signal) {
                        break end;
                    }
                }
            }
        };
        cancel.cancel(cancel_reason(&end));
        step.await;
        Err(end)
    }

    /// What a control signal does to a running phase: `Some` ends it.
    fn phase_signal(&mut self, index: usize, signal: Option<Signal>) -> Option<PhaseEnd> {
        if matches!(signal, Some(Signal::Command(ControlCommand::SkipPhase))) {
            self.env.emit(
                Some(index),
                None,
                EventKind::ControlReceived {
                    command: ControlCommand::SkipPhase,
                },
            );
            return Some(PhaseEnd::Skipped);
        }
        self.handle_signal(signal).map(PhaseEnd::Interrupted)
    }

    /// A phase ended before its end: a skip jumps the timeline to the phase's end.
    fn end_phase_early(&mut self, phase: &PlannedPhase, end: PhaseEnd) -> PhaseEnd {
        if matches!(end, PhaseEnd::Skipped) {
            self.schedule.send_modify(|s| {
                s.resume();
                s.skip_to(phase.end_ms);
            });
        }
        end
    }
}

/// Why the steps of a phase that ended with `end` are cancelled.
fn cancel_reason(end: &PhaseEnd) -> &'static str {
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
