//! The single writer of events. Runners hand it drafts through a channel; it
//! numbers them per execution, applies the state machine, writes them to the
//! journal in batches, and only then broadcasts them. So the store never has
//! gaps or reorders, and a live viewer never sees an event the store lacks.
//!
//! It writes only what its engine owns: when the journal refuses an
//! execution's events (another process took it over after this one's lease ran
//! out), it drops them and everything after, and tells the steward, which
//! stops that execution's runner.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use app::api::ExecutionStatus;
use time::OffsetDateTime;
use tokio::sync::{broadcast, mpsc, oneshot};

use super::{
    event::{Event, EventDraft},
    owner::OwnerId,
    state, ExecutionId, Journal,
};

/// Most events written in one transaction.
const BATCH: usize = 256;
/// Events kept for slow live viewers before they must re-read the store.
const BROADCAST_CAPACITY: usize = 4096;

enum Message {
    Register {
        id: ExecutionId,
        status: Option<ExecutionStatus>,
        next_seq: u64,
    },
    Event(ExecutionId, Box<EventDraft>),
    Flush(oneshot::Sender<()>),
    /// This engine writes nothing more for it (it went to the shared queue).
    Release(ExecutionId),
}

/// Handle on the recorder task.
#[derive(Clone)]
pub(super) struct Recorder {
    tx: mpsc::UnboundedSender<Message>,
    events: broadcast::Sender<Event>,
    /// This engine's own events only (no relayed ones): what its metrics count.
    local: broadcast::Sender<Event>,
}

/// A runner's handle: records events of one execution.
#[derive(Clone)]
pub(super) struct ExecutionRecorder {
    id: ExecutionId,
    tx: mpsc::UnboundedSender<Message>,
}

impl ExecutionRecorder {
    /// Records an event; never blocks the runner.
    pub(super) fn emit(&self, draft: EventDraft) {
        if self
            .tx
            .send(Message::Event(self.id, Box::new(draft)))
            .is_err()
        {
            tracing::error!(execution_id = %self.id, "recorder is gone; event lost");
        }
    }

    /// Waits until everything emitted so far is stored.
    pub(super) async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Message::Flush(done)).is_ok() {
            let _ = wait.await;
        }
    }

    /// Forgets the execution: another engine numbers its events from now on.
    pub(super) fn release(self) {
        let _ = self.tx.send(Message::Release(self.id));
    }
}

impl Recorder {
    /// Spawns the recorder task, writing as `owner`; it ends when every
    /// handle is dropped. Executions whose events the journal refuses go to `lost`.
    pub(super) fn start(
        journal: Arc<dyn Journal>,
        owner: OwnerId,
        lost: mpsc::UnboundedSender<ExecutionId>,
    ) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let (events, _) = broadcast::channel(BROADCAST_CAPACITY);
        let (local, _) = broadcast::channel(BROADCAST_CAPACITY);
        tokio::spawn(run(
            Writer {
                journal,
                owner,
                lost,
            },
            rx,
            events.clone(),
            local.clone(),
        ));
        Self { tx, events, local }
    }

    /// A handle for one execution, whose state before its next event is
    /// `status` and whose next sequence number is `next_seq`.
    pub(super) fn handle(
        &self,
        id: ExecutionId,
        status: Option<ExecutionStatus>,
        next_seq: u64,
    ) -> ExecutionRecorder {
        let _ = self.tx.send(Message::Register {
            id,
            status,
            next_seq,
        });
        ExecutionRecorder {
            id,
            tx: self.tx.clone(),
        }
    }

    pub(super) fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    pub(super) fn subscribe_local(&self) -> broadcast::Receiver<Event> {
        self.local.subscribe()
    }

    /// Tells this engine's own subscribers (its metrics) that it runs an
    /// execution: its `execution_queued`, which names the scenario, sent
    /// when its run starts here rather than when it is stored. With the
    /// shared queue the replica that stored it may not be the one that runs
    /// it. Nothing is stored.
    pub(super) fn announce_local(&self, event: Event) {
        let _ = self.local.send(event);
    }

    /// Hands an event another replica stored to this engine's live viewers.
    pub(super) fn relay(&self, event: Event) {
        let _ = self.events.send(event);
    }

    pub(super) fn subscribers(&self) -> usize {
        self.events.receiver_count()
    }

    /// Waits until everything sent so far is stored.
    pub(super) async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Message::Flush(done)).is_ok() {
            let _ = wait.await;
        }
    }
}

#[derive(Default)]
struct Track {
    status: Option<ExecutionStatus>,
    next_seq: u64,
}

/// Where the recorder writes, and as whom.
struct Writer {
    journal: Arc<dyn Journal>,
    owner: OwnerId,
    lost: mpsc::UnboundedSender<ExecutionId>,
}

async fn run(
    writer: Writer,
    mut rx: mpsc::UnboundedReceiver<Message>,
    events: broadcast::Sender<Event>,
    local: broadcast::Sender<Event>,
) {
    let mut tracks: HashMap<ExecutionId, Track> = HashMap::new();
    // Executions another process took over: nothing more is written for them.
    let mut lost: HashSet<ExecutionId> = HashSet::new();
    let mut batch: Vec<(Event, Option<ExecutionStatus>)> = Vec::with_capacity(BATCH);
    let mut flushes = Vec::new();
    while let Some(first) = rx.recv().await {
        let mut next = Some(first);
        while let Some(message) = next.take() {
            match message {
                Message::Register {
                    id,
                    status,
                    next_seq,
                } => {
                    lost.remove(&id);
                    tracks.insert(id, Track { status, next_seq });
                }
                Message::Event(id, _) if lost.contains(&id) => {}
                Message::Event(id, draft) => {
                    let draft = *draft;
                    let track = tracks.entry(id).or_default();
                    let changed = match state::apply(track.status, &draft.kind) {
                        Ok(status) if Some(status) != track.status => {
                            track.status = Some(status);
                            Some(status)
                        }
                        Ok(_) => None,
                        Err(error) => {
                            tracing::error!(execution_id = %id, %error, "engine bug: event recorded without a state change");
                            None
                        }
                    };
                    let event = Event {
                        execution_id: id,
                        seq: track.next_seq,
                        at: OffsetDateTime::now_utc(),
                        offset_ms: draft.offset_ms,
                        planned_ms: draft.planned_ms,
                        phase: draft.phase,
                        kind: draft.kind,
                    };
                    track.next_seq += 1;
                    if track.status.is_some_and(ExecutionStatus::is_finished) {
                        tracks.remove(&id);
                    }
                    batch.push((event, changed));
                }
                Message::Flush(done) => flushes.push(done),
                Message::Release(id) => {
                    tracks.remove(&id);
                }
            }
            if batch.len() < BATCH {
                next = rx.try_recv().ok();
            }
        }
        if !batch.is_empty() {
            let refused = match writer.journal.append(writer.owner, &batch).await {
                Ok(refused) => refused,
                Err(error) => {
                    tracing::error!(%error, events = batch.len(), "cannot store events");
                    Vec::new()
                }
            };
            for id in refused {
                tracing::warn!(execution_id = %id, "another process owns the execution now; its events are no longer written here");
                tracks.remove(&id);
                lost.insert(id);
                let _ = writer.lost.send(id);
            }
            for (event, _) in batch.drain(..) {
                if lost.contains(&event.execution_id) {
                    continue;
                }
                // No receivers is fine: nobody is watching.
                // `execution_queued` reaches them from the run ([`Recorder::announce_local`]).
                if local.receiver_count() > 0
                    && !matches!(
                        event.kind,
                        crate::engine::event::EventKind::ExecutionQueued { .. }
                    )
                {
                    let _ = local.send(event.clone());
                }
                let _ = events.send(event);
            }
        }
        for done in flushes.drain(..) {
            let _ = done.send(());
        }
    }
}
