//! The verdict of an execution: how its phases ended and what they tallied,
//! judged against the scenario's success criteria (docs/engine.md).

use std::time::Duration;

use app::scenario::{
    catalog::{assertion_role, AssertionRole},
    plan::{Plan, SuccessCriterion},
    validate::METRIC,
};

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
#[derive(Debug, Default)]
pub(super) struct Tally {
    pub(super) phases_passed: usize,
    pub(super) phases_not_passed: Vec<String>,
    pub(super) phases_skipped: Vec<String>,
    pub(super) failed_actions: Vec<String>,
    pub(super) assertions: Vec<(String, bool)>,
    pub(super) rollback_ok: Option<bool>,
}

/// How a `metric` assertion on `recovery_time` is tallied.
pub(super) const RECOVERY_METRIC: &str = "metric.recovery_time";

/// How an assertion of `kind` expecting `expect` is tallied: as its kind,
/// except that a `recovery_time` metric counts as a recovery assertion.
pub(super) fn tallied_kind(kind: &str, expect: &str) -> String {
    if kind == METRIC && expect.trim_start().starts_with("recovery_time") {
        RECOVERY_METRIC.to_owned()
    } else {
        kind.to_owned()
    }
}

/// The role of a tallied assertion kind, from the catalog ([`assertion_role`]):
/// the one list the report and `/metrics` read too.
fn role(kind: &str) -> AssertionRole {
    match kind {
        RECOVERY_METRIC => assertion_role("metric", "recovery_time"),
        kind => assertion_role(kind, ""),
    }
}

/// Evaluates [`Plan::criteria`], each criterion by its enum variant.
pub(super) fn verdict(
    plan: &Plan,
    timeout: Duration,
    tally: &Tally,
    ending: &Ending,
    dry_run: bool,
) -> Verdict {
    let of_role = |wanted: AssertionRole| -> (usize, usize) {
        let relevant: Vec<bool> = tally
            .assertions
            .iter()
            .filter(|(k, _)| role(k) == wanted)
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
                    let (ok, total) = of_role(AssertionRole::Detection);
                    (
                        ok == total,
                        format!("{ok} of {total} detection assertions held"),
                    )
                }
                SuccessCriterion::SystemRecoveredWithinSla => {
                    let (ok, total) = of_role(AssertionRole::Recovery);
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The verdict tallies a kind per assertion; each built-in type keeps the
    /// catalog's role, and a `recovery_time` metric counts as recovery — as the
    /// report ([`crate::report::impact::shows_recovery`]) and `/metrics` count it.
    #[test]
    fn tallied_kinds_have_the_catalog_s_roles() {
        for (name, spec) in app::scenario::catalog::Catalog::builtin_assertions() {
            assert_eq!(role(&name), spec.role, "{name}");
        }
        assert_eq!(role(RECOVERY_METRIC), AssertionRole::Recovery);
        let report = crate::report::build(
            &crate::report::testdata::input(),
            crate::report::testdata::generated_at(),
            "t",
        );
        let recovery = |kind: &str, expect: &str| {
            let mut assertion = report.validation_results.assertions[0].clone();
            assertion.assertion_type = kind.to_owned();
            assertion.expect = expect.to_owned();
            crate::report::impact::shows_recovery(&assertion)
        };
        assert!(recovery("metric", "recovery_time <= 30s"));
        assert!(recovery("service_health", "healthy"));
        assert!(!recovery("risk_alert", "alert_generated"));
    }
}
