//! A hand-made execution with known events, shared by the report modules' tests.
//!
//! basic-market-disruption at speed 600 with `continue_on_failure`, extended so that
//! every section has something to count:
//! - baseline (0–5m): `system_health` holds on its first check;
//! - chaos_injection (5m–25m): `inject_latency` on the exchange succeeds; a
//!   parallel `volatility_spike` at +10m fails; `risk_alert` holds after 1m50s of
//!   its 2m window; `trading_adaptation` holds on its first check; `price_divergence`
//!   fails with evidence containing `<script>` and `</pre>`;
//! - recovery (25m–30m): `clear_chaos` returns at 25m00.050s; `system_recovery`
//!   holds 45 s later; `alert_resolution` a little after;
//! - rollback on failure: the exchange's clear succeeds, the market data's times out.
//!
//! Wall-clock times are `T0 + offset / 600`, so the audit events can be placed back
//! on the timeline exactly.

use app::{
    api::ExecutionStatus,
    scenario::{
        model::{Action, Metadata, Parameters, Reporting},
        plan::{Plan, PlannedAction, PlannedAssertion, PlannedPhase, PlannedRollback},
    },
};
use serde_json::{json, Value};
use std::time::Duration;
use time::{macros::datetime, OffsetDateTime};

use super::{build::ReportInput, schema::rfc3339};
use crate::engine::{
    event::{
        ActionOutcome, AssertionResult, CriterionResult, Event, EventKind, PhaseOutcome,
        RollbackReason, Verdict,
    },
    RunOptions,
};
use crate::store::{RecordedExecution, StoredExecution};

/// The execution's id.
pub(crate) const EXECUTION_ID: &str = "6f1c2a3b-0000-4000-8000-000000000001";

/// The definition text stored with the execution.
pub(crate) const DEFINITION: &str = "apiVersion: chaos.trading/v1\nkind: Scenario\nmetadata:\n  name: basic-market-disruption\n# <b>not markup</b> & \"quoted\"\n";

const SPEED: u64 = 600;
const T0: OffsetDateTime = datetime!(2026-01-01 10:00:00 UTC);

/// When the report is generated.
pub(crate) fn generated_at() -> OffsetDateTime {
    datetime!(2026-01-02 03:04:05 UTC)
}

/// The wall-clock time of a scenario offset.
pub(crate) fn wall(offset_ms: u64) -> OffsetDateTime {
    let nanos = i64::try_from(offset_ms * 1_000_000 / SPEED).unwrap();
    T0 + time::Duration::nanoseconds(nanos)
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn params(value: Value) -> Parameters {
    match value {
        Value::Object(map) => map,
        _ => Parameters::new(),
    }
}

fn action(
    path: &str,
    at: u64,
    delay: Option<u64>,
    service: &str,
    name: &str,
    p: Value,
) -> PlannedAction {
    PlannedAction {
        path: path.into(),
        at_ms: ms(at),
        delay_ms: delay.map(ms),
        service: service.into(),
        action: name.into(),
        parameters: params(p),
    }
}

fn assertion(
    path: &str,
    kind: &str,
    expect: &str,
    start: u64,
    deadline: u64,
    within: Option<u64>,
) -> PlannedAssertion {
    PlannedAssertion {
        path: path.into(),
        assertion_type: kind.into(),
        expect: expect.into(),
        service: None,
        parameters: Parameters::new(),
        start_ms: ms(start),
        deadline_ms: ms(deadline),
        within_ms: within.map(ms),
        clamped: false,
    }
}

fn phase(index: usize, name: &str, start: u64, end: u64) -> PlannedPhase {
    PlannedPhase {
        index,
        name: name.into(),
        description: None,
        start_ms: ms(start),
        end_ms: ms(end),
        duration_ms: ms(end - start),
        actions: vec![],
        parallel_actions: vec![],
        assertions: vec![],
    }
}

/// The plan that ran.
pub(crate) fn plan() -> Plan {
    let mut baseline = phase(0, "baseline", 0, 300_000);
    baseline.assertions.push(assertion(
        "phases[0].assertions[0]",
        "system_health",
        "all_services_healthy",
        0,
        300_000,
        None,
    ));
    let mut chaos = phase(1, "chaos_injection", 300_000, 1_500_000);
    chaos.actions.push(action(
        "phases[1].actions[0]",
        300_000,
        None,
        "exchange-simulator",
        "inject_latency",
        json!({"delay_ms": 500, "operations": ["place_order", "cancel_order"]}),
    ));
    chaos.parallel_actions.push(action(
        "phases[1].parallel_actions[0]",
        900_000,
        Some(600_000),
        "market-data-simulator",
        "volatility_spike",
        json!({"multiplier": 3}),
    ));
    chaos.assertions.push(assertion(
        "phases[1].assertions[0]",
        "risk_alert",
        "alert_generated",
        300_000,
        420_000,
        Some(120_000),
    ));
    chaos.assertions.push(assertion(
        "phases[1].assertions[1]",
        "trading_adaptation",
        "strategy_adjusts",
        300_000,
        600_000,
        Some(300_000),
    ));
    chaos.assertions.push(assertion(
        "phases[1].assertions[2]",
        "price_divergence",
        "usdt_depegged",
        300_000,
        420_000,
        Some(120_000),
    ));
    let mut recovery = phase(2, "recovery", 1_500_000, 1_800_000);
    recovery.actions.push(action(
        "phases[2].actions[0]",
        1_500_000,
        None,
        "exchange-simulator",
        "clear_chaos",
        json!({}),
    ));
    recovery.assertions.push(assertion(
        "phases[2].assertions[0]",
        "system_recovery",
        "normal_operations",
        1_500_000,
        1_680_000,
        Some(180_000),
    ));
    recovery.assertions.push(assertion(
        "phases[2].assertions[1]",
        "alert_resolution",
        "alerts_cleared",
        1_500_000,
        1_620_000,
        Some(120_000),
    ));
    let clear = |service: &str| Action {
        service: service.into(),
        action: "clear_all_chaos".into(),
        parameters: Parameters::new(),
    };
    Plan {
        metadata: Metadata {
            name: "basic-market-disruption".into(),
            description: Some("Basic market disruption with exchange latency".into()),
            version: Some("1.0".into()),
            author: Some("chaos-engineering-team".into()),
            tags: vec!["market".into(), "latency".into()],
            category: Some("market".into()),
        },
        total_ms: ms(1_800_000),
        timeout_ms: Some(ms(2_100_000)),
        phases: vec![baseline, chaos, recovery],
        rollback: PlannedRollback {
            on_failure: true,
            actions: vec![clear("exchange-simulator"), clear("market-data-simulator")],
        },
        success_criteria: vec![
            app::scenario::plan::SuccessCriterion::AllPhasesCompleted,
            app::scenario::plan::SuccessCriterion::RollbackSucceeded,
        ],
        reporting: Reporting {
            generate_timeline: true,
            include_performance_impact: true,
            correlate_with_audit_logs: true,
        },
        workload: None,
    }
}

fn verdict() -> Verdict {
    Verdict {
        passed: false,
        criteria: vec![
            CriterionResult {
                name: "all_phases_completed".into(),
                passed: false,
                detail: "2 of 3 phases completed".into(),
            },
            CriterionResult {
                name: "rollback_succeeded".into(),
                passed: false,
                detail: "a rollback action failed".into(),
            },
        ],
        summary: "phases failed: chaos_injection".into(),
    }
}

fn outcome(ok: bool, status: Option<u16>, latency_ms: f64, message: &str) -> ActionOutcome {
    ActionOutcome {
        ok,
        status,
        latency_ms,
        message: message.into(),
        response: Value::Null,
    }
}

fn result(
    passed: bool,
    message: &str,
    evidence: Value,
    attempts: u32,
    checks: (u64, u64),
    hold: Option<u64>,
) -> AssertionResult {
    AssertionResult {
        passed,
        message: message.into(),
        evidence,
        attempts,
        first_check_ms: Some(checks.0),
        last_check_ms: Some(checks.1),
        time_to_hold_ms: hold,
    }
}

fn started(service: &str, name: &str, parallel: bool) -> EventKind {
    EventKind::ActionStarted {
        service: service.into(),
        action: name.into(),
        parallel,
        parameters: json!({}),
    }
}

fn finished(service: &str, name: &str, parallel: bool, outcome: ActionOutcome) -> EventKind {
    EventKind::ActionFinished {
        service: service.into(),
        action: name.into(),
        parallel,
        outcome,
    }
}

fn assertion_started(index: usize, kind: &str, expect: &str, deadline_ms: u64) -> EventKind {
    EventKind::AssertionStarted {
        index,
        kind: kind.into(),
        expect: expect.into(),
        deadline_ms,
    }
}

fn assertion_finished(
    index: usize,
    kind: &str,
    expect: &str,
    result: AssertionResult,
) -> EventKind {
    EventKind::AssertionFinished {
        index,
        kind: kind.into(),
        expect: expect.into(),
        result,
    }
}

/// The alert the risk monitor raised, as evidence and audit details show it.
pub(crate) fn alert(resolved: Option<u64>) -> Value {
    json!({
        "id": "alert-000001",
        "type": "execution_latency",
        "subject": "arbitrage",
        "severity": "high",
        "active": resolved.is_none(),
        "raised_at": rfc3339(wall(402_000)),
        "resolved_at": resolved.map(|r| rfc3339(wall(r))),
    })
}

/// The events, in order: (offset, planned, phase, kind).
#[allow(clippy::type_complexity)]
fn steps() -> Vec<(Option<u64>, Option<u64>, Option<usize>, EventKind)> {
    let health = |latency: f64| json!({"services": {"exchange-simulator": {"healthy": true, "latency_ms": latency}}});
    let strategy = json!({
        "name": "arbitrage", "p95_latency_ms": 812.0, "success_rate": 0.97, "adapted": true,
        "baseline": {"p95_latency_ms": 45.0, "success_rate": 0.99}
    });
    let hostile = json!({"symbol": "USDT-USD", "deviation": 0.0001, "note": "<script>alert(1)</script></pre> & \"x\""});
    let p0 = Some(0);
    let p1 = Some(1);
    let p2 = Some(2);
    vec![
        (
            None,
            None,
            None,
            EventKind::ExecutionQueued {
                scenario: "basic-market-disruption".into(),
                category: Some("market".into()),
            },
        ),
        (
            Some(0),
            None,
            None,
            EventKind::ExecutionStarted {
                speed: 600.0,
                dry_run: false,
            },
        ),
        (
            Some(5),
            Some(0),
            p0,
            EventKind::PhaseStarted {
                name: "baseline".into(),
                duration_ms: 300_000,
            },
        ),
        (
            Some(5),
            Some(0),
            p0,
            assertion_started(0, "system_health", "all_services_healthy", 300_000),
        ),
        (
            Some(10),
            Some(300_000),
            p0,
            assertion_finished(
                0,
                "system_health",
                "all_services_healthy",
                result(true, "6 services healthy", health(4.0), 1, (5, 5), Some(5)),
            ),
        ),
        (
            Some(300_005),
            Some(300_000),
            p0,
            EventKind::PhaseFinished {
                name: "baseline".into(),
                outcome: PhaseOutcome::Passed,
                reason: None,
            },
        ),
        (
            Some(300_010),
            Some(300_000),
            p1,
            EventKind::PhaseStarted {
                name: "chaos_injection".into(),
                duration_ms: 1_200_000,
            },
        ),
        (
            Some(300_020),
            Some(300_000),
            p1,
            started("exchange-simulator", "inject_latency", false),
        ),
        (
            Some(300_090),
            Some(300_000),
            p1,
            finished(
                "exchange-simulator",
                "inject_latency",
                false,
                outcome(true, Some(200), 12.5, "active"),
            ),
        ),
        (
            Some(300_100),
            Some(300_000),
            p1,
            assertion_started(0, "risk_alert", "alert_generated", 420_000),
        ),
        (
            Some(300_100),
            Some(300_000),
            p1,
            assertion_started(1, "trading_adaptation", "strategy_adjusts", 600_000),
        ),
        (
            Some(300_100),
            Some(300_000),
            p1,
            assertion_started(2, "price_divergence", "usdt_depegged", 420_000),
        ),
        (
            Some(300_150),
            Some(600_000),
            p1,
            assertion_finished(
                1,
                "trading_adaptation",
                "strategy_adjusts",
                result(
                    true,
                    "arbitrage adapted to the conditions",
                    strategy,
                    1,
                    (300_100, 300_100),
                    Some(100),
                ),
            ),
        ),
        (
            Some(410_050),
            Some(420_000),
            p1,
            assertion_finished(
                0,
                "risk_alert",
                "alert_generated",
                result(
                    true,
                    "execution_latency alert active",
                    alert(None),
                    12,
                    (300_100, 410_000),
                    Some(110_000),
                ),
            ),
        ),
        (
            Some(420_010),
            Some(420_000),
            p1,
            assertion_finished(
                2,
                "price_divergence",
                "usdt_depegged",
                result(
                    false,
                    "not met within its window: USDT-USD deviation 0.01% < 20% <script>",
                    hostile,
                    13,
                    (300_100, 420_000),
                    None,
                ),
            ),
        ),
        (
            Some(900_600),
            Some(900_000),
            p1,
            started("market-data-simulator", "volatility_spike", true),
        ),
        (
            Some(900_700),
            Some(900_000),
            p1,
            finished(
                "market-data-simulator",
                "volatility_spike",
                true,
                outcome(false, Some(500), 3.0, "market-data-simulator answered 500"),
            ),
        ),
        (
            Some(1_500_008),
            Some(1_500_000),
            p1,
            EventKind::PhaseFinished {
                name: "chaos_injection".into(),
                outcome: PhaseOutcome::Failed,
                reason: Some(
                    "assertion price_divergence failed; market-data-simulator answered 500".into(),
                ),
            },
        ),
        (
            Some(1_500_010),
            Some(1_500_000),
            p2,
            EventKind::PhaseStarted {
                name: "recovery".into(),
                duration_ms: 300_000,
            },
        ),
        (
            Some(1_500_020),
            Some(1_500_000),
            p2,
            started("exchange-simulator", "clear_chaos", false),
        ),
        (
            Some(1_500_050),
            Some(1_500_000),
            p2,
            finished(
                "exchange-simulator",
                "clear_chaos",
                false,
                outcome(true, Some(200), 8.0, "cleared 1"),
            ),
        ),
        (
            Some(1_500_060),
            Some(1_500_000),
            p2,
            assertion_started(0, "system_recovery", "normal_operations", 1_680_000),
        ),
        (
            Some(1_500_060),
            Some(1_500_000),
            p2,
            assertion_started(1, "alert_resolution", "alerts_cleared", 1_620_000),
        ),
        (
            Some(1_545_100),
            Some(1_680_000),
            p2,
            assertion_finished(
                0,
                "system_recovery",
                "normal_operations",
                result(
                    true,
                    "3 consecutive healthy checks",
                    health(9.0),
                    4,
                    (1_500_060, 1_545_050),
                    Some(45_050),
                ),
            ),
        ),
        (
            Some(1_560_020),
            Some(1_620_000),
            p2,
            assertion_finished(
                1,
                "alert_resolution",
                "alerts_cleared",
                result(
                    true,
                    "no alerts active",
                    json!({"active_alerts": []}),
                    5,
                    (1_500_060, 1_560_000),
                    Some(60_000),
                ),
            ),
        ),
        (
            Some(1_800_000),
            Some(1_800_000),
            p2,
            EventKind::PhaseFinished {
                name: "recovery".into(),
                outcome: PhaseOutcome::Passed,
                reason: None,
            },
        ),
        (
            Some(1_800_010),
            None,
            None,
            EventKind::RollbackStarted {
                reason: RollbackReason::Failure,
                actions: 2,
            },
        ),
        (
            Some(1_800_020),
            None,
            None,
            started("exchange-simulator", "clear_all_chaos", false),
        ),
        (
            Some(1_800_040),
            None,
            None,
            finished(
                "exchange-simulator",
                "clear_all_chaos",
                false,
                outcome(true, Some(200), 7.0, "cleared 0"),
            ),
        ),
        (
            Some(1_800_050),
            None,
            None,
            started("market-data-simulator", "clear_all_chaos", false),
        ),
        (
            Some(1_800_550),
            None,
            None,
            finished(
                "market-data-simulator",
                "clear_all_chaos",
                false,
                outcome(
                    false,
                    None,
                    1500.0,
                    "market-data-simulator did not answer: timeout",
                ),
            ),
        ),
        (
            Some(1_800_560),
            None,
            None,
            EventKind::RollbackFinished { ok: false },
        ),
        (
            Some(1_800_600),
            None,
            None,
            EventKind::ExecutionFinished {
                status: ExecutionStatus::Failed,
                verdict: verdict(),
            },
        ),
    ]
}

/// The stored events.
pub(crate) fn events() -> Vec<Event> {
    let id = EXECUTION_ID.parse().unwrap();
    steps()
        .into_iter()
        .enumerate()
        .map(|(seq, (offset_ms, planned_ms, phase, kind))| Event {
            execution_id: id,
            seq: seq as u64,
            at: offset_ms.map_or(T0 - time::Duration::milliseconds(5), wall),
            offset_ms,
            planned_ms,
            phase,
            kind,
        })
        .collect()
}

/// The audit correlator's answer for this execution.
pub(crate) fn audit_events() -> Vec<Value> {
    let event = |id: &str, offset: u64, service: &str, kind: &str, details: Value| {
        json!({
            "id": id, "at": rfc3339(wall(offset)), "at_sim_s": offset as f64 / 1000.0,
            "service": service, "kind": kind, "correlation_id": EXECUTION_ID, "details": details,
        })
    };
    vec![
        event(
            "evt-00000001",
            300_050,
            "exchange-simulator",
            "chaos_injected",
            json!({"chaos_id": "chaos-000001", "action": "inject_latency", "parameters": {"delay_ms": 500}}),
        ),
        event(
            "evt-00000002",
            402_000,
            "risk-monitor",
            "alert_raised",
            alert(None),
        ),
        event(
            "evt-00000003",
            1_500_040,
            "exchange-simulator",
            "chaos_cleared",
            json!({"cleared": 1, "chaos_ids": ["chaos-000001"]}),
        ),
        event(
            "evt-00000004",
            1_555_000,
            "risk-monitor",
            "alert_resolved",
            alert(Some(1_555_000)),
        ),
    ]
}

/// The whole input.
pub(crate) fn input() -> ReportInput {
    ReportInput {
        record: RecordedExecution {
            execution: StoredExecution {
                id: EXECUTION_ID.parse().unwrap(),
                scenario_name: "basic-market-disruption".into(),
                definition: DEFINITION.into(),
                parameters: Some(json!({"delay_ms": 500})),
                options: RunOptions {
                    speed: 600.0,
                    dry_run: false,
                    continue_on_failure: true,
                    repeat: 1,
                    ..RunOptions::default()
                },
                status: ExecutionStatus::Failed,
                verdict: Some(verdict()),
                started_by: "local:test".into(),
                channel: "api".into(),
                created_at: T0 - time::Duration::milliseconds(10),
                started_at: Some(T0),
                finished_at: Some(wall(1_800_600)),
            },
            plan: plan(),
            events: events(),
        },
        audit_events: Some(audit_events()),
    }
}
