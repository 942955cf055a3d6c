//! Rollback: the actions that undo an execution's chaos, run on every abnormal
//! exit (failure, stop, timeout, shutdown) and at start-up for executions a
//! crash left running. Each action is recorded like any other.

use std::time::Duration;

use app::scenario::plan::{Plan, PlannedAction};
use tokio::sync::watch;

use super::{
    clock::{Precision, Schedule},
    event::{EventKind, RollbackReason},
    recorder::ExecutionRecorder,
    runner::StepEnv,
    EngineParts, ExecutionId,
};

/// The scenario's rollback actions, or — when it declares none — `clear_chaos`
/// on every chaos-API service it touched, so chaos is never left behind.
pub(super) fn rollback_actions(plan: &Plan, chaos_services: &[String]) -> Vec<PlannedAction> {
    if !plan.rollback.actions.is_empty() {
        return plan
            .rollback
            .actions
            .iter()
            .enumerate()
            .map(|(i, action)| PlannedAction {
                path: format!("rollback.actions[{i}]"),
                at_ms: Duration::ZERO,
                delay_ms: None,
                service: action.service.clone(),
                action: action.action.clone(),
                parameters: action.parameters.clone(),
            })
            .collect();
    }
    let mut touched: Vec<String> = plan
        .phases
        .iter()
        .flat_map(|p| p.actions.iter().chain(&p.parallel_actions))
        .map(|a| a.service.clone())
        .filter(|s| chaos_services.contains(s))
        .collect();
    touched.sort();
    touched.dedup();
    touched
        .into_iter()
        .enumerate()
        .map(|(i, service)| PlannedAction {
            path: format!("rollback.default[{i}]"),
            at_ms: Duration::ZERO,
            delay_ms: None,
            service,
            action: "clear_chaos".to_owned(),
            parameters: Default::default(),
        })
        .collect()
}

/// Runs rollback actions in order; every one runs even if an earlier one failed.
pub(super) async fn run_rollback_with(
    recorder: &ExecutionRecorder,
    parts: &EngineParts,
    id: ExecutionId,
    speed: f64,
    reason: RollbackReason,
    actions: &[PlannedAction],
) -> bool {
    let (_tx, schedule) = watch::channel(Schedule::starting_now(speed));
    let env = StepEnv {
        id,
        precision: Precision::Timer,
        speed,
        dry_run: false,
        parts: parts.clone(),
        recorder: recorder.clone(),
        schedule,
        workload: None,
    };
    run_rollback(&env, reason, actions).await
}

pub(super) async fn run_rollback(
    env: &StepEnv,
    reason: RollbackReason,
    actions: &[PlannedAction],
) -> bool {
    if env.parts.settings.notify_on_rollback {
        tracing::warn!(execution_id = %env.id, ?reason, actions = actions.len(), "rolling back");
    }
    env.emit(
        None,
        None,
        EventKind::RollbackStarted {
            reason,
            actions: actions.len(),
        },
    );
    let mut ok = true;
    for action in actions {
        ok &= env.act(None, action, false).await.ok;
    }
    env.emit(None, None, EventKind::RollbackFinished { ok });
    ok
}
