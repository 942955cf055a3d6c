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
//! - `mod.rs`: the [`Engine`] handle (`submit`, `control`, `subscribe`), its
//!   settings and the [`Journal`] it writes through.
//! - `ports`: the traits to services, assertions and workload traffic.
//! - [`event`]: `EventDraft`, and `Event`, `EventKind` re-exported from `app::api`.
//! - [`state`]: the state machine every transition goes through.
//! - `cancel`: how a phase's steps in flight give up when it ends early.
//! - [`clock`]: scenario time (speed, pause, skip) over `tokio::time`.
//! - `guard`: a panic in an execution's task ends it `failed`, rolled back.
//! - `recorder`: the single writer: numbers events, stores them, then broadcasts.
//! - `runner`: one task per execution, its life cycle: admission, iterations,
//!   rollback on an abnormal exit, verdict.
//! - `scheduler`: when each step is due on the virtual clock; the control
//!   signals that pause, skip or end the timeline; a dry run's timeline.
//! - `phase`: one phase's steps (`StepEnv`): actions, parallel actions,
//!   assertion polling, cancelled together when the phase ends early.
//! - `rollback`: the actions that undo chaos, run on every abnormal exit.
//! - `verdict`: the success criteria judged from how the run went.
//! - [`workload`]: drives a scenario's workload streams (open model) and judges
//!   `metric` assertions; [`figures`]: the figures and the recovery detector.
//! - [`owner`]: this engine's lease on its executions, renewed by the steward
//!   task, which also takes over executions whose owner is gone.
//! - `recovery`: executions whose owner crashed are rolled back and marked
//!   `interrupted`, or, with `on_owner_loss: resume`, run on from the phase
//!   they were in ([`resume`] finds it in their events).

mod cancel;
pub mod clock;
pub mod event;
pub mod figures;
mod guard;
mod journal;
pub mod owner;
#[cfg(test)]
mod owner_tests;
mod phase;
mod ports;
mod queue;
mod recorder;
mod recovery;
pub mod resume;
mod rollback;
mod runner;
mod scheduler;
pub mod state;
mod verdict;
pub mod workload;

pub use journal::Journal;
pub use ports::{
    ActionCall, AssertionCall, AssertionChecker, CheckOutcome, EffectSink, LoadSender,
    ServiceCaller, StreamSender,
};
pub use queue::Queued;

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use app::{
    api::{ExecutionStatus, OnOwnerLoss},
    scenario::plan::Plan,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::{
    sync::{broadcast, mpsc, Semaphore},
    task::{AbortHandle, JoinSet},
};

use event::{ControlCommand, Event, EventDraft};
pub use guard::catch_panic;
use owner::{Orphan, Owner, OwnerId, OwnerSettings};

pub use app::api::event::ExecutionId;

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

/// Who asked for an execution: the person or process (docs/auth.md's actor:
/// `alice`, `alice (token ci)`, `local:ana`) and the way they asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartedBy {
    /// The channel: the CLI, the UI, the API or a schedule.
    pub channel: Channel,
    /// The principal's actor name.
    pub actor: String,
}

impl StartedBy {
    /// `actor` asking through `channel`.
    pub fn new(channel: Channel, actor: impl Into<String>) -> Self {
        Self {
            channel,
            actor: actor.into(),
        }
    }
}

/// The way an execution was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// The command line.
    Cli,
    /// The web UI.
    Ui,
    /// The REST API.
    Api,
    /// A schedule.
    Schedule,
}

impl Channel {
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
    /// Once a lost owner's chaos is rolled back, whether the coordinator that
    /// took it over ends it or runs it on ([`resume`]). Left out of the stored
    /// options when it is the default, so they read as before.
    #[serde(default, skip_serializing_if = "OnOwnerLoss::is_rollback")]
    pub on_owner_loss: OnOwnerLoss,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            speed: 1.0,
            dry_run: false,
            continue_on_failure: false,
            repeat: 1,
            on_owner_loss: OnOwnerLoss::Rollback,
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

/// An execution a crash left unfinished, as the store has it once this engine
/// has claimed it.
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
    /// How it was asked to run: its speed is sent to services during the
    /// rollback; `on_owner_loss` says whether it runs on after.
    pub options: RunOptions,
    /// With `on_owner_loss: resume`, its events that say how far it got
    /// ([`resume::MILESTONES`]); empty otherwise.
    pub history: Vec<Event>,
    /// Who ran it before, for people (`execute (pid 4242 on build-1)`).
    pub previous_owner: Option<String>,
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
    /// Who this engine is and how long its lease lasts.
    pub owner: OwnerSettings,
    /// Start timed steps to the sub-millisecond (spinning the last millisecond).
    /// Off on a virtual clock (tests), where spinning would measure real time.
    pub precise_timing: bool,
    /// Submitted executions go to the shared queue of replicas, and run on
    /// whichever replica claims them (`serve` on PostgreSQL; docs/scale-out.md).
    pub shared_queue: bool,
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
            owner: OwnerSettings::default(),
            precise_timing: true,
            shared_queue: false,
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

/// How a run gets its slot.
enum Admission {
    /// It waits in this engine's queue for one.
    Queue,
    /// It has one (claimed from the shared queue with a slot taken).
    Slot(tokio::sync::OwnedSemaphorePermit),
    /// It goes on from where its lost owner left it: in a slot if one is
    /// free, else beside them, for it was admitted once already.
    Resume(resume::ResumePoint),
}

/// What reaches a runner from outside.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Signal {
    /// A user's command, and who sent it (their actor name) when known.
    Command(ControlCommand, Option<String>),
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
    /// This engine as an owner of executions.
    owner: Owner,
    recorder: recorder::Recorder,
    slots: Arc<Semaphore>,
    /// Wakes the claimer of the shared queue ([`queue`]).
    queue_wake: Arc<tokio::sync::Notify>,
    /// Held by the claimer from a claim until its run is started.
    claiming: tokio::sync::Mutex<()>,
    controls: Mutex<HashMap<ExecutionId, mpsc::UnboundedSender<Signal>>>,
    /// Every execution this engine runs or recovers, to stop it at once when
    /// another process took it over.
    running: Mutex<HashMap<ExecutionId, AbortHandle>>,
    tasks: tokio::sync::Mutex<JoinSet<()>>,
    steward: owner::Steward,
}

impl Inner {
    fn owned_ids(&self) -> Vec<ExecutionId> {
        lock(&self.running).keys().copied().collect()
    }

    /// Spawns `task` for `id` in `set` and tracks it. The map is locked across
    /// the spawn, so a task that ends at once cannot `forget` itself before it
    /// is tracked (which left a ghost entry the steward asked about forever).
    fn spawn_tracked<T: Send + 'static>(
        &self,
        set: &mut JoinSet<T>,
        id: ExecutionId,
        task: impl std::future::Future<Output = T> + Send + 'static,
    ) {
        let mut running = lock(&self.running);
        let handle = set.spawn(task);
        running.insert(id, handle);
    }

    fn forget(&self, id: ExecutionId) {
        lock(&self.running).remove(&id);
        lock(&self.controls).remove(&id);
    }

    /// Stops `id`'s run as a shutdown does (rollback, `interrupted`), for an
    /// engine that lost its journal ([`owner`]'s fence). `false` when it is
    /// not running here.
    fn stop_fenced(&self, id: ExecutionId) -> bool {
        lock(&self.controls)
            .get(&id)
            .is_some_and(|control| control.send(Signal::Shutdown).is_ok())
    }

    /// Another process owns `id` now: its runner stops at once, without a
    /// rollback (the new owner rolls back) and without writing anything more.
    fn abandon(&self, id: ExecutionId) {
        if let Some(handle) = lock(&self.running).remove(&id) {
            tracing::warn!(execution_id = %id, "another process took the execution over; it stops here");
            handle.abort();
        }
        lock(&self.controls).remove(&id);
        self.parts.assertions.execution_ended(id);
        self.parts.services.execution_ended(id);
    }
}

/// A poisoned lock means a panic while inserting or removing an entry; the map
/// is still consistent, so keep using it.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl Engine {
    /// Starts the engine's recorder and the steward that renews its lease;
    /// executions start with [`Engine::submit`].
    pub fn start(parts: EngineParts) -> Self {
        let owner = Owner {
            id: OwnerId::new(),
            command: parts.settings.owner.command.clone(),
            host: parts.settings.owner.host.clone(),
            pid: std::process::id(),
            lease: parts.settings.owner.lease,
        };
        let (lost_tx, lost_rx) = mpsc::unbounded_channel();
        let recorder = recorder::Recorder::start(parts.journal.clone(), owner.id, lost_tx);
        let slots = Arc::new(Semaphore::new(parts.settings.max_concurrent.max(1)));
        let inner = Arc::new_cyclic(|weak| Inner {
            parts,
            owner,
            recorder,
            slots,
            queue_wake: Arc::new(tokio::sync::Notify::new()),
            claiming: tokio::sync::Mutex::new(()),
            controls: Mutex::new(HashMap::new()),
            running: Mutex::new(HashMap::new()),
            tasks: tokio::sync::Mutex::new(JoinSet::new()),
            steward: owner::Steward::start(weak.clone(), lost_rx),
        });
        inner.steward.begin();
        Self { inner }
    }

    /// This engine as an owner of executions.
    pub fn owner(&self) -> &Owner {
        &self.inner.owner
    }

    /// Stores and queues an execution; it runs as soon as a slot is free.
    pub async fn submit(&self, execution: NewExecution) -> Result<ExecutionId, EngineError> {
        let id = execution.id;
        self.inner
            .parts
            .journal
            .insert_execution(&execution, &self.inner.owner)
            .await
            .map_err(EngineError::Journal)?;
        let recorder = self.inner.recorder.handle(id, None, 0);
        recorder.emit(EventDraft {
            offset_ms: None,
            planned_ms: None,
            phase: None,
            kind: queue::queued(&execution),
        });
        if self.inner.parts.settings.shared_queue {
            self.enqueue(execution, recorder).await;
            return Ok(id);
        }
        self.start_run(execution, recorder, None).await;
        Ok(id)
    }

    /// Runs `execution` (its `execution_queued` recorded) in a task of its own:
    /// in `slot` when it has one already, else once one is free.
    async fn start_run(
        &self,
        execution: NewExecution,
        recorder: recorder::ExecutionRecorder,
        slot: Option<tokio::sync::OwnedSemaphorePermit>,
    ) {
        let id = execution.id;
        self.inner.recorder.announce_local(Event {
            execution_id: id,
            seq: 0,
            at: time::OffsetDateTime::now_utc(),
            offset_ms: None,
            planned_ms: None,
            phase: None,
            kind: queue::queued(&execution),
        });
        let admission = match slot {
            Some(permit) => Admission::Slot(permit),
            None => Admission::Queue,
        };
        self.spawn_runner(execution.into(), recorder, admission)
            .await;
    }

    /// Goes on with a run whose lost owner's chaos this engine has rolled
    /// back ([`recovery`]), from `point`, in a slot if one is free. Not while
    /// the engine shuts down: the run stays this engine's, unfinished, and
    /// the next coordinator takes it over once the lease is released.
    async fn resume_run(
        &self,
        execution: Unfinished,
        recorder: recorder::ExecutionRecorder,
        point: resume::ResumePoint,
    ) {
        // Held as a claim from the shared queue holds it: a shutdown waits
        // for the run to start before telling every run to stop.
        let _claiming = self.inner.claiming.lock().await;
        if matches!(
            *self.inner.steward.mode.borrow(),
            owner::Mode::Drain | owner::Mode::Stop
        ) {
            return;
        }
        let run = runner::Run {
            id: execution.id,
            plan: Arc::new(execution.plan),
            options: execution.options,
        };
        self.spawn_runner(run, recorder, Admission::Resume(point))
            .await;
    }

    /// Runs `run` in a task of its own, admitted as `admission` says.
    async fn spawn_runner(
        &self,
        run: runner::Run,
        recorder: recorder::ExecutionRecorder,
        admission: Admission,
    ) {
        let id = run.id;
        let (control_tx, control_rx) = mpsc::unbounded_channel();
        self.controls().insert(id, control_tx);
        let progress = Arc::new(guard::Progress::default());
        let guard = guard::Guard {
            id,
            recorder: recorder.clone(),
            parts: self.inner.parts.clone(),
            plan: run.plan.clone(),
            speed: run.options.speed,
            dry_run: run.options.dry_run,
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
        let mut tasks = self.inner.tasks.lock().await;
        // Reap the runs that have ended, so the set holds only live ones: it
        // used to keep every finished task of the process's life.
        while tasks.try_join_next().is_some() {}
        self.inner.spawn_tracked(&mut tasks, id, async move {
            // A panic (a bug) must not leave the execution unfinished or its chaos in place.
            let task = async move {
                match admission {
                    Admission::Queue => runner::run_when_admitted(context, run, slots).await,
                    Admission::Slot(permit) => {
                        runner::run_in_slot(context, run, Some(permit), None).await;
                    }
                    Admission::Resume(point) => {
                        let permit = slots.try_acquire_owned().ok();
                        runner::run_in_slot(context, run, permit, Some(point)).await;
                    }
                }
            };
            if let Err(message) = catch_panic(task).await {
                guard.end_panicked(&message).await;
            }
            engine.inner.parts.assertions.execution_ended(id);
            engine.inner.parts.services.execution_ended(id);
            engine.inner.forget(id);
            // Its slot is free: the shared queue's next may run here now.
            engine.inner.queue_wake.notify_one();
        });
        drop(tasks);
    }

    /// How many execution tasks the engine holds (live ones, and ended ones not
    /// yet reaped by the next submit).
    #[cfg(test)]
    pub(crate) async fn held_tasks(&self) -> usize {
        self.inner.tasks.lock().await.len()
    }

    /// Sends a control command to a queued or running execution.
    pub fn control(&self, id: ExecutionId, command: ControlCommand) -> Result<(), EngineError> {
        self.control_by(id, command, None)
    }

    /// [`Engine::control`], recording who sent the command (its
    /// `control_received` event carries `by`, so a stop shows who stopped it).
    pub fn control_by(
        &self,
        id: ExecutionId,
        command: ControlCommand,
        by: Option<String>,
    ) -> Result<(), EngineError> {
        let controls = self.controls();
        let sender = controls.get(&id).ok_or(EngineError::NotRunning(id))?;
        sender
            .send(Signal::Command(command, by))
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

    /// This engine's own events only, after they are stored: without those
    /// of other replicas' runs that [`Engine::relay`] adds for viewers.
    /// Metrics count these, so that no replica counts another's runs.
    pub fn subscribe_local(&self) -> broadcast::Receiver<Event> {
        self.inner.recorder.subscribe_local()
    }

    /// Hands an event of an execution another replica runs (read back from
    /// the store) to this engine's live viewers (`crate::cluster`).
    pub fn relay(&self, event: Event) {
        self.inner.recorder.relay(event);
    }

    /// How many live viewers (and feeds) are subscribed now: a viewer that
    /// went away must not stay among them.
    pub fn subscribers(&self) -> usize {
        self.inner.recorder.subscribers()
    }

    /// Stops every execution (each rolls back and ends `interrupted`), cancels
    /// recoveries under way (the next coordinator takes them over), waits for
    /// the executions and for the recorder to finish writing, and ends the lease.
    pub async fn shutdown(&self) {
        let steward = &self.inner.steward;
        let _ = steward.mode.send(owner::Mode::Drain);
        // A claim from the shared queue under way starts its run before the
        // runs are told to stop; none begins after (the claimer sees Drain).
        drop(self.inner.claiming.lock().await);
        for sender in self.controls().values() {
            let _ = sender.send(Signal::Shutdown);
        }
        let mut tasks = self.inner.tasks.lock().await;
        while tasks.join_next().await.is_some() {}
        drop(tasks);
        let _ = steward.mode.send(owner::Mode::Stop);
        let task = lock(&steward.task).take();
        if let Some(task) = task {
            let _ = task.await;
        }
        self.inner.recorder.flush().await;
        if let Err(error) = self.inner.parts.journal.release(self.inner.owner.id).await {
            tracing::warn!(%error, "cannot end the lease; others take over after it runs out");
        }
    }

    /// Executions whose owner is gone (its lease ran out): a crash left them
    /// unfinished, and nobody has recovered them yet.
    pub async fn orphans(&self) -> Result<Vec<Orphan>, EngineError> {
        self.inner
            .parts
            .journal
            .orphaned()
            .await
            .map_err(EngineError::Journal)
    }

    /// Recovers, concurrently, every execution whose owner is gone: those
    /// found `running` or `paused` are rolled back and marked `interrupted`;
    /// `queued` ones are marked `interrupted` (they never started). None
    /// resumes, whatever its `on_owner_loss`: nothing stays to run it. An
    /// execution another process claims first is left to it. Returns the
    /// executions this engine recovered.
    pub async fn recover_orphans(&self) -> Result<Vec<Orphan>, EngineError> {
        let orphans = self.orphans().await?;
        let mut recoveries = JoinSet::new();
        for orphan in orphans {
            let Some(claimed) = owner::claim(&self.inner, &orphan).await else {
                continue;
            };
            let (inner, id) = (self.inner.clone(), claimed.id);
            self.inner.spawn_tracked(&mut recoveries, id, async move {
                let handle = inner
                    .recorder
                    .handle(id, Some(claimed.status), claimed.next_seq);
                recovery::recover(&handle, &inner.parts, &claimed, false).await;
                inner.forget(id);
                orphan
            });
        }
        let mut recovered = Vec::new();
        while let Some(done) = recoveries.join_next().await {
            if let Ok(orphan) = done {
                recovered.push(orphan);
            }
        }
        Ok(recovered)
    }

    /// Recovers executions whose owner is gone in the background: now, and
    /// again at every renewal of the lease, each in its own task, so that a
    /// hanging service delays nothing else. Stops at [`Engine::shutdown`].
    pub fn watch_orphans(&self) {
        let _ = self.inner.steward.mode.send(owner::Mode::Watch);
    }

    /// [`Engine::watch_orphans`], and runs that asked for `on_owner_loss:
    /// resume` go on here once rolled back (`serve`: it stays to run them).
    pub fn watch_and_resume_orphans(&self) {
        self.inner
            .steward
            .resumes
            .store(true, std::sync::atomic::Ordering::Relaxed);
        self.watch_orphans();
    }

    /// Waits until every submitted execution has finished (used by the CLI and tests).
    /// With the shared queue, also until the queue is empty and no claim is
    /// under way.
    pub async fn wait_idle(&self) {
        loop {
            let mut tasks = self.inner.tasks.lock().await;
            while tasks.join_next().await.is_some() {}
            drop(tasks);
            if !self.inner.parts.settings.shared_queue {
                break;
            }
            let claiming = self.inner.claiming.lock().await;
            let queued = self.inner.parts.journal.queue_len().await.unwrap_or(0);
            if queued == 0 && self.inner.tasks.lock().await.is_empty() {
                break;
            }
            drop(claiming);
            self.wake_queue();
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        self.inner.recorder.flush().await;
    }

    fn controls(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<ExecutionId, mpsc::UnboundedSender<Signal>>> {
        lock(&self.inner.controls)
    }

    /// Dies as `kill -9` would: stops renewing the lease and every task at
    /// once, with no rollback and nothing more written.
    #[cfg(test)]
    fn crash(&self) {
        let _ = self.inner.steward.mode.send(owner::Mode::Stop);
        if let Some(task) = lock(&self.inner.steward.task).take() {
            task.abort();
        }
        for (_, handle) in lock(&self.inner.running).drain() {
            handle.abort();
        }
        self.controls().clear();
    }
}
#[cfg(test)]
mod tests;
