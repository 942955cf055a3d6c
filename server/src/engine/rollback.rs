//! Rollback: the actions that undo an execution's chaos, run on every abnormal
//! exit (failure, stop, timeout, shutdown) and at start-up for executions a
//! crash left running. Each action is recorded like any other.
//!
//! Actions run in their order within a service and services side by side, each
//! service within `rollback.timeout`: one hanging service never delays clearing
//! the others.

use std::time::Duration;

use app::scenario::plan::{Plan, PlannedAction};
use tokio::sync::watch;

use super::{
    cancel::Cancel,
    clock::{Precision, Schedule},
    event::{EventKind, RollbackReason},
    phase::StepEnv,
    recorder::ExecutionRecorder,
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

/// Runs rollback actions (see the module's docs); every one runs even if an
/// earlier one failed. Whether all of them succeeded.
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
        cancel: Cancel::default(),
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
    let timeout = env.parts.settings.rollback_timeout;
    let services = by_service(actions).into_iter().map(|group| async move {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut ok = true;
        for action in group {
            let give_up = async {
                tokio::time::sleep_until(deadline).await;
                format!(
                    "rollback.timeout ({}) ran out",
                    app::scenario::duration::format_duration(timeout)
                )
            };
            ok &= env.act_until(None, action, false, give_up).await.ok;
        }
        ok
    });
    let ok = futures::future::join_all(services)
        .await
        .into_iter()
        .all(|ok| ok);
    env.emit(None, None, EventKind::RollbackFinished { ok });
    ok
}

/// `actions` grouped by service, in the order each service first appears,
/// each group in its actions' order.
fn by_service(actions: &[PlannedAction]) -> Vec<Vec<&PlannedAction>> {
    let mut groups: Vec<Vec<&PlannedAction>> = Vec::new();
    for action in actions {
        match groups.iter_mut().find(|g| g[0].service == action.service) {
            Some(group) => group.push(action),
            None => groups.push(vec![action]),
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action(service: &str, name: &str) -> PlannedAction {
        PlannedAction {
            path: String::new(),
            at_ms: Duration::ZERO,
            delay_ms: None,
            service: service.to_owned(),
            action: name.to_owned(),
            parameters: Default::default(),
        }
    }

    #[test]
    fn actions_are_grouped_by_service_keeping_their_order() {
        let actions = [action("a", "one"), action("b", "two"), action("a", "three")];
        let names: Vec<Vec<&str>> = by_service(&actions)
            .iter()
            .map(|g| g.iter().map(|a| a.action.as_str()).collect())
            .collect();
        assert_eq!(names, [vec!["one", "three"], vec!["two"]]);
    }
}
