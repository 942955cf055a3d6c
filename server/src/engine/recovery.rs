//! After a crash: an execution the store still shows `running` or `paused` had
//! its chaos injected and never rolled back. At start-up its rollback runs and it
//! is marked `interrupted`, so chaos is never left behind.

use app::api::ExecutionStatus;

use super::{
    event::{EventDraft, EventKind, RollbackReason, Verdict},
    recorder::Recorder,
    runner, EngineParts, Unfinished,
};

pub(super) async fn recover(recorder: &Recorder, parts: &EngineParts, execution: &Unfinished) {
    let handle = recorder.handle(execution.id, Some(execution.status), execution.next_seq);
    let summary = if execution.status == ExecutionStatus::Queued {
        "the coordinator stopped while it was queued; it never started".to_owned()
    } else {
        let actions =
            runner::rollback_actions(&execution.plan, &parts.settings.default_rollback_services);
        let ok = runner::run_rollback_with(
            &handle,
            parts,
            execution.id,
            execution.speed,
            RollbackReason::Recovery,
            &actions,
        )
        .await;
        format!(
            "the coordinator stopped while it ran; at restart its rollback {}",
            if ok { "succeeded" } else { "failed" }
        )
    };
    tracing::warn!(execution_id = %execution.id, %summary, "recovered an interrupted execution");
    handle.emit(EventDraft {
        offset_ms: None,
        planned_ms: None,
        phase: None,
        kind: EventKind::ExecutionFinished {
            status: ExecutionStatus::Interrupted,
            verdict: Verdict {
                passed: false,
                criteria: Vec::new(),
                summary,
            },
        },
    });
    handle.flush().await;
}
