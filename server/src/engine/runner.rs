//! One task per execution, its life cycle: waits for a slot, starts, runs the
//! plan's iterations (each phase through [`super::phase`], on the timeline kept
//! by [`super::scheduler`]), rolls back on every abnormal exit
//! ([`super::rollback`]), and ends with a verdict over the success criteria
//! ([`super::verdict`]).

use std::{sync::Arc, time::Duration};

use app::{api::ExecutionStatus, scenario::plan::Plan};

use super::{resume::ResumePoint, ExecutionId, RunOptions};
use tokio::sync::{mpsc, watch, Semaphore};

use super::{
    cancel::Cancel,
    clock::{deadline_after, millis, Precision, Schedule},
    event::{ControlCommand, EventDraft, EventKind, PhaseOutcome, RollbackReason, Verdict},
    guard::Progress,
    phase::{PhaseEnd, StepEnv},
    recorder::ExecutionRecorder,
    rollback::run_rollback,
    verdict::{verdict, Ending, Tally},
    workload::Workload,
    EngineParts, NewExecution, Signal,
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

/// What a runner runs.
pub(super) struct Run {
    pub(super) id: ExecutionId,
    pub(super) plan: Arc<Plan>,
    pub(super) options: RunOptions,
}

impl From<NewExecution> for Run {
    fn from(execution: NewExecution) -> Self {
        Self {
            id: execution.id,
            plan: execution.plan,
            options: execution.options,
        }
    }
}

/// Waits for a free slot (a stop or shutdown while queued ends the execution
/// there), then runs it.
pub(super) async fn run_when_admitted(mut context: Context, run: Run, slots: Arc<Semaphore>) {
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
                Some(Signal::Command(ControlCommand::Stop, by)) => {
                    stop_unstarted(&context.recorder, by).await;
                    context.progress.finished();
                    return;
                }
                Some(Signal::Command(command, by)) => {
                    context.recorder.emit(queued(EventKind::ControlReceived { command, by }));
                }
                Some(Signal::Shutdown) | None => {
                    finish_unstarted(&context.recorder, ExecutionStatus::Interrupted, "the coordinator shut down while it was queued").await;
                    context.progress.finished();
                    return;
                }
            },
        }
    };
    Runner::new(context, run, None).run().await;
    drop(permit);
}

/// Runs `run` in the slot `permit` holds: one this engine claimed from the
/// shared queue of replicas with a slot already taken, or one whose lost
/// owner's run goes on here (`None` when no slot was free: it was admitted
/// once and does not queue again).
pub(super) async fn run_in_slot(
    context: Context,
    run: Run,
    permit: Option<tokio::sync::OwnedSemaphorePermit>,
    resume: Option<ResumePoint>,
) {
    Runner::new(context, run, resume).run().await;
    drop(permit);
}

/// Records a stop (sent `by` someone) of an execution that never started,
/// and ends it `stopped`: in this engine's queue, or the replicas' shared one.
pub(super) async fn stop_unstarted(recorder: &ExecutionRecorder, by: Option<String>) {
    recorder.emit(EventDraft {
        offset_ms: None,
        planned_ms: None,
        phase: None,
        kind: EventKind::ControlReceived {
            command: ControlCommand::Stop,
            by,
        },
    });
    finish_unstarted(recorder, ExecutionStatus::Stopped, "stopped while queued").await;
}

/// Ends an execution that never started (stopped or shut down while queued).
pub(super) async fn finish_unstarted(
    recorder: &ExecutionRecorder,
    status: ExecutionStatus,
    why: &str,
) {
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

pub(super) struct Runner {
    pub(super) plan: Arc<Plan>,
    /// `spec.timeout`, or the configured default.
    pub(super) timeout: Duration,
    /// When the timeout fires: wall-clock (scaled) from the iteration's start,
    /// pauses included — a hard stop is a hard stop.
    pub(super) deadline: tokio::time::Instant,
    pub(super) options: super::RunOptions,
    pub(super) control: mpsc::UnboundedReceiver<Signal>,
    pub(super) schedule: watch::Sender<Schedule>,
    pub(super) env: StepEnv,
    pub(super) tally: Tally,
    /// How far the execution got, for its guard.
    pub(super) progress: Arc<Progress>,
    /// A run's workload that stopped sending but still has requests in flight:
    /// it is summed up after the rollback, which must not wait for them.
    pub(super) stopped_workload: Option<Workload>,
    /// Where a run whose owner was lost goes on (`on_owner_loss: resume`).
    resume: Option<ResumePoint>,
}

impl Runner {
    fn new(context: Context, run: Run, resume: Option<ResumePoint>) -> Self {
        let (schedule, schedule_rx) = watch::channel(Schedule::starting_now(run.options.speed));
        let speed = schedule_rx.borrow().speed();
        let precision = if context.parts.settings.precise_timing {
            Precision::Precise
        } else {
            Precision::Timer
        };
        let env = StepEnv {
            id: run.id,
            precision,
            speed,
            dry_run: run.options.dry_run,
            parts: context.parts,
            recorder: context.recorder,
            schedule: schedule_rx,
            workload: None,
            cancel: Cancel::default(),
        };
        let timeout = run
            .plan
            .timeout_ms
            .unwrap_or(env.parts.settings.default_timeout);
        Self {
            timeout,
            deadline: deadline_after(timeout, speed),
            plan: run.plan,
            options: run.options,
            control: context.control,
            schedule,
            env,
            tally: Tally::default(),
            stopped_workload: None,
            progress: context.progress,
            resume,
        }
    }

    /// Starts the timeline afresh at `offset` (the plan's start, or the phase
    /// a resumed run goes on from), its timeout counted from the plan's start.
    fn restart_timeline(&mut self, offset: Duration) {
        self.schedule
            .send_replace(Schedule::starting_at(self.options.speed, offset));
        self.deadline = deadline_after(self.timeout.saturating_sub(offset), self.env.speed);
    }

    #[tracing::instrument(skip_all, fields(execution_id = %self.env.id, scenario = %self.plan.metadata.name))]
    async fn run(mut self) {
        // A run lost while queued has not started: it starts as a new one.
        let resumed = self.resume.take().filter(|point| point.started);
        if resumed.is_none() {
            self.restart_timeline(Duration::ZERO);
            self.env.emit(
                None,
                None,
                EventKind::ExecutionStarted {
                    speed: self.env.speed,
                    dry_run: self.env.dry_run,
                },
            );
            // Stored before anything is sent: a coordinator killed from here on
            // leaves the execution `running`, so the next one rolls its chaos
            // back (a `queued` one is taken to have sent nothing). The timeline
            // starts once it is stored.
            self.env.recorder.flush().await;
        }
        let (first_iteration, first_phase, announce_first) = match &resumed {
            Some(point) => (point.iteration, point.phase, point.new_iteration),
            None => (1, 0, true),
        };
        let offset = self
            .plan
            .phases
            .get(first_phase)
            .map_or(Duration::ZERO, |phase| phase.start_ms);
        self.restart_timeline(offset);
        if let Some(point) = resumed {
            self.tally = point.tally;
            if point.paused {
                self.schedule.send_modify(Schedule::pause);
            }
        }
        self.progress.started();
        let iterations = self.options.repeat.max(1);
        let mut ending = Ending::Completed;
        for iteration in first_iteration..=iterations {
            let first = if iteration == first_iteration {
                first_phase
            } else {
                // Each loop runs the plan's timeline afresh, with its own timeout.
                self.restart_timeline(Duration::ZERO);
                0
            };
            if iterations > 1 && (iteration != first_iteration || announce_first) {
                self.env.emit(
                    None,
                    Some(Duration::ZERO),
                    EventKind::IterationStarted { iteration },
                );
            }
            ending = if self.env.dry_run {
                self.simulate_phases(first)
            } else {
                self.run_with_workload(first).await
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
        if !self.env.dry_run {
            // Its proxied faults cleared and their last effects recorded,
            // before its end.
            self.env.parts.services.settle(self.env.id).await;
        }
        self.env
            .emit(None, None, EventKind::ExecutionFinished { status, verdict });
        self.progress.finished();
        self.env.recorder.flush().await;
    }

    /// Runs the phases with the plan's workload (if any) driving traffic
    /// throughout, then records the workload's summary.
    async fn run_with_workload(&mut self, first: usize) -> Ending {
        if self.plan.workload.is_none() {
            return self.run_phases(first).await;
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
        let ending = self.run_phases(first).await;
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

    /// Runs the phases from the one at `first` (0 but for a resumed run).
    async fn run_phases(&mut self, first: usize) -> Ending {
        let plan = self.plan.clone();
        for (index, phase) in plan.phases.iter().enumerate().skip(first) {
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
}
