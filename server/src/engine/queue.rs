//! The shared queue of replicas (docs/scale-out.md, "Queue"). On PostgreSQL,
//! `serve` hands each execution it is given to the queue once its
//! `execution_queued` is stored. Every replica's claimer takes the oldest
//! queued execution whenever it has a free slot: woken by a `NOTIFY` from
//! whichever replica queued it, and at least every heartbeat. The claim
//! (`for update skip locked`) makes the claimer its owner, and it runs the
//! execution as if it had been submitted there.

use std::{sync::Weak, time::Duration};

use super::{
    owner::Mode, recorder::ExecutionRecorder, runner, Engine, EngineError, ExecutionId, Inner,
    NewExecution,
};
use crate::engine::event::EventKind;

/// An execution of the shared queue, as the store has it once this engine
/// claimed it: what was submitted, and its next `seq`.
#[derive(Debug, Clone)]
pub struct Queued {
    /// The execution as it was submitted.
    pub execution: NewExecution,
    /// Its next sequence number (after its `execution_queued`).
    pub next_seq: u64,
}

/// The `execution_queued` of `execution`: its scenario's name and category.
pub(super) fn queued(execution: &NewExecution) -> EventKind {
    EventKind::ExecutionQueued {
        scenario: execution.plan.metadata.name.clone(),
        category: execution.plan.metadata.category.clone(),
    }
}

impl Engine {
    /// Hands `execution`, whose `execution_queued` `recorder` holds, to the
    /// shared queue; this engine writes nothing more for it unless it claims
    /// it. When the queue cannot take it, it runs here.
    pub(super) async fn enqueue(&self, execution: NewExecution, recorder: ExecutionRecorder) {
        let id = execution.id;
        // Its first event is stored (and numbered) before anyone may claim
        // it, and this engine's recorder forgets it before: a claim by this
        // very engine registers it afresh, after the release in the same
        // channel (the other way round, the release dropped the claimer's
        // numbering and its events clashed).
        recorder.flush().await;
        recorder.release();
        match self
            .inner
            .parts
            .journal
            .enqueue(id, self.inner.owner.id)
            .await
        {
            Ok(true) => self.inner.queue_wake.notify_one(),
            // No longer this engine's queued execution: nothing to run.
            Ok(false) => {
                tracing::warn!(execution_id = %id, "the execution was not queued here any more when it was to join the shared queue");
            }
            // The transaction failed, so nothing changed: it is still this
            // engine's, queued.
            Err(error) => {
                tracing::warn!(execution_id = %id, %error, "cannot queue the execution for the replicas; it runs here");
                let recorder =
                    self.inner
                        .recorder
                        .handle(id, Some(app::api::ExecutionStatus::Queued), 1);
                self.start_run(execution, recorder, None).await;
            }
        }
    }

    /// Something joined the shared queue: the claimer looks now.
    pub fn wake_queue(&self) {
        self.inner.queue_wake.notify_one();
    }

    /// Starts this engine's claimer of the shared queue (`serve` on
    /// PostgreSQL); it stops when the engine shuts down.
    pub fn serve_shared_queue(&self) {
        let weak = std::sync::Arc::downgrade(&self.inner);
        let heartbeat = self.inner.parts.settings.owner.heartbeat;
        let mode = self.inner.steward.mode.subscribe();
        let wake = self.inner.queue_wake.clone();
        tokio::spawn(async move {
            let mut mode = mode;
            loop {
                tokio::select! {
                    () = wake.notified() => {}
                    () = tokio::time::sleep(heartbeat) => {}
                    changed = mode.changed() => if changed.is_err() { return },
                }
                if matches!(*mode.borrow(), Mode::Drain | Mode::Stop) {
                    return;
                }
                claim_while_free(&weak).await;
            }
        });
    }

    /// Stops `id` while it waits in the shared queue: claims it and ends it
    /// `stopped`. `false` when it is not in the queue (claimed meanwhile).
    pub async fn stop_queued(
        &self,
        id: ExecutionId,
        by: Option<String>,
    ) -> Result<bool, EngineError> {
        let claimed = self
            .inner
            .parts
            .journal
            .claim_queued(&self.inner.owner, Some(id))
            .await
            .map_err(EngineError::Journal)?;
        let Some(Queued { next_seq, .. }) = claimed else {
            return Ok(false);
        };
        let recorder =
            self.inner
                .recorder
                .handle(id, Some(app::api::ExecutionStatus::Queued), next_seq);
        runner::stop_unstarted(&recorder, by).await;
        Ok(true)
    }
}

/// Claims and starts queued executions while this engine has a free slot.
async fn claim_while_free(weak: &Weak<Inner>) {
    let Some(inner) = weak.upgrade() else {
        return;
    };
    let engine = Engine { inner };
    loop {
        let _claiming = engine.inner.claiming.lock().await;
        if matches!(
            *engine.inner.steward.mode.borrow(),
            Mode::Drain | Mode::Stop
        ) {
            return;
        }
        let Ok(slot) = engine.inner.slots.clone().try_acquire_owned() else {
            return;
        };
        match engine
            .inner
            .parts
            .journal
            .claim_queued(&engine.inner.owner, None)
            .await
        {
            Ok(Some(Queued {
                execution,
                next_seq,
            })) => {
                let recorder = engine.inner.recorder.handle(
                    execution.id,
                    Some(app::api::ExecutionStatus::Queued),
                    next_seq,
                );
                engine.start_run(execution, recorder, Some(slot)).await;
            }
            Ok(None) => return,
            Err(error) => {
                tracing::warn!(%error, "cannot claim from the shared queue; retrying");
                tokio::time::sleep(Duration::from_millis(500)).await;
                return;
            }
        }
    }
}
