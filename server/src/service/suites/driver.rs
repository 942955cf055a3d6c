//! The task that runs one suite: it submits the members in their groups,
//! waits each member's delay on the run's own timeline, stops a member whose
//! time box has run out, stops the run at a failure that may not be carried
//! over, and obeys pause, resume, skip and stop sent through its [`Handle`].
//!
//! A plain suite is the simple case: no delays, no time boxes, every member
//! may fail, and its groups are one member each (in order) or all of them
//! (parallel). An orchestration's steps set the rest (seed 001): a group per
//! step in order, or per iteration when `parallel`.
//!
//! Delays and time boxes are scenario seconds on a [`Schedule`] at the run's
//! speed, frozen while the run is paused, so a paused orchestration keeps its
//! remaining waits. Whether a member passed is decided from its report
//! ([`member_passed`]), the same rule the summary uses.

use std::{sync::Arc, time::Duration};

use app::api::{
    event::ControlCommand,
    suite::{MemberOutcome, SuiteStatus},
    ApiError, ErrorKind, ExecuteOptions, ExecutionStatus,
};
use app::scenario::plan::Plan;
use tokio::sync::{broadcast::error::RecvError, mpsc, oneshot, watch};

use crate::{
    engine::{clock::Schedule, event::EventKind, ExecutionId, StartedBy},
    prepare::Prepared,
    report::suite::member_passed,
    service::Coordinator,
};

/// One member ready to run.
pub(crate) struct Member {
    /// Its place in the suite.
    pub position: usize,
    /// Its reserved execution id.
    pub id: ExecutionId,
    /// Its scenario, shared by the iterations of a step.
    pub prepared: Arc<Prepared>,
    /// Its plan, likewise.
    pub plan: Arc<Plan>,
    /// Scenario time to wait, from its group's start, before submitting it.
    pub delay: Duration,
    /// Scenario time it may run before it is stopped (time-boxed).
    pub limit: Option<Duration>,
    /// Whether the run goes on when it fails.
    pub continue_on_failure: bool,
    /// Members of one group run side by side; groups run in order.
    pub group: usize,
    /// Its step's name, by which `skip` finds it.
    pub step: Option<String>,
}

/// What a driver needs besides the coordinator.
pub(crate) struct Run {
    pub suite_id: String,
    pub members: Vec<Member>,
    pub options: ExecuteOptions,
    pub started_by: StartedBy,
}

/// A command to a running suite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SuiteControl {
    /// Pause the running members and hold every wait.
    Pause,
    /// Continue where it was paused.
    Resume,
    /// Skip the named step (or, unnamed, the first of the current group
    /// that has not ended): stop it with rollback, or never start it.
    Skip(Option<String>),
    /// Stop the running members with rollback and start nothing more.
    Stop,
}

impl SuiteControl {
    fn word(&self) -> &'static str {
        match self {
            Self::Pause => "pause",
            Self::Resume => "resume",
            Self::Skip(_) => "skip",
            Self::Stop => "stop",
        }
    }
}

pub(crate) struct Command {
    pub control: SuiteControl,
    pub by: String,
    pub reply: oneshot::Sender<Result<(), ApiError>>,
}

/// The sending half that reaches a running suite's driver.
pub(crate) type Handle = mpsc::Sender<Command>;

#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    /// Not yet its group's turn.
    Later,
    /// Its group started; it is submitted when the run's timeline reaches `at`.
    Waiting { at: Duration },
    /// Submitted; stopped when the timeline reaches `limit_at`, which is set
    /// when it starts (a wait in the engine's queue does not count).
    Running { limit_at: Option<Duration> },
    /// The driver stopped it; `outcome` says why (none: the run is stopping).
    Stopping { outcome: Option<MemberOutcome> },
    /// It ended, or will never run.
    Done,
}

/// How the run as a whole is ending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    Running,
    /// A member failed that may not: nothing more starts.
    Failed,
    /// Stopped by hand.
    Stopped,
    /// The coordinator is stopping.
    Interrupted,
}

fn conflict(message: String) -> ApiError {
    ApiError::new(ErrorKind::Conflict, message)
}

struct Driver {
    coordinator: Coordinator,
    suite_id: String,
    members: Vec<Member>,
    states: Vec<State>,
    options: ExecuteOptions,
    started_by: StartedBy,
    clock: Schedule,
    ending: Ending,
}

impl Coordinator {
    /// Runs a suite to its end and records how it ended.
    #[tracing::instrument(skip_all, fields(suite_id = %run.suite_id))]
    pub(crate) async fn drive(
        self,
        run: Run,
        mut commands: mpsc::Receiver<Command>,
        mut stop: watch::Receiver<bool>,
    ) {
        // Subscribed before the first submission: no member's end is missed.
        let mut events = self.subscribe();
        let groups = run
            .members
            .iter()
            .map(|m| m.group)
            .max()
            .map_or(0, |g| g + 1);
        let mut driver = Driver {
            coordinator: self.clone(),
            suite_id: run.suite_id.clone(),
            states: vec![State::Later; run.members.len()],
            clock: Schedule::starting_now(run.options.speed),
            members: run.members,
            options: run.options,
            started_by: run.started_by,
            ending: Ending::Running,
        };
        'groups: for group in 0..groups {
            if driver.ending != Ending::Running {
                break;
            }
            let start = driver.clock.offset();
            for (member, state) in driver.members.iter().zip(driver.states.iter_mut()) {
                if member.group == group && *state == State::Later {
                    *state = State::Waiting {
                        at: start.saturating_add(member.delay),
                    };
                }
            }
            loop {
                driver.submit_due().await;
                if driver.group_done(group) {
                    break;
                }
                let wake = driver.next_deadline().map(|at| driver.clock.instant_of(at));
                let sleep = async move {
                    match wake {
                        Some(instant) => tokio::time::sleep_until(instant).await,
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    () = sleep => driver.time_box().await,
                    Some(command) = commands.recv() => {
                        let result = driver.obey(&command.control, &command.by).await;
                        let _ = command.reply.send(result);
                    }
                    received = events.recv() => match received {
                        Ok(event) => driver.observe(event.execution_id, &event.kind).await,
                        Err(RecvError::Lagged(_)) => driver.reconcile().await,
                        Err(RecvError::Closed) => {
                            driver.ending = Ending::Interrupted;
                            break 'groups;
                        }
                    },
                    // Only `shutdown` sends, and only `true`.
                    _ = stop.changed() => {
                        driver.ending = Ending::Interrupted;
                        break 'groups;
                    }
                }
            }
        }
        // Commands that arrive from now on find the handle gone.
        commands.close();
        driver.finish().await;
    }
}

impl Driver {
    fn paused(&self) -> bool {
        self.clock.is_paused()
    }

    fn group_done(&self, group: usize) -> bool {
        self.members
            .iter()
            .zip(&self.states)
            .all(|(m, s)| m.group != group || *s == State::Done)
    }

    /// The earliest offset at which something is due: a start or a time box.
    fn next_deadline(&self) -> Option<Duration> {
        if self.paused() {
            return None;
        }
        self.states
            .iter()
            .filter_map(|state| match *state {
                State::Waiting { at } => Some(at),
                State::Running { limit_at } => limit_at,
                _ => None,
            })
            .min()
    }

    /// Submits the waiting members whose time has come.
    async fn submit_due(&mut self) {
        if self.paused() {
            return;
        }
        let now = self.clock.offset();
        for index in 0..self.members.len() {
            let State::Waiting { at } = self.states[index] else {
                continue;
            };
            if at > now {
                continue;
            }
            if self.ending != Ending::Running {
                self.states[index] = State::Done;
                continue;
            }
            let member = &self.members[index];
            let submitted = self
                .coordinator
                .submit_prepared(
                    member.id,
                    &member.prepared,
                    Plan::clone(&member.plan),
                    &self.options,
                    self.started_by.clone(),
                )
                .await;
            match submitted {
                Ok(()) => self.states[index] = State::Running { limit_at: None },
                Err(error) => {
                    tracing::error!(execution_id = %member.id, %error, "cannot submit a suite member");
                    self.states[index] = State::Done;
                    self.ending = Ending::Interrupted;
                }
            }
        }
    }

    /// Stops the running members whose time box has run out.
    async fn time_box(&mut self) {
        let now = self.clock.offset();
        for index in 0..self.members.len() {
            if let State::Running {
                limit_at: Some(limit),
            } = self.states[index]
            {
                if limit <= now {
                    self.stop_member(
                        index,
                        Some(MemberOutcome::TimeBoxed),
                        "its step's duration_seconds ran out",
                    )
                    .await;
                }
            }
        }
        self.submit_due().await;
    }

    /// Sends `stop` to a running member and notes why; the outcome is
    /// recorded when it has ended stopped (it may end by itself first).
    async fn stop_member(&mut self, index: usize, outcome: Option<MemberOutcome>, by: &str) {
        let member = &self.members[index];
        self.states[index] = State::Stopping { outcome };
        // An execution that has just ended is not an error: its event follows.
        if let Err(error) = self.coordinator.engine.control_by(
            member.id,
            ControlCommand::Stop,
            Some(format!("suite {}: {by}", self.suite_id)),
        ) {
            tracing::debug!(execution_id = %member.id, %error, "a stop found the member ended");
        }
    }

    /// A member's event: its end decides what comes next.
    async fn observe(&mut self, execution_id: ExecutionId, kind: &EventKind) {
        let Some(index) = self.members.iter().position(|m| m.id == execution_id) else {
            return;
        };
        match kind {
            EventKind::ExecutionStarted { .. } => {
                // Its time box runs from now.
                if let (State::Running { limit_at }, Some(limit)) =
                    (&mut self.states[index], self.members[index].limit)
                {
                    *limit_at = Some(self.clock.offset().saturating_add(limit));
                }
                // A member that got its slot while the run is paused is paused too.
                if self.paused() {
                    let _ = self.coordinator.engine.control_by(
                        execution_id,
                        ControlCommand::Pause,
                        Some(format!("suite {}", self.suite_id)),
                    );
                }
            }
            EventKind::ExecutionFinished { status, .. } => self.ended(index, *status).await,
            _ => {}
        }
    }

    async fn ended(&mut self, index: usize, status: ExecutionStatus) {
        let outcome = match self.states[index] {
            State::Running { .. } => None,
            State::Stopping { outcome } => outcome,
            _ => return,
        };
        self.states[index] = State::Done;
        // Stopped by the driver: say why. Ended by itself first: it did.
        let outcome = outcome.filter(|_| status == ExecutionStatus::Stopped);
        if let Some(outcome) = outcome {
            let position = self.members[index].position;
            if let Err(error) = self
                .coordinator
                .store
                .set_member_outcome(&self.suite_id, position, outcome)
                .await
            {
                tracing::error!(error.cause_chain = ?error, "cannot record a member's outcome");
            }
        }
        if status == ExecutionStatus::Interrupted {
            // Only a stopping coordinator interrupts its own executions.
            self.ending = Ending::Interrupted;
            return;
        }
        if self.ending != Ending::Running || outcome == Some(MemberOutcome::Skipped) {
            return;
        }
        let member = &self.members[index];
        if member.continue_on_failure {
            return;
        }
        let passed = match self.coordinator.member_report(member.id).await {
            Ok(report) => report.and_then(|r| member_passed(&r, outcome)),
            Err(error) => {
                tracing::error!(%error, "cannot read a member's report");
                None
            }
        };
        if passed == Some(false) {
            tracing::info!(execution_id = %member.id, step = ?member.step, "a member failed without continue_on_failure; the run stops");
            self.ending = Ending::Failed;
            self.stop_all("a member failed").await;
        }
    }

    /// Stops every running member and drops every waiting one.
    async fn stop_all(&mut self, why: &str) {
        for index in 0..self.members.len() {
            match self.states[index] {
                State::Waiting { .. } | State::Later => self.states[index] = State::Done,
                State::Running { .. } => self.stop_member(index, None, why).await,
                _ => {}
            }
        }
    }

    /// After missed events: the store says which members ended.
    async fn reconcile(&mut self) {
        for index in 0..self.members.len() {
            if !matches!(
                self.states[index],
                State::Running { .. } | State::Stopping { .. }
            ) {
                continue;
            }
            let id = self.members[index].id.to_string();
            match self.coordinator.execution_status(&id).await {
                Ok(status) if status.is_finished() => self.ended(index, status).await,
                Ok(ExecutionStatus::Queued) => {}
                // Started, and its start event was among those missed.
                Ok(_) => {
                    let now = self.clock.offset();
                    if let (
                        State::Running {
                            limit_at: limit_at @ None,
                        },
                        Some(limit),
                    ) = (&mut self.states[index], self.members[index].limit)
                    {
                        *limit_at = Some(now.saturating_add(limit));
                    }
                }
                Err(error) => {
                    tracing::warn!(execution_id = %id, %error, "cannot read a member's state")
                }
            }
        }
    }

    /// Carries out a command; an error is the caller's (409, 422).
    async fn obey(&mut self, control: &SuiteControl, by: &str) -> Result<(), ApiError> {
        if self.ending != Ending::Running {
            return Err(conflict(format!(
                "cannot {} suite {}: it is ending",
                control.word(),
                self.suite_id
            )));
        }
        let running: Vec<usize> = (0..self.members.len())
            .filter(|&i| matches!(self.states[i], State::Running { .. }))
            .collect();
        let by = Some(format!("{by} (suite {})", self.suite_id));
        match control {
            SuiteControl::Pause | SuiteControl::Resume => {
                let pause = *control == SuiteControl::Pause;
                if pause == self.paused() {
                    return Err(conflict(format!(
                        "cannot {} suite {}: it is {}",
                        control.word(),
                        self.suite_id,
                        if pause { "paused" } else { "running" }
                    )));
                }
                if pause {
                    self.clock.pause();
                } else {
                    self.clock.resume();
                }
                let command = if pause {
                    ControlCommand::Pause
                } else {
                    ControlCommand::Resume
                };
                for index in running {
                    // A member still queued has nothing to pause yet; its
                    // start is caught in `observe`.
                    let _ = self.coordinator.engine.control_by(
                        self.members[index].id,
                        command,
                        by.clone(),
                    );
                }
                self.coordinator
                    .store
                    .set_suite_paused(&self.suite_id, pause)
                    .await?;
            }
            SuiteControl::Skip(step) => {
                let index = self.skip_target(step.as_deref())?;
                match self.states[index] {
                    State::Running { .. } => {
                        self.stop_member(index, Some(MemberOutcome::Skipped), "skipped by hand")
                            .await;
                    }
                    _ => {
                        self.coordinator
                            .store
                            .set_member_outcome(
                                &self.suite_id,
                                self.members[index].position,
                                MemberOutcome::Skipped,
                            )
                            .await?;
                        self.states[index] = State::Done;
                    }
                }
            }
            SuiteControl::Stop => {
                self.ending = Ending::Stopped;
                self.clock.resume();
                self.stop_all("stopped by hand").await;
            }
        }
        Ok(())
    }

    /// The member `skip` acts on: the named step's first member not yet
    /// ended (current group first), or the current group's first.
    fn skip_target(&self, step: Option<&str>) -> Result<usize, ApiError> {
        let open = |i: &usize| {
            matches!(
                self.states[*i],
                State::Waiting { .. } | State::Running { .. } | State::Later
            )
        };
        let mut candidates: Vec<usize> = (0..self.members.len()).filter(open).collect();
        // The current group (those already waiting or running) comes first.
        candidates.sort_by_key(|&i| (self.states[i] == State::Later, i));
        match step {
            None => candidates.first().copied().ok_or_else(|| {
                conflict(format!("suite {} has nothing left to skip", self.suite_id))
            }),
            Some(name) => {
                if !self.members.iter().any(|m| m.step.as_deref() == Some(name)) {
                    let mut steps: Vec<&str> = self
                        .members
                        .iter()
                        .filter_map(|m| m.step.as_deref())
                        .collect();
                    steps.dedup();
                    let mut error = ApiError::new(
                        ErrorKind::InvalidRequest,
                        format!("step: suite {} has no step {name:?}", self.suite_id),
                    );
                    error.details = serde_json::json!({ "field": "step", "steps": steps });
                    return Err(error);
                }
                candidates
                    .into_iter()
                    .find(|&i| self.members[i].step.as_deref() == Some(name))
                    .ok_or_else(|| conflict(format!("step {name:?} has already ended")))
            }
        }
    }

    /// Records how the run ended.
    async fn finish(self) {
        let status = match self.ending {
            Ending::Interrupted => SuiteStatus::Interrupted,
            Ending::Stopped => SuiteStatus::Stopped,
            Ending::Failed => SuiteStatus::Failed,
            Ending::Running => match self.coordinator.suite_detail(&self.suite_id).await {
                Ok(detail) if detail.summary.results.failed_scenarios == 0 => {
                    SuiteStatus::Completed
                }
                Ok(_) => SuiteStatus::Failed,
                Err(error) => {
                    tracing::error!(%error, "cannot summarise a finished suite");
                    SuiteStatus::Failed
                }
            },
        };
        if let Err(error) = self
            .coordinator
            .store
            .mark_suite_finished(&self.suite_id, status)
            .await
        {
            tracing::error!(error.cause_chain = ?error, "cannot record a suite's end");
        }
        tracing::info!(status = status.as_str(), "suite finished");
    }
}
