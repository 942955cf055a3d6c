//! An execution whose owner is gone (a crash, a `kill -9`) had its chaos
//! injected and never rolled back. Once this engine has claimed it, its
//! rollback runs and it is marked `interrupted`, so chaos is never left behind.

use app::api::ExecutionStatus;

use super::{
    event::{EventDraft, EventKind, RollbackReason, Verdict},
    recorder::Recorder,
    runner, EngineParts, Unfinished,
};

pub(super) async fn recover(recorder: &Recorder, parts: &EngineParts, execution: &Unfinished) {
    let handle = recorder.handle(execution.id, Some(execution.status), execution.next_seq);
    let draft = |kind| EventDraft {
        offset_ms: None,
        planned_ms: None,
        phase: None,
        kind,
    };
    handle.emit(draft(EventKind::RecoveryStarted {
        previous_owner: execution.previous_owner.clone(),
    }));
    let summary = if execution.status == ExecutionStatus::Queued {
        "owner lost: its coordinator stopped while it was queued; it never started".to_owned()
    } else {
        let actions =
            runner::rollback_actions(&execution.plan, &parts.settings.default_rollback_services);
        // A panic (a bug) in the rollback must still end the execution: it is
        // claimed by this live owner, so nobody else would ever recover it.
        let rollback = super::catch_panic(runner::run_rollback_with(
            &handle,
            parts,
            execution.id,
            execution.speed,
            RollbackReason::Recovery,
            &actions,
        ))
        .await;
        match rollback {
            Ok(ok) => format!(
                "owner lost: its coordinator stopped while it ran; the recovery's rollback {}",
                if ok { "succeeded" } else { "failed" }
            ),
            Err(panic) => format!(
                "owner lost: its coordinator stopped while it ran; the recovery's rollback panicked ({panic}): check every service's chaos status"
            ),
        }
    };
    tracing::warn!(execution_id = %execution.id, %summary, "recovered an interrupted execution");
    handle.emit(draft(EventKind::ExecutionFinished {
        status: ExecutionStatus::Interrupted,
        verdict: Verdict {
            passed: false,
            criteria: Vec::new(),
            summary,
        },
    }));
    handle.flush().await;
}
