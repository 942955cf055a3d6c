//! The verdict of an execution: how its phases ended and what they tallied,
//! judged against the scenario's success criteria (docs/engine.md).

use std::time::Duration;

use app::scenario::plan::{Plan, SuccessCriterion};

use super::event::{CriterionResult, Verdict};

/// How the phases ended.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Ending {
    Completed,
    Failed(String),
    Stopped,
    TimedOut,
    Shutdown,
}

/// What the verdict is computed from.
#[derive(Default)]
pub(super) struct Tally {
    pub(super) phases_passed: usize,
    pub(super) phases_not_passed: Vec<String>,
    pub(super) phases_skipped: Vec<String>,
    pub(super) failed_actions: Vec<String>,
    pub(super) assertions: Vec<(String, bool)>,
    pub(super) rollback_ok: Option<bool>,
}

/// Assertion types whose success shows that risk controls noticed the chaos.
const DETECTION_TYPES: [&str; 3] = ["risk_alert", "emergency_procedures", "position_limits"];
/// How a `metric` assertion on `recovery_time` is tallied.
pub(super) const RECOVERY_METRIC: &str = "metric.recovery_time";
/// Assertion types whose success shows recovery.
const RECOVERY_TYPES: [&str; 7] = [
    RECOVERY_METRIC,
    "system_recovery",
    "performance_recovery",
    "price_recovery",
    "alert_resolution",
    "system_stabilization",
    "service_health",
];

/// Evaluates [`Plan::criteria`], each criterion by its enum variant.
pub(super) fn verdict(
    plan: &Plan,
    timeout: Duration,
    tally: &Tally,
    ending: &Ending,
    dry_run: bool,
) -> Verdict {
    let of_types = |types: &[&str]| -> (usize, usize) {
        let relevant: Vec<bool> = tally
            .assertions
            .iter()
            .filter(|(k, _)| types.contains(&k.as_str()))
            .map(|(_, p)| *p)
            .collect();
        (relevant.iter().filter(|p| **p).count(), relevant.len())
    };
    let results: Vec<CriterionResult> = plan
        .criteria()
        .into_iter()
        .map(|criterion| {
            let (passed, detail) = match criterion {
                SuccessCriterion::AllPhasesCompleted => {
                    let total = plan.phases.len();
                    let ok = *ending == Ending::Completed && tally.phases_not_passed.is_empty();
                    let skipped = if tally.phases_skipped.is_empty() {
                        String::new()
                    } else {
                        format!(", skipped by a user: {}", tally.phases_skipped.join(", "))
                    };
                    (
                        ok,
                        format!(
                            "{} of {total} phases completed{skipped}",
                            tally.phases_passed.min(total)
                        ),
                    )
                }
                SuccessCriterion::NoCriticalSystemFailures => (
                    tally.failed_actions.is_empty(),
                    if tally.failed_actions.is_empty() {
                        "every action succeeded".to_owned()
                    } else {
                        format!("failed: {}", tally.failed_actions.join(", "))
                    },
                ),
                SuccessCriterion::RiskSystemCorrectlyIdentifiedAllBreaches => {
                    let (ok, total) = of_types(&DETECTION_TYPES);
                    (
                        ok == total,
                        format!("{ok} of {total} detection assertions held"),
                    )
                }
                SuccessCriterion::SystemRecoveredWithinSla => {
                    let (ok, total) = of_types(&RECOVERY_TYPES);
                    (
                        ok == total && *ending == Ending::Completed,
                        format!("{ok} of {total} recovery assertions held"),
                    )
                }
                SuccessCriterion::AllAssertionsPassed => {
                    let ok = tally.assertions.iter().filter(|(_, p)| *p).count();
                    (
                        ok == tally.assertions.len(),
                        format!("{ok} of {} assertions held", tally.assertions.len()),
                    )
                }
                SuccessCriterion::RollbackSucceeded => match tally.rollback_ok {
                    None => (true, "no rollback was needed".to_owned()),
                    Some(ok) => (
                        ok,
                        if ok {
                            "rollback succeeded"
                        } else {
                            "a rollback action failed"
                        }
                        .to_owned(),
                    ),
                },
            };
            CriterionResult {
                name: criterion.as_str().to_owned(),
                passed,
                detail,
            }
        })
        .collect();
    let passed = results.iter().all(|c| c.passed);
    let summary = if dry_run {
        "dry run: the plan's timeline was recorded; nothing was called or checked".to_owned()
    } else {
        match ending {
            Ending::Completed if passed => {
                "every phase completed and every success criterion held".to_owned()
            }
            Ending::Completed => format!(
                "phases completed but criteria failed: {}",
                results
                    .iter()
                    .filter(|c| !c.passed)
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Ending::Failed(reason) => reason.clone(),
            Ending::Stopped => "stopped by a user".to_owned(),
            Ending::TimedOut => format!(
                "spec.timeout ({}) ran out",
                app::scenario::duration::format_duration(timeout)
            ),
            Ending::Shutdown => "the coordinator shut down while it ran".to_owned(),
        }
    };
    Verdict {
        passed,
        criteria: results,
        summary,
    }
}
