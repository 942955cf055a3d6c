//! An execution whose owner is gone (a crash, a `kill -9`) had its chaos
//! injected and never rolled back. Once this engine has claimed it, its
//! rollback runs and it is marked `interrupted`, so chaos is never left behind
//! — or, when it asked for `on_owner_loss: resume` and its rollback succeeded,
//! it runs on here from the phase it was in ([`resume`]).

use app::api::{ExecutionStatus, OnOwnerLoss};

use super::{
    event::{EventDraft, EventKind, RollbackReason, Verdict},
    recorder::ExecutionRecorder,
    resume::{self, ResumePoint},
    runner, EngineParts, Unfinished,
};

/// Recovers `execution`, claimed by this engine and recorded through
/// `handle`: ends it, or returns where it goes on when it asked to resume and
/// this engine `resumes` others' runs (`serve` does; a local `execute` or
/// `recover` ends them, for it does not stay to run them).
pub(super) async fn recover(
    handle: &ExecutionRecorder,
    parts: &EngineParts,
    execution: &Unfinished,
    resumes: bool,
) -> Option<ResumePoint> {
    let draft = |kind| EventDraft {
        offset_ms: None,
        planned_ms: None,
        phase: None,
        kind,
    };
    handle.emit(draft(EventKind::RecoveryStarted {
        previous_owner: execution.previous_owner.clone(),
    }));
    let resume = match execution.options.on_owner_loss {
        OnOwnerLoss::Rollback => None,
        OnOwnerLoss::Resume if resumes => Some(resume::point(
            &execution.plan,
            &execution.options,
            &execution.history,
        )),
        OnOwnerLoss::Resume => Some(Err(format!(
            "`{}` took it over, and only `serve` runs others' runs",
            parts.settings.owner.command
        ))),
    };
    let not_resumed = |why: &str| format!("; not resumed: {why}");
    let summary = if execution.status == ExecutionStatus::Queued {
        let detail = match resume {
            Some(Ok(point)) => return Some(resumed(handle, execution, point).await),
            Some(Err(why)) => not_resumed(&why),
            None => String::new(),
        };
        format!("owner lost: its coordinator stopped while it was queued; it never started{detail}")
    } else {
        let actions =
            runner::rollback_actions(&execution.plan, &parts.settings.default_rollback_services);
        // A panic (a bug) in the rollback must still end the execution: it is
        // claimed by this live owner, so nobody else would ever recover it.
        let rollback = super::catch_panic(runner::run_rollback_with(
            handle,
            parts,
            execution.id,
            execution.options.speed,
            RollbackReason::Recovery,
            &actions,
        ))
        .await;
        match (rollback, resume) {
            (Ok(true), Some(Ok(point))) => return Some(resumed(handle, execution, point).await),
            (Ok(ok), resume) => format!(
                "owner lost: its coordinator stopped while it ran; the recovery's rollback {}{}",
                if ok { "succeeded" } else { "failed" },
                match resume {
                    Some(Err(why)) => not_resumed(&why),
                    Some(Ok(_)) => not_resumed("its chaos may still be in place"),
                    None => String::new(),
                }
            ),
            (Err(panic), _) => format!(
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
    None
}

/// Records that `execution` goes on here from `point`, and stores it before
/// its runner starts.
async fn resumed(
    handle: &ExecutionRecorder,
    execution: &Unfinished,
    mut point: ResumePoint,
) -> ResumePoint {
    point.paused = execution.status == ExecutionStatus::Paused;
    let phase = execution.plan.phases.get(point.phase);
    tracing::warn!(
        execution_id = %execution.id,
        phase = point.phase,
        resumption = point.resumption,
        "an execution whose owner was lost goes on here (on_owner_loss: resume)"
    );
    handle.emit(EventDraft {
        offset_ms: None,
        planned_ms: phase.map(|p| super::clock::millis(p.start_ms)),
        phase: Some(point.phase),
        kind: EventKind::ResumedOnNewOwner {
            name: phase.map(|p| p.name.clone()).unwrap_or_default(),
            iteration: point.iteration,
            paused: point.paused,
            resumption: point.resumption,
        },
    });
    handle.flush().await;
    point
}
