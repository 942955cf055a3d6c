//! The execution engine (DESIGN.md §5): runs [`Plan`]s against services on an
//! absolute schedule, records every step as an [`event::Event`], and never
//! leaves chaos behind.
//!
//! It sees the world only through four traits — [`ServiceCaller`] (actions),
//! [`AssertionChecker`] (assertions), [`LoadSender`] (workload traffic) and
//! [`Journal`] (the store) — and never imports sqlx, axum or leptos, so its
//! tests run on virtual time with fakes.
//!
//! # Layout
//! - `mod.rs`: the [`Engine`] handle (`submit`, `control`, `subscribe`) and the traits.
//! - [`event`]: `Event` and `EventKind`.
//! - [`state`]: the state machine every transition goes through.
//! - `cancel`: how a phase's steps in flight give up when it ends early.
//! - [`clock`]: scenario time (speed, pause, skip) over `tokio::time`.
//! - `guard`: a panic in an execution's task ends it `failed`, rolled back.
//! - `recorder`: the single writer: numbers events, stores them, then broadcasts.
//! - `runner`: one task per execution: phases, actions, parallel actions,
//!   assertion polling, verdict.
//! - `rollback`: the actions that undo chaos, run on every abnormal exit.
//! - `verdict`: the success criteria judged from how the run went.
//! - [`workload`]: drives a scenario's workload streams (open model) and judges
//!   `metric` assertions; [`figures`]: the figures and the recovery detector.
//! - `recovery`: at start-up, executions a crash left running are rolled back
//!   and marked `interrupted`.

mod cancel;
pub mod clock;
pub mod event;
pub mod figures;
mod guard;
mod recorder;
mod recovery;
mod rollback;
mod runner;
pub mod state;
mod verdict;
pub mod workload;

use std::{
    collections::HashMap,
    fmt,
    sync::{Arc, Mutex},
    time::Duration,
};

use app::{api::ExecutionStatus, scenario::plan::Plan};
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::{
    sync::{broadcast, mpsc, Semaphore},
    task::JoinSet,
};

use event::{ActionOutcome, ControlCommand, Event, EventDraft, EventKind};
pub use guard::catch_panic;

/// An execution's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ExecutionId(pub uuid::Uuid);

impl ExecutionId {
    /// A fresh random id.
    pub fn new() -> Self {
        Self(uuid::Uuid::new_v4())
    }
}

impl Default for ExecutionId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for ExecutionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::str::FromStr for ExecutionId {
    type Err = uuid::Error;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        text.parse().map(Self)
    }
}

/// Why the engine itself could not work (failed chaos is data, not this).
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// A state change the state machine does not allow: a bug.
    #[error("illegal transition: {event} while {from}")]
    IllegalTransition {
        /// State before.
        from: &'static str,
        /// Event name.
        event: &'static str,
    },
    /// No such execution is running or queued.
    #[error("execution {0} is not running")]
    NotRunning(ExecutionId),
    /// The engine is shutting down.
    #[error("the engine is shutting down")]
    ShuttingDown,
    /// The store failed.
    #[error("journal: {0}")]
    Journal(String),
}

/// Who asked for an execution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StartedBy {
    /// The command line.
    Cli,
    /// The web UI.
    Ui,
    /// The REST API.
    Api,
    /// A schedule.
    Schedule,
}

impl StartedBy {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cli => "cli",
            Self::Ui => "ui",
            Self::Api => "api",
            Self::Schedule => "schedule",
        }
    }
}

/// How to run a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunOptions {
    /// Time scale: 3600 runs an hour of scenario in a second.
    pub speed: f64,
    /// Make no calls; record the plan's timeline as it would run.
    pub dry_run: bool,
    /// Keep going after a failed phase.
    pub continue_on_failure: bool,
    /// How many times to run the phases (1 = once).
    pub repeat: u32,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            speed: 1.0,
            dry_run: false,
            continue_on_failure: false,
            repeat: 1,
        }
    }
}

/// What is stored about an execution when it is submitted.
#[derive(Debug, Clone)]
pub struct NewExecution {
    /// Its id.
    pub id: ExecutionId,
    /// The plan it runs.
    pub plan: Arc<Plan>,
    /// The scenario text that was run (after rendering).
    pub definition: String,
    /// Template parameters, if it came from a template.
    pub parameters: Option<Value>,
    /// Library id of the scenario, if any.
    pub scenario_id: Option<String>,
    /// How to run.
    pub options: RunOptions,
    /// Who asked.
    pub started_by: StartedBy,
}

/// An execution a crash left unfinished, as the store has it.
#[derive(Debug, Clone)]
pub struct Unfinished {
    /// Its id.
    pub id: ExecutionId,
    /// Its state when the coordinator died.
    pub status: ExecutionStatus,
    /// Its plan (for the rollback actions).
    pub plan: Plan,
    /// The next sequence number.
    pub next_seq: u64,
    /// Its speed (sent to services during the rollback).
    pub speed: f64,
}

/// The store, as the engine sees it.
pub trait Journal: Send + Sync + 'static {
    /// Stores a new execution (state `queued` comes with its first event).
    fn insert_execution<'a>(
        &'a self,
        execution: &'a NewExecution,
    ) -> BoxFuture<'a, Result<(), String>>;
    /// Appends events (already numbered) and, when it changed, the new state.
    fn append<'a>(
        &'a self,
        events: &'a [(Event, Option<ExecutionStatus>)],
    ) -> BoxFuture<'a, Result<(), String>>;
    /// Executions left `queued`, `running` or `paused`.
    fn unfinished(&self) -> BoxFuture<'_, Result<Vec<Unfinished>, String>>;
}

/// A call of one action on one service.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionCall {
    /// Execution it belongs to (sent as `X-Execution-Id`).
    pub execution_id: ExecutionId,
    /// Time scale (sent as `X-Chaos-Time-Scale`).
    pub speed: f64,
    /// Service name.
    pub service: String,
    /// Action name.
    pub action: String,
    /// Parameters (the JSON body for chaos-API services).
    pub parameters: Value,
}

/// Calls actions on services. Failures come back as an unsuccessful
/// [`ActionOutcome`], never as a panic or an error that skips rollback.
pub trait ServiceCaller: Send + Sync + 'static {
    /// Performs one action.
    fn call<'a>(&'a self, call: &'a ActionCall) -> BoxFuture<'a, ActionOutcome>;
}

/// One check of one assertion.
#[derive(Debug, Clone, PartialEq)]
pub struct AssertionCall {
    /// Execution it belongs to.
    pub execution_id: ExecutionId,
    /// Time scale.
    pub speed: f64,
    /// Assertion type.
    pub kind: String,
    /// Expected outcome word.
    pub expect: String,
    /// Service named by the assertion, if any.
    pub service: Option<String>,
    /// Its parameters.
    pub parameters: Value,
    /// Timeline offset of the assertion window's start (baselines are taken before it).
    pub window_start: Duration,
    /// 1 for the first check.
    pub attempt: u32,
}

/// One check's result.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckOutcome {
    /// Whether the expectation holds now.
    pub passed: bool,
    /// Why, in one line.
    pub message: String,
    /// What was observed.
    pub evidence: Value,
}

/// Checks assertions; the registry of assertion types implements it.
pub trait AssertionChecker: Send + Sync + 'static {
    /// Checks once.
    fn check<'a>(&'a self, call: &'a AssertionCall) -> BoxFuture<'a, CheckOutcome>;
}

/// One stream of workload requests, ready to send (DESIGN.md §7).
pub trait StreamSender: Send + Sync + 'static {
    /// Sends request number `seq` of the stream; how it ended. Never panics:
    /// every failure is an [`figures::Outcome`].
    fn send(&self, seq: u64) -> BoxFuture<'static, figures::Outcome>;
}

/// Prepares workload streams: the HTTP adapter resolves the service's URL once,
/// so each request costs only its own send.
pub trait LoadSender: Send + Sync + 'static {
    /// A sender for `stream` of execution `execution_id` at `speed`; `Err` with a
    /// message when the stream's service is not configured.
    fn prepare(
        &self,
        stream: &app::scenario::workload::Stream,
        execution_id: ExecutionId,
        speed: f64,
    ) -> Result<Arc<dyn StreamSender>, String>;
}

/// Engine settings from the config.
#[derive(Debug, Clone)]
pub struct EngineSettings {
    /// At most this many executions run at once; the rest queue in order.
    pub max_concurrent: usize,
    /// Hard stop of a scenario without `spec.timeout`.
    pub default_timeout: Duration,
    /// Assertion polling interval, in scenario time.
    pub poll_interval: Duration,
    /// Shortest real time between two polls, whatever the speed.
    pub min_real_poll: Duration,
    /// Whether `rollback.on_failure` is honoured.
    pub rollback_on_failure: bool,
    /// Chaos-API services: when a scenario declares no rollback actions, its
    /// rollback clears chaos on each of these it touched.
    pub default_rollback_services: Vec<String>,
    /// Log a warning on each rollback.
    pub notify_on_rollback: bool,
    /// How long the rollback of one service may take (`rollback.timeout`);
    /// services roll back side by side, each within its own.
    pub rollback_timeout: Duration,
    /// Start timed steps to the sub-millisecond (spinning the last millisecond).
    /// Off on a virtual clock (tests), where spinning would measure real time.
    pub precise_timing: bool,
}

impl Default for EngineSettings {
    fn default() -> Self {
        Self {
            max_concurrent: 3,
            default_timeout: Duration::from_secs(2 * 3600),
            poll_interval: Duration::from_secs(1),
            min_real_poll: Duration::from_millis(5),
            rollback_on_failure: true,
            default_rollback_services: Vec::new(),
            notify_on_rollback: true,
            rollback_timeout: Duration::from_secs(600),
            precise_timing: true,
        }
    }
}

/// What the engine needs from the outside world.
#[derive(Clone)]
pub struct EngineParts {
    /// The store.
    pub journal: Arc<dyn Journal>,
    /// Action calls.
    pub services: Arc<dyn ServiceCaller>,
    /// Assertion checks.
    pub assertions: Arc<dyn AssertionChecker>,
    /// Workload traffic.
    pub load: Arc<dyn LoadSender>,
    /// Settings.
    pub settings: EngineSettings,
}

/// What reaches a runner from outside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Signal {
    /// A user's command.
    Command(ControlCommand),
    /// The coordinator is shutting down: roll back and end `interrupted`.
    Shutdown,
}

/// The engine handle: cheap to clone.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    parts: EngineParts,
    recorder: recorder::Recorder,
    slots: Arc<Semaphore>,
    controls: Mutex<HashMap<ExecutionId, mpsc::UnboundedSender<Signal>>>,
    tasks: tokio::sync::Mutex<JoinSet<()>>,
}

impl Engine {
    /// Starts the engine's recorder; executions start with [`Engine::submit`].
    pub fn start(parts: EngineParts) -> Self {
        let recorder = recorder::Recorder::start(parts.journal.clone());
        let slots = Arc::new(Semaphore::new(parts.settings.max_concurrent.max(1)));
        Self {
            inner: Arc::new(Inner {
                parts,
                recorder,
                slots,
                controls: Mutex::new(HashMap::new()),
                tasks: tokio::sync::Mutex::new(JoinSet::new()),
            }),
        }
    }

    /// Stores and queues an execution; it runs as soon as a slot is free.
    pub async fn submit(&self, execution: NewExecution) -> Result<ExecutionId, EngineError> {
        let id = execution.id;
        self.inner
            .parts
            .journal
            .insert_execution(&execution)
            .await
            .map_err(EngineError::Journal)?;
        let (control_tx, control_rx) = mpsc::unbounded_channel();
        self.controls().insert(id, control_tx);
        let recorder = self.inner.recorder.handle(id, None, 0);
        recorder.emit(EventDraft {
            offset_ms: None,
            planned_ms: None,
            phase: None,
            kind: EventKind::ExecutionQueued {
                scenario: execution.plan.metadata.name.clone(),
                category: execution.plan.metadata.category.clone(),
            },
        });
        let progress = Arc::new(guard::Progress::default());
        let guard = guard::Guard {
            id,
            recorder: recorder.clone(),
            parts: self.inner.parts.clone(),
            plan: execution.plan.clone(),
            speed: execution.options.speed,
            dry_run: execution.options.dry_run,
            progress: progress.clone(),
        };
        let context = runner::Context {
            parts: self.inner.parts.clone(),
            recorder,
            control: control_rx,
            progress,
        };
        let slots = self.inner.slots.clone();
        let engine = self.clone();
        self.inner.tasks.lock().await.spawn(async move {
            // A panic (a bug) must not leave the execution unfinished or its chaos in place.
            let run = runner::run_when_admitted(context, execution, slots);
            if let Err(message) = catch_panic(run).await {
                guard.end_panicked(&message).await;
            }
            engine.controls().remove(&id);
        });
        Ok(id)
    }

    /// Sends a control command to a queued or running execution.
    pub fn control(&self, id: ExecutionId, command: ControlCommand) -> Result<(), EngineError> {
        let controls = self.controls();
        let sender = controls.get(&id).ok_or(EngineError::NotRunning(id))?;
        sender
            .send(Signal::Command(command))
            .map_err(|_| EngineError::NotRunning(id))
    }

    /// Ids of executions queued or running in this engine.
    pub fn active(&self) -> Vec<ExecutionId> {
        self.controls().keys().copied().collect()
    }

    /// Every event after it is stored, for live viewers. A slow receiver may
    /// lag: it should then re-read the store from the last `seq` it saw.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.inner.recorder.subscribe()
    }

    /// Stops every execution (each rolls back and ends `interrupted`) and waits
    /// for them and for the recorder to finish writing.
    pub async fn shutdown(&self) {
        for sender in self.controls().values() {
            let _ = sender.send(Signal::Shutdown);
        }
        let mut tasks = self.inner.tasks.lock().await;
        while tasks.join_next().await.is_some() {}
        self.inner.recorder.flush().await;
    }

    /// Finishes what a crash left: executions found `running` or `paused` are
    /// rolled back and marked `interrupted`; `queued` ones are marked
    /// `interrupted` (they never started). Returns how many were found.
    pub async fn recover_interrupted(&self) -> Result<usize, EngineError> {
        let unfinished = self
            .inner
            .parts
            .journal
            .unfinished()
            .await
            .map_err(EngineError::Journal)?;
        for execution in &unfinished {
            recovery::recover(&self.inner.recorder, &self.inner.parts, execution).await;
        }
        Ok(unfinished.len())
    }

    /// Waits until every submitted execution has finished (used by the CLI and tests).
    pub async fn wait_idle(&self) {
        let mut tasks = self.inner.tasks.lock().await;
        while tasks.join_next().await.is_some() {}
        self.inner.recorder.flush().await;
    }

    fn controls(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<ExecutionId, mpsc::UnboundedSender<Signal>>> {
        // A poisoned lock means a panic while inserting or removing a sender;
        // the map is still consistent, so keep using it.
        self.inner
            .controls
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }
}
#[cfg(test)]
mod tests;
