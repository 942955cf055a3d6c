//! The guard around each execution's task: a panic in it is a bug, but it must
//! never leave the execution `queued` or `running` forever, nor its chaos in
//! place. The guard catches the panic, rolls back if the execution had started,
//! and ends it `failed` with the panic's message in its verdict.

use std::{
    any::Any,
    future::Future,
    panic::AssertUnwindSafe,
    sync::{
        atomic::{AtomicU8, Ordering},
        Arc,
    },
};

use app::{api::ExecutionStatus, scenario::plan::Plan};
use futures::FutureExt;

use super::{
    event::{EventDraft, EventKind, RollbackReason, Verdict},
    recorder::ExecutionRecorder,
    rollback::{rollback_actions, run_rollback_with},
    EngineParts, ExecutionId,
};

// 0 (the default): still queued.
const STARTED: u8 = 1;
const FINISHED: u8 = 2;

/// How far an execution got, as its guard needs to know: whether chaos may be
/// in place, and whether it has already ended.
#[derive(Debug, Default)]
pub(super) struct Progress(AtomicU8);

impl Progress {
    /// `execution_started` was recorded: calls may have been made.
    pub(super) fn started(&self) {
        self.0.store(STARTED, Ordering::SeqCst);
    }

    /// `execution_finished` was recorded: nothing is left to do.
    pub(super) fn finished(&self) {
        self.0.store(FINISHED, Ordering::SeqCst);
    }
}

/// Runs `task`; a panic in it comes back as `Err` with the panic's message.
/// The task's state is not used after a panic (only dropped), which is what
/// makes `AssertUnwindSafe` sound here.
pub async fn catch_panic<T>(task: impl Future<Output = T>) -> Result<T, String> {
    AssertUnwindSafe(task)
        .catch_unwind()
        .await
        .map_err(|payload| panic_message(payload.as_ref()))
}

/// The message of a panic's payload (`panic!` gives a `&str` or a `String`).
fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|message| (*message).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

/// What it takes to end an execution whose task panicked.
pub(super) struct Guard {
    pub(super) id: ExecutionId,
    pub(super) recorder: ExecutionRecorder,
    pub(super) parts: EngineParts,
    pub(super) plan: Arc<Plan>,
    pub(super) speed: f64,
    pub(super) dry_run: bool,
    pub(super) progress: Arc<Progress>,
}

impl Guard {
    /// Rolls back (if the execution had started) and ends it `failed`. The
    /// rollback runs whatever `rollback.on_failure` says: after a bug nobody
    /// knows what chaos is in place, as after a crash.
    pub(super) async fn end_panicked(&self, message: &str) {
        tracing::error!(execution_id = %self.id, panic = %message, "an execution's task panicked (a bug); it ends failed");
        let state = self.progress.0.load(Ordering::SeqCst);
        if state == FINISHED {
            return;
        }
        let mut rollback = String::new();
        if state == STARTED && !self.dry_run {
            let actions =
                rollback_actions(&self.plan, &self.parts.settings.default_rollback_services);
            let ok = catch_panic(run_rollback_with(
                &self.recorder,
                &self.parts,
                self.id,
                self.speed,
                RollbackReason::Failure,
                &actions,
            ))
            .await;
            rollback = match ok {
                Ok(true) => "; its rollback succeeded".to_owned(),
                Ok(false) => "; its rollback failed".to_owned(),
                Err(again) => format!("; its rollback panicked too: {again}"),
            };
        }
        self.recorder.emit(EventDraft {
            offset_ms: None,
            planned_ms: None,
            phase: None,
            kind: EventKind::ExecutionFinished {
                status: ExecutionStatus::Failed,
                verdict: Verdict {
                    passed: false,
                    criteria: Vec::new(),
                    summary: format!(
                        "the coordinator failed while running it (a bug): {message}{rollback}"
                    ),
                },
            },
        });
        self.recorder.flush().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_comes_back_with_its_message() {
        assert_eq!(catch_panic(async { 7 }).await, Ok(7));
        let literal = catch_panic(async { panic!("boom") }).await;
        assert_eq!(literal, Err::<(), _>("boom".to_owned()));
        let formatted = catch_panic(async { panic!("speed {}", 1e-300) }).await;
        assert_eq!(formatted, Err::<(), _>(format!("speed {}", 1e-300)));
    }
}
