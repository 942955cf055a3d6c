//! Owners: which process may write an execution's events (docs/engine.md,
//! "Owners"). Each engine is one owner with a lease in the journal. The
//! steward task renews it every third of the lease, stops runners whose
//! execution another process took over, and — when the engine watches for
//! orphans — recovers unfinished executions whose owner's lease ran out.
//!
//! It sees the store only through [`Journal`](super::Journal); the journal keeps the time of
//! leases, so engine tests run it on virtual time with a fake.

use std::{
    fmt,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Weak,
    },
    time::Duration,
};

use app::api::ExecutionStatus;
use serde::{Deserialize, Serialize};
use tokio::{
    sync::{mpsc, oneshot, watch},
    task::JoinSet,
};

use super::{recovery, ExecutionId, Inner};

/// One process that runs executions (a `serve`, a local `execute`, a `recover`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OwnerId(pub uuid::Uuid);

impl OwnerId {
    /// A fresh random id.
    pub fn new() -> Self {
        Self(uuid::Uuid::new_v4())
    }
}

impl Default for OwnerId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for OwnerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Who this engine is, as stored with its lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    /// Its id, fresh for every engine.
    pub id: OwnerId,
    /// The command that runs it (`serve`, `execute`, …), for people.
    pub command: String,
    /// The host it runs on, for people.
    pub host: String,
    /// Its process id, for people.
    pub pid: u32,
    /// How long its claim lasts without a renewal.
    pub lease: Duration,
}

/// How an engine identifies itself and how long its lease lasts.
#[derive(Debug, Clone)]
pub struct OwnerSettings {
    /// The command that runs the engine (`serve`, `execute`, …).
    pub command: String,
    /// The host name.
    pub host: String,
    /// The lease.
    pub lease: Duration,
    /// How often it is renewed: at most a third of the lease.
    pub heartbeat: Duration,
}

impl Default for OwnerSettings {
    fn default() -> Self {
        Self {
            command: "engine".into(),
            host: "localhost".into(),
            lease: DEFAULT_LEASE,
            heartbeat: DEFAULT_HEARTBEAT,
        }
    }
}

/// The default lease: long enough that a busy database or a paused VM does not
/// lose it, short enough that a crashed run's chaos is cleared within seconds.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(10);

/// The default renewal period: five renewals per lease.
pub const DEFAULT_HEARTBEAT: Duration = Duration::from_secs(2);

/// An unfinished execution whose owner is gone (its lease ran out, or it has
/// none), as the journal reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct Orphan {
    /// Its id.
    pub id: ExecutionId,
    /// Its scenario's name.
    pub scenario: String,
    /// Its state when its owner stopped.
    pub status: ExecutionStatus,
    /// The owner that is gone (`None` for executions stored before owners existed).
    pub owner: Option<OwnerId>,
    /// That owner for people: `execute (pid 4242 on build-1)`.
    pub owner_label: Option<String>,
}

/// Renews the lease, stops runners whose execution was taken over, and
/// recovers orphans while the engine watches for them.
pub(super) struct Steward {
    /// Where the engine says what the steward should do.
    pub(super) mode: watch::Sender<Mode>,
    /// The steward task, awaited at shutdown.
    pub(super) task: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// Lets the task begin once the engine is built ([`Steward::begin`]).
    ready: std::sync::Mutex<Option<oneshot::Sender<()>>>,
    /// Whether runs it takes over that asked for `on_owner_loss: resume` go
    /// on here (`serve`), rather than end once rolled back.
    pub(super) resumes: AtomicBool,
}

/// What the steward does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// Renew the lease only.
    Renew,
    /// Renew, and recover orphans now and at every renewal.
    Watch,
    /// Renew, but recover nothing more (recoveries under way are cancelled):
    /// the engine is shutting down and its runners are rolling back.
    Drain,
    /// Stop: the engine has finished.
    Stop,
}

impl Steward {
    /// Spawns the steward of `inner`'s engine; `lost` carries executions whose
    /// events the journal refused (another owner took them over).
    pub(super) fn start(inner: Weak<Inner>, lost: mpsc::UnboundedReceiver<ExecutionId>) -> Self {
        let (mode, mode_rx) = watch::channel(Mode::Renew);
        let (ready, begin) = oneshot::channel();
        let task = tokio::spawn(run(inner, lost, mode_rx, begin));
        Self {
            mode,
            task: std::sync::Mutex::new(Some(task)),
            ready: std::sync::Mutex::new(Some(ready)),
            resumes: AtomicBool::new(false),
        }
    }

    /// The engine is built: the task may begin. It is spawned while the
    /// engine is being built (inside `Arc::new_cyclic`), when its `Weak`
    /// does not upgrade yet; on a multi-threaded runtime it used to run at
    /// once on another thread, find no engine and end, so that nothing
    /// renewed the lease or recovered orphans.
    pub(super) fn begin(&self) {
        if let Some(ready) = self.ready.lock().ok().and_then(|mut r| r.take()) {
            let _ = ready.send(());
        }
    }
}

async fn run(
    inner: Weak<Inner>,
    mut lost: mpsc::UnboundedReceiver<ExecutionId>,
    mut mode: watch::Receiver<Mode>,
    begin: oneshot::Receiver<()>,
) {
    if begin.await.is_err() {
        return;
    }
    let Some((lease, heartbeat)) = inner.upgrade().map(|i| {
        (
            i.owner.lease,
            i.parts.settings.owner.heartbeat.min(i.owner.lease / 3),
        )
    }) else {
        return;
    };
    let mut fence = Fence::new(lease, heartbeat);
    let mut tick = tokio::time::interval(heartbeat.max(Duration::from_millis(10)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Orphans are looked for twice per heartbeat: a dead owner's runs are
    // taken within its lease's end plus half a heartbeat.
    let mut scan = tokio::time::interval((heartbeat / 2).max(Duration::from_millis(10)));
    scan.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut recoveries: JoinSet<()> = JoinSet::new();
    loop {
        let current = *mode.borrow_and_update();
        match current {
            Mode::Stop => break,
            Mode::Drain => recoveries.abort_all(),
            Mode::Renew | Mode::Watch => {}
        }
        tokio::select! {
            _ = tick.tick() => {
                let Some(inner) = inner.upgrade() else { break };
                renew(&inner, &mut fence).await;
            }
            _ = scan.tick(), if current == Mode::Watch => {
                let Some(inner) = inner.upgrade() else { break };
                adopt_orphans(&inner, &mut recoveries).await;
            }
            Some(id) = lost.recv() => {
                if let Some(inner) = inner.upgrade() {
                    inner.abandon(id);
                }
            }
            Some(_) = recoveries.join_next(), if !recoveries.is_empty() => {}
            changed = mode.changed() => {
                if changed.is_err() {
                    break;
                }
                if *mode.borrow() == Mode::Watch {
                    scan.reset_immediately();
                }
            }
        }
    }
    recoveries.abort_all();
    while recoveries.join_next().await.is_some() {}
}

/// Self-fencing (docs/scale-out.md, "Partitions"): an owner that cannot
/// renew its lease stops its own runs, rolling their chaos back, before the
/// lease can run out and another owner take them, so that two owners never
/// act on one execution.
struct Fence {
    /// When the lease was last renewed.
    renewed: tokio::time::Instant,
    /// How long renewals may fail before the runs are stopped: the lease less
    /// two heartbeats, so the rollbacks start well before another owner may.
    after: Duration,
    /// Runs stopped that way, handed back once the journal answers again.
    stopped: Vec<ExecutionId>,
}

impl Fence {
    fn new(lease: Duration, heartbeat: Duration) -> Self {
        Self {
            renewed: tokio::time::Instant::now(),
            after: lease.saturating_sub(heartbeat * 2).max(heartbeat),
            stopped: Vec::new(),
        }
    }
}

/// Renews the lease, then stops the runners of executions this engine no
/// longer owns (its lease ran out and another process took them over). When
/// renewals have failed for too long, stops every run itself ([`Fence`]).
async fn renew(inner: &Arc<Inner>, fence: &mut Fence) {
    let journal = &inner.parts.journal;
    match journal.renew_lease(&inner.owner).await {
        Ok(()) => {
            fence.renewed = tokio::time::Instant::now();
            if !fence.stopped.is_empty() {
                // Their end could not be stored: whoever recovers them
                // (this engine too) rolls back again and ends them.
                match journal.give_up(inner.owner.id, &fence.stopped).await {
                    Ok(()) => fence.stopped.clear(),
                    Err(error) => {
                        tracing::warn!(%error, "cannot hand back the runs stopped while the database was away")
                    }
                }
            }
        }
        Err(error) => {
            // Checked below all the same: a lease that ran out may have been taken.
            tracing::warn!(%error, owner = %inner.owner.id, "cannot renew the lease");
            if fence.renewed.elapsed() >= fence.after {
                let mine = inner.owned_ids();
                if !mine.is_empty() {
                    tracing::error!(
                        executions = mine.len(),
                        "the lease could not be renewed for {:?}: stopping every run here and rolling its chaos back before another replica may take it",
                        fence.renewed.elapsed()
                    );
                }
                for id in mine {
                    if inner.stop_fenced(id) && !fence.stopped.contains(&id) {
                        fence.stopped.push(id);
                    }
                }
            }
            return;
        }
    }
    let mine = inner.owned_ids();
    if mine.is_empty() {
        return;
    }
    match journal.disowned(inner.owner.id, &mine).await {
        Ok(lost) => {
            for id in lost {
                inner.abandon(id);
            }
        }
        Err(error) => tracing::warn!(%error, "cannot check which executions are still ours"),
    }
}

/// Claims every orphan it can and recovers each in its own task.
async fn adopt_orphans(inner: &Arc<Inner>, recoveries: &mut JoinSet<()>) {
    let orphans = match inner.parts.journal.orphaned().await {
        Ok(orphans) => orphans,
        Err(error) => {
            tracing::warn!(%error, "cannot look for executions whose owner is gone");
            return;
        }
    };
    for orphan in orphans {
        if let Some(claimed) = claim(inner, &orphan).await {
            let (task_inner, id) = (inner.clone(), claimed.id);
            inner.spawn_tracked(recoveries, id, async move {
                let handle = task_inner
                    .recorder
                    .handle(id, Some(claimed.status), claimed.next_seq);
                let resumes = task_inner.steward.resumes.load(Ordering::Relaxed);
                let resume = recovery::recover(&handle, &task_inner.parts, &claimed, resumes).await;
                task_inner.forget(id);
                if let Some(point) = resume {
                    let engine = super::Engine { inner: task_inner };
                    engine.resume_run(claimed, handle, point).await;
                }
            });
        }
    }
}

/// Takes `orphan` over, or `None` when another process was first (or it ended).
pub(super) async fn claim(inner: &Inner, orphan: &Orphan) -> Option<super::Unfinished> {
    match inner
        .parts
        .journal
        .claim(orphan.id, orphan.owner, &inner.owner)
        .await
    {
        Ok(Some(mut claimed)) => {
            claimed.previous_owner = orphan.owner_label.clone();
            Some(claimed)
        }
        Ok(None) => None,
        Err(error) => {
            tracing::warn!(execution_id = %orphan.id, %error, "cannot take over the execution");
            None
        }
    }
}
