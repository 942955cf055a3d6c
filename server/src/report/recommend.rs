//! Recommendations: rules over a built report. Each rule reads only the report's
//! sections (and the plan, for which phases inject chaos), so it can be tested on
//! a hand-made execution; each produces one line a person can act on.
//!
//! | rule | severity | when |
//! | --- | --- | --- |
//! | `execution_not_completed` | warning | stopped, timed out or interrupted |
//! | `rollback_failed` | critical | a rollback action failed |
//! | `action_failed` | critical | a phase action failed |
//! | `recovery_not_observed` | critical | a recovery-type assertion failed |
//! | `recovery_exceeded_window` | critical | a service took longer to recover than the window of the assertion that saw it |
//! | `assertion_failed` | warning | any other assertion failed |
//! | `near_window_limit` | warning | an assertion held after more than 80 % of its window |
//! | `possibly_preexisting` | info | a detection assertion in a chaos phase held on its first check |
//! | `no_recovery_check` | info | chaos on a service was cleared but no recovery assertion held after |
//! | `alert_unresolved` | warning | an alert raised during the run was still active at its end |
//! | `audit_unconfirmed` | warning | an injection has no audit record |
//! | `audit_unavailable` | info | audit correlation asked for, no audit events given |
//! | `timing_skew` | warning | a scheduled step started later than 1 % of the shortest phase |

use app::scenario::plan::Plan;

use super::{
    describe::human_ms,
    impact::{is_clearing_action, shows_recovery},
    schema::{AssertionOutcome, ExecutionReport, Recommendation, Severity},
};

/// Assertion types that check a steady state rather than a reaction to chaos: one
/// that holds at once is expected.
const STEADY_TYPES: [&str; 7] = [
    "system_health",
    "exchange_health",
    "strategy_active",
    "trading_performance",
    "position_limits",
    "http",
    "audit_correlation",
];

/// Share of the window above which a pass is "close to the limit".
const NEAR_LIMIT_PERCENT: u64 = 80;

/// Applies every rule, most severe first; duplicates are dropped.
pub(crate) fn recommend(report: &ExecutionReport, plan: &Plan) -> Vec<Recommendation> {
    let mut out: Vec<Recommendation> = Vec::new();
    let mut add = |severity: Severity, rule: &str, message: String| {
        if !out.iter().any(|r| r.message == message) {
            out.push(Recommendation {
                severity,
                rule: rule.to_owned(),
                message,
            });
        }
    };
    let execution = &report.execution;
    if matches!(
        execution.status.as_str(),
        "stopped" | "timed_out" | "interrupted"
    ) {
        let why = execution
            .verdict
            .as_ref()
            .map(|v| format!(" ({})", v.summary))
            .unwrap_or_default();
        add(
            Severity::Warning,
            "execution_not_completed",
            format!(
                "the execution ended {}{why}: its results cover only what ran",
                execution.status.replace('_', " ")
            ),
        );
    }
    for action in &report.metrics.actions {
        if action.ok != Some(false) {
            continue;
        }
        if action.rollback {
            add(
                Severity::Critical,
                "rollback_failed",
                format!(
                    "rollback failed on {} ({}: {}) — check its clear endpoint; chaos may still be active",
                    action.service, action.action, action.message
                ),
            );
        } else {
            add(
                Severity::Critical,
                "action_failed",
                format!(
                    "action {}.{} failed in phase {}: {} — check the service's chaos API and the action's parameters",
                    action.service, action.action, action.phase, action.message
                ),
            );
        }
    }
    let rollback_failed = report.timeline.iter().any(|t| {
        t.kind == "rollback_finished" && t.details["ok"] == serde_json::Value::Bool(false)
    });
    if rollback_failed
        && !report
            .metrics
            .actions
            .iter()
            .any(|a| a.rollback && a.ok == Some(false))
    {
        add(
            Severity::Critical,
            "rollback_failed",
            "the rollback did not succeed — check every service's chaos status".to_owned(),
        );
    }
    let assertions = &report.validation_results.assertions;
    for a in assertions
        .iter()
        .filter(|a| a.outcome == AssertionOutcome::Failed)
    {
        if shows_recovery(a) {
            add(
                Severity::Critical,
                "recovery_not_observed",
                format!(
                    "recovery took longer than its window: {}={} ({}) did not hold within {} — {}",
                    a.assertion_type,
                    a.expect,
                    a.phase,
                    human_ms(a.window_ms),
                    a.message
                ),
            );
        } else {
            add(
                Severity::Warning,
                "assertion_failed",
                format!(
                    "{}={} failed in phase {}: {}",
                    a.assertion_type, a.expect, a.phase, a.message
                ),
            );
        }
    }
    for service in &report.system_impact.services_affected {
        if let (Some(recovery), Some(window)) = (service.recovery_ms, service.recovery_window_ms) {
            if recovery > window {
                add(
                    Severity::Critical,
                    "recovery_exceeded_window",
                    format!(
                        "recovery of {} took {}: it exceeded its {} window by {}",
                        service.service,
                        human_ms(recovery),
                        human_ms(window),
                        human_ms(recovery - window)
                    ),
                );
            }
        }
    }
    for a in assertions.iter().filter(|a| a.passed) {
        if let Some(hold) = a.time_to_hold_ms {
            // In u128: stored figures are not trusted to be small (issue 13).
            if a.window_ms > 0
                && u128::from(hold) * 100 > u128::from(a.window_ms) * u128::from(NEAR_LIMIT_PERCENT)
            {
                add(
                    Severity::Warning,
                    "near_window_limit",
                    format!(
                        "{} ({}) took {} of its {} window — close to the limit",
                        a.assertion_type,
                        a.phase,
                        human_ms(hold),
                        human_ms(a.window_ms)
                    ),
                );
            }
        }
    }
    let chaos_phases: Vec<usize> = plan
        .phases
        .iter()
        .filter(|p| {
            p.actions
                .iter()
                .chain(&p.parallel_actions)
                .any(|a| !is_clearing_action(&a.action))
        })
        .map(|p| p.index)
        .collect();
    for a in assertions.iter().filter(|a| {
        a.passed
            && a.attempts == 1
            && chaos_phases.contains(&a.phase_index)
            && !shows_recovery(a)
            && !STEADY_TYPES.contains(&a.assertion_type.as_str())
    }) {
        add(
            Severity::Info,
            "possibly_preexisting",
            format!(
                "{}={} ({}) held on its first check, at the start of its window — the condition may have existed before the chaos; check the baseline",
                a.assertion_type, a.expect, a.phase
            ),
        );
    }
    for service in &report.system_impact.services_affected {
        if service.cleared_ms.is_some() && service.recovered_by.is_none() {
            let failed_recovery = assertions
                .iter()
                .any(|a| a.outcome == AssertionOutcome::Failed && shows_recovery(a));
            if !failed_recovery {
                add(
                    Severity::Info,
                    "no_recovery_check",
                    format!(
                        "no recovery assertion held after chaos on {} was cleared — add one (e.g. system_recovery) to measure its recovery time",
                        service.service
                    ),
                );
            }
        }
    }
    for alert in &report.system_impact.alerts_generated {
        if alert.source == "audit" && alert.resolved_at.is_none() {
            add(
                Severity::Warning,
                "alert_unresolved",
                format!(
                    "alert {} on {} was still active at the end of the execution",
                    alert.alert_type,
                    alert.subject.as_deref().unwrap_or("the system")
                ),
            );
        }
    }
    if let Some(audit) = &report.audit {
        if !audit.available {
            add(
                Severity::Info,
                "audit_unavailable",
                "audit correlation was asked for but no audit events were available".to_owned(),
            );
        } else if audit.chaos_confirmed < audit.chaos_injected {
            add(
                Severity::Warning,
                "audit_unconfirmed",
                format!(
                    "{} of {} chaos injections have no audit record ({}) — check that the services record X-Execution-Id",
                    audit.chaos_injected - audit.chaos_confirmed,
                    audit.chaos_injected,
                    audit.unconfirmed.join(", ")
                ),
            );
        }
    }
    let shortest_phase = plan.phases.iter().map(|p| p.duration_ms.as_millis()).min();
    if let (Some(max), Some(shortest)) = (report.metrics.timing_skew_ms.max, shortest_phase) {
        if shortest > 0 && max > shortest as f64 / 100.0 {
            add(
                Severity::Warning,
                "timing_skew",
                format!(
                    "a scheduled step started {} late (p99 {}) — more than 1 % of the shortest phase; at speed {}× consider a lower speed",
                    human_ms(max as u64),
                    human_ms(report.metrics.timing_skew_ms.p99.unwrap_or(max).max(0.0) as u64),
                    execution.speed
                ),
            );
        }
    }
    out.sort_by_key(|r| std::cmp::Reverse(r.severity));
    out
}

#[cfg(test)]
mod tests {
    use crate::report::{generate, testdata, ExecutionReport};

    fn report() -> ExecutionReport {
        generate(&testdata::input(), testdata::generated_at(), "t")
    }

    fn rules(report: &ExecutionReport) -> Vec<(&str, &str)> {
        report
            .recommendations
            .iter()
            .map(|r| (r.rule.as_str(), r.message.as_str()))
            .collect()
    }

    #[test]
    fn the_hand_made_execution_gets_exactly_these_recommendations() {
        let report = report();
        assert_eq!(
            rules(&report),
            [
                (
                    "action_failed",
                    "action market-data-simulator.volatility_spike failed in phase chaos_injection: market-data-simulator answered 500 — check the service's chaos API and the action's parameters"
                ),
                (
                    "rollback_failed",
                    "rollback failed on market-data-simulator (clear_all_chaos: market-data-simulator did not answer: timeout) — check its clear endpoint; chaos may still be active"
                ),
                (
                    "assertion_failed",
                    "price_divergence=usdt_depegged failed in phase chaos_injection: not met within its window: USDT-USD deviation 0.01% < 20% <script>"
                ),
                (
                    "near_window_limit",
                    "risk_alert (chaos_injection) took 1m50s of its 2m window — close to the limit"
                ),
                (
                    "possibly_preexisting",
                    "trading_adaptation=strategy_adjusts (chaos_injection) held on its first check, at the start of its window — the condition may have existed before the chaos; check the baseline"
                ),
            ]
        );
    }

    #[test]
    fn huge_stored_figures_never_overflow() {
        let input = testdata::input();
        let mut report = generate(&input, testdata::generated_at(), "t");
        for a in &mut report.validation_results.assertions {
            a.passed = true;
            a.time_to_hold_ms = Some(u64::MAX - 1);
            a.window_ms = u64::MAX;
        }
        for service in &mut report.system_impact.services_affected {
            service.recovery_ms = Some(u64::MAX);
            service.recovery_window_ms = Some(u64::MAX / 2);
        }
        let recommendations = super::recommend(&report, &input.record.plan);
        assert!(recommendations
            .iter()
            .any(|r| r.rule == "near_window_limit"));
        assert!(recommendations
            .iter()
            .any(|r| r.rule == "recovery_exceeded_window"));
    }

    #[test]
    fn a_recovery_slower_than_its_window_is_reported_with_the_excess() {
        let mut input = testdata::input();
        // The clear returns before the recovery window opens: recovery is measured
        // from the clear, so it can exceed the assertion's own window.
        let clear = input
            .record
            .events
            .iter_mut()
            .find(|e| e.kind.name() == "action_finished" && e.offset_ms == Some(1_500_050))
            .unwrap();
        clear.offset_ms = Some(1_353_050);
        let report = generate(&input, testdata::generated_at(), "t");
        assert_eq!(
            report.system_impact.services_affected[0].recovery_ms,
            Some(192_000)
        );
        assert!(rules(&report).contains(&(
            "recovery_exceeded_window",
            "recovery of exchange-simulator took 3m12s: it exceeded its 3m window by 12s"
        )));
    }

    #[test]
    fn a_failed_recovery_assertion_says_recovery_took_longer_than_its_window() {
        let mut input = testdata::input();
        for event in &mut input.record.events {
            if let crate::engine::event::EventKind::AssertionFinished { kind, result, .. } =
                &mut event.kind
            {
                if kind == "system_recovery" {
                    result.passed = false;
                    result.time_to_hold_ms = None;
                    result.message =
                        "not met within its window: exchange-simulator unhealthy".into();
                }
                if kind == "alert_resolution" {
                    result.passed = false;
                    result.time_to_hold_ms = None;
                }
            }
        }
        let report = generate(&input, testdata::generated_at(), "t");
        assert_eq!(report.system_impact.services_affected[0].recovery_ms, None);
        let found = rules(&report);
        assert!(found.contains(&(
            "recovery_not_observed",
            "recovery took longer than its window: system_recovery=normal_operations (recovery) did not hold within 3m — not met within its window: exchange-simulator unhealthy"
        )), "{found:#?}");
        assert!(!found.iter().any(|(rule, _)| *rule == "no_recovery_check"));
    }

    #[test]
    fn unconfirmed_injections_and_unresolved_alerts_are_flagged() {
        let mut input = testdata::input();
        let audit = input.audit_events.as_mut().unwrap();
        audit.retain(|e| e["kind"] == "alert_raised");
        let report = generate(&input, testdata::generated_at(), "t");
        let found = rules(&report);
        assert!(found.contains(&(
            "audit_unconfirmed",
            "1 of 1 chaos injections have no audit record (exchange-simulator.inject_latency @ 5m) — check that the services record X-Execution-Id"
        )), "{found:#?}");
        assert!(found.contains(&(
            "alert_unresolved",
            "alert execution_latency on arbitrage was still active at the end of the execution"
        )));
        input.audit_events = None;
        let report = generate(&input, testdata::generated_at(), "t");
        assert!(rules(&report)
            .iter()
            .any(|(rule, _)| *rule == "audit_unavailable"));
    }

    #[test]
    fn a_stopped_execution_and_a_late_schedule_are_flagged() {
        let mut input = testdata::input();
        for event in &mut input.record.events {
            if let crate::engine::event::EventKind::ExecutionFinished { status, .. } =
                &mut event.kind
            {
                *status = app::api::ExecutionStatus::Stopped;
            }
            if event.offset_ms == Some(900_600) {
                event.offset_ms = Some(904_000);
            }
        }
        let report = generate(&input, testdata::generated_at(), "t");
        let found = rules(&report);
        assert!(found.contains(&(
            "execution_not_completed",
            "the execution ended stopped (phases failed: chaos_injection): its results cover only what ran"
        )));
        assert!(found.contains(&(
            "timing_skew",
            "a scheduled step started 4s late (p99 4s) — more than 1 % of the shortest phase; at speed 600× consider a lower speed"
        )), "{found:#?}");
    }
}
