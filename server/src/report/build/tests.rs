//! The build's tests over the hand-made execution of [`crate::report::testdata`].

use super::*;
use crate::report::{describe::human_ms, generate, summarize, testdata};

fn report() -> ExecutionReport {
    generate(
        &testdata::input(),
        testdata::generated_at(),
        "coordinator-test",
    )
}

#[test]
fn metadata_names_the_report_the_version_and_the_instance() {
    let r = report();
    assert_eq!(r.metadata.schema_version, "1");
    assert_eq!(
        r.metadata.report_id,
        format!("rpt-{}-20260102T030405000Z", testdata::EXECUTION_ID)
    );
    assert_eq!(r.metadata.generated_at, "2026-01-02T03:04:05Z");
    assert_eq!(r.metadata.coordinator_version, env!("CARGO_PKG_VERSION"));
    assert_eq!(r.metadata.instance, "coordinator-test");
}

#[test]
fn the_scenario_section_keeps_the_exact_definition_and_parameters() {
    let r = report();
    assert_eq!(r.scenario.name, "basic-market-disruption");
    assert_eq!(r.scenario.version.as_deref(), Some("1.0"));
    assert_eq!(r.scenario.category.as_deref(), Some("market"));
    assert_eq!(r.scenario.definition, testdata::DEFINITION);
    assert_eq!(
        r.scenario.parameters,
        Some(serde_json::json!({"delay_ms": 500}))
    );
    assert_eq!(r.scenario.planned_duration_ms, 1_800_000);
    assert_eq!(r.scenario.timeout_ms, Some(2_100_000));
    assert!(r.scenario.reporting.correlate_with_audit_logs);
}

#[test]
fn the_execution_section_has_status_verdict_times_and_options() {
    let e = report().execution;
    assert_eq!(e.id, testdata::EXECUTION_ID);
    assert_eq!(e.status, "failed");
    assert!(!e.passed);
    let verdict = e.verdict.expect("a verdict");
    assert!(!verdict.passed);
    assert_eq!(verdict.criteria.len(), 2);
    assert_eq!(e.started_at.as_deref(), Some("2026-01-01T10:00:00Z"));
    assert_eq!(e.finished_at.as_deref(), Some("2026-01-01T10:00:03.001Z"));
    assert_eq!(e.duration_ms, Some(3_001));
    assert_eq!(e.scenario_elapsed_ms, 1_800_600);
    assert_eq!(e.speed, 600.0);
    assert!(e.continue_on_failure);
    assert_eq!((e.repeat, e.iterations), (1, 1));
    assert_eq!(
        (e.started_by.as_str(), e.channel.as_str()),
        ("local:test", "api")
    );
}

#[test]
fn validation_counts_and_each_assertion_are_exact() {
    let v = report().validation_results;
    assert_eq!((v.total, v.passed, v.failed, v.not_decided), (6, 5, 1, 0));
    assert_eq!(v.pass_rate_percent, Some(83.33));
    let risk = &v.assertions[1];
    assert_eq!(risk.path, "phases[1].assertions[0]");
    assert_eq!(
        (risk.phase.as_str(), risk.assertion_type.as_str()),
        ("chaos_injection", "risk_alert")
    );
    assert_eq!(risk.attempts, 12);
    assert_eq!(risk.time_to_hold_ms, Some(110_000));
    assert_eq!(
        (risk.window_start_ms, risk.deadline_ms, risk.window_ms),
        (300_000, 420_000, 120_000)
    );
    assert_eq!(risk.within_ms, Some(120_000));
    assert_eq!(risk.window_used_percent, Some(91.67));
    let failed = &v.assertions[3];
    assert_eq!(failed.outcome, AssertionOutcome::Failed);
    assert!(failed.evidence.to_string().contains("<script>"));
    let kinds: Vec<&str> = v
        .unexpected_behaviors
        .iter()
        .map(|u| u.kind.as_str())
        .collect();
    assert_eq!(
        kinds,
        [
            "assertion_failed",
            "action_failed",
            "rollback_action_failed"
        ]
    );
    assert_eq!(
        v.unexpected_behaviors[1].subject,
        "market-data-simulator.volatility_spike"
    );
    assert_eq!(v.unexpected_behaviors[1].offset_ms, Some(900_700));
}

#[test]
fn every_event_is_on_the_timeline_with_planned_actual_and_skew() {
    let r = report();
    assert_eq!(r.timeline.len(), testdata::input().record.events.len());
    assert_eq!(r.metrics.event_count, r.timeline.len());
    let parallel = r
        .timeline
        .iter()
        .find(|t| t.kind == "action_started" && t.details["parallel"] == true)
        .expect("the parallel action");
    assert_eq!(
        (parallel.planned_ms, parallel.offset_ms, parallel.skew_ms),
        (Some(900_000), Some(900_600), Some(600))
    );
    assert_eq!(parallel.phase.as_deref(), Some("chaos_injection"));
    assert_eq!(
        parallel.summary,
        "parallel market-data-simulator.volatility_spike sent"
    );
    let finished = r
        .timeline
        .iter()
        .find(|t| t.kind == "assertion_finished")
        .expect("one");
    assert_eq!(finished.skew_ms, None, "finishing is not scheduled");
    assert!(finished.details.get("kind").is_none());
    assert_eq!(finished.details["result"]["attempts"], 1);
}

#[test]
fn an_assertion_payload_is_the_stored_form_without_evidence() {
    for event in testdata::events() {
        if let EventKind::AssertionFinished { .. } = &event.kind {
            let mut stored = serde_json::to_value(&event.kind).unwrap();
            let object = stored.as_object_mut().unwrap();
            object.remove("kind");
            object["result"].as_object_mut().unwrap().remove("evidence");
            assert_eq!(payload(&event.kind), stored);
        }
    }
}

#[test]
fn metrics_have_phase_durations_action_latencies_and_skew_percentiles() {
    let m = report().metrics;
    let durations: Vec<_> = m
        .phases
        .iter()
        .map(|p| (p.name.as_str(), p.duration_ms, p.outcome.as_str()))
        .collect();
    assert_eq!(
        durations,
        [
            ("baseline", Some(300_000), "passed"),
            ("chaos_injection", Some(1_199_998), "failed"),
            ("recovery", Some(299_990), "passed"),
        ]
    );
    assert_eq!(m.actions.len(), 5);
    assert_eq!(m.action_latency_ms.count, 5);
    assert_eq!(m.action_latency_ms.p50, Some(8.0));
    assert_eq!(m.action_latency_ms.p99, Some(1500.0));
    assert_eq!(m.action_latency_ms.max, Some(1500.0));
    assert_eq!(m.action_latency_ms.mean, Some(306.1));
    assert_eq!(m.timing_skew_ms.count, 12);
    assert_eq!(m.timing_skew_ms.min, Some(5.0));
    assert_eq!(m.timing_skew_ms.p50, Some(20.0));
    assert_eq!(m.timing_skew_ms.p99, Some(600.0));
    assert_eq!(m.timing_skew_ms.max, Some(600.0));
    assert_eq!(m.timing_skew_ms.mean, Some(90.83));
    assert_eq!(m.assertion_checks, 1 + 12 + 1 + 13 + 4 + 5);
    assert!(m.actions[3].rollback && m.actions[4].rollback);
    assert_eq!(m.actions[4].ok, Some(false));
}

#[test]
fn recovery_runs_from_the_clear_to_the_first_recovery_assertion_that_held() {
    let impact = report().system_impact;
    assert_eq!(
        impact.services_affected.len(),
        1,
        "the failed injection is not an impact"
    );
    let exchange = &impact.services_affected[0];
    assert_eq!(exchange.service, "exchange-simulator");
    assert_eq!(exchange.chaos_actions, ["inject_latency"]);
    assert_eq!(exchange.injected_ms, 300_090);
    assert_eq!(exchange.cleared_ms, Some(1_500_050));
    assert_eq!(exchange.cleared_by.as_deref(), Some("clear_chaos"));
    assert_eq!(exchange.recovery_ms, Some(45_000));
    assert_eq!(
        exchange.recovered_by.as_deref(),
        Some("system_recovery (recovery)")
    );
    assert_eq!(exchange.recovery_window_ms, Some(180_000));
}

#[test]
fn alerts_come_from_the_audit_trail_with_raise_and_resolve_offsets() {
    let impact = report().system_impact;
    assert!(impact.alerts_observed);
    assert_eq!(impact.alerts_generated.len(), 1);
    let alert = &impact.alerts_generated[0];
    assert_eq!(
        (alert.id.as_str(), alert.alert_type.as_str()),
        ("alert-000001", "execution_latency")
    );
    assert_eq!(alert.subject.as_deref(), Some("arbitrage"));
    assert_eq!(alert.severity.as_deref(), Some("high"));
    assert_eq!(alert.source, "audit");
    assert_eq!(alert.raised_offset_ms, Some(402_000));
    assert_eq!(alert.resolved_offset_ms, Some(1_555_000));
    assert_eq!(alert.active_ms, Some(1_153_000));
}

#[test]
fn without_audit_events_alerts_are_read_from_assertion_evidence() {
    let mut input = testdata::input();
    input.audit_events = None;
    let impact = build(&input, testdata::generated_at(), "x").system_impact;
    assert!(impact.alerts_observed);
    let alert = &impact.alerts_generated[0];
    assert_eq!(alert.source, "assertion_evidence");
    assert_eq!(alert.raised_offset_ms, Some(402_000));
    assert_eq!(alert.resolved_at, None);
}

#[test]
fn performance_impact_compares_the_worst_sample_with_its_baseline() {
    let impact = report().system_impact.performance_impact;
    let p95 = impact
        .iter()
        .find(|p| p.subject == "strategy arbitrage" && p.metric == "p95_latency_ms")
        .expect("p95 measured");
    assert_eq!(p95.baseline, Some(45.0));
    assert_eq!(p95.worst, 812.0);
    assert_eq!(p95.change, Some(767.0));
    assert_eq!(p95.change_percent, Some(1704.44));
    assert_eq!(p95.worst_phase.as_deref(), Some("chaos_injection"));
    assert_eq!(p95.last, 812.0);
    assert_eq!(p95.samples, 1);
    let health = impact
        .iter()
        .find(|p| p.subject == "service exchange-simulator")
        .expect("health latency measured");
    assert_eq!(
        (health.baseline, health.worst, health.samples),
        (Some(4.0), 9.0, 2)
    );
}

#[test]
fn the_worst_value_is_taken_under_chaos_not_from_the_baseline() {
    let mut input = testdata::input();
    for event in &mut input.record.events {
        if let EventKind::AssertionFinished { kind, result, .. } = &mut event.kind {
            if kind == "system_health" {
                result.evidence["services"]["exchange-simulator"]["latency_ms"] = 12.0.into();
            }
        }
    }
    let impact = build(&input, testdata::generated_at(), "x").system_impact;
    let health = impact
        .performance_impact
        .iter()
        .find(|p| p.subject == "service exchange-simulator")
        .expect("measured");
    assert_eq!(
        (health.baseline, health.worst, health.change),
        (Some(12.0), 9.0, Some(-3.0))
    );
    assert_eq!(health.worst_phase.as_deref(), Some("recovery"));
}

#[test]
fn the_audit_section_aligns_events_and_counts_confirmed_injections() {
    let audit = report().audit.expect("correlate_with_audit_logs is set");
    assert!(audit.available);
    assert_eq!(audit.correlation_id, testdata::EXECUTION_ID);
    assert_eq!(audit.events.len(), 4);
    assert_eq!(audit.events[0].offset_ms, Some(300_050));
    assert_eq!(audit.events[0].confirms_action, Some(0));
    assert_eq!((audit.chaos_injected, audit.chaos_confirmed), (1, 1));
    assert!(audit.unconfirmed.is_empty());
}

#[test]
fn without_the_flag_there_is_no_audit_section() {
    let mut input = testdata::input();
    input.record.plan.reporting.correlate_with_audit_logs = false;
    assert_eq!(build(&input, testdata::generated_at(), "x").audit, None);
}

#[test]
fn an_unrun_phase_lists_its_assertions_as_not_run() {
    let mut input = testdata::input();
    // Cut the log after the baseline phase: the rest never ran.
    input
        .record
        .events
        .retain(|e| e.phase.is_none_or(|p| p == 0) && e.seq < 6);
    let r = build(&input, testdata::generated_at(), "x");
    let v = &r.validation_results;
    assert_eq!((v.total, v.passed, v.failed, v.not_decided), (6, 1, 0, 5));
    assert!(v.assertions[1..]
        .iter()
        .all(|a| a.outcome == AssertionOutcome::NotRun));
    assert_eq!(r.metrics.phases[2].outcome, "not_run");
}

#[test]
fn a_report_survives_a_json_round_trip() {
    let r = report();
    let json = serde_json::to_string(&r).unwrap();
    let back: ExecutionReport = serde_json::from_str(&json).unwrap();
    assert_eq!(back, r);
}

#[test]
fn the_same_input_gives_the_same_report() {
    assert_eq!(report(), report());
}

#[test]
fn nearest_rank_percentiles() {
    let d = distribution((1..=100).map(f64::from).collect());
    assert_eq!((d.p50, d.p99, d.max), (Some(50.0), Some(99.0), Some(100.0)));
    let one = distribution(vec![7.0]);
    assert_eq!((one.p50, one.p99), (Some(7.0), Some(7.0)));
    assert_eq!(distribution(vec![]).count, 0);
}

#[test]
fn a_workload_gives_its_section_n1v1_figures_and_the_recovery_time() {
    use crate::engine::{
        figures::Figures,
        workload::{ChaosWindow, Recovery, ServiceRecovery, SlotFigures, WorkloadSummary},
    };
    let figures = |requests: u64, failures: u64| Figures {
        requests,
        failures,
        failure_rate: failures as f64 / requests as f64,
        p95_ms: 20.0,
        ..Figures::default()
    };
    let summary = WorkloadSummary {
        streams: vec![],
        slot_ms: 1000,
        total: figures(300, 100),
        phases: vec![],
        chaos: Some(ChaosWindow {
            injected_ms: 300_000,
            cleared_ms: 1_500_000,
        }),
        before: figures(100, 0),
        during: figures(100, 98),
        after: figures(100, 2),
        steady_state: Some(app::scenario::workload::SteadyState {
            p95_latency_ms: Some(150.0),
            p99_latency_ms: None,
            failure_rate: Some(0.005),
            hold_for: std::time::Duration::from_secs(5),
            resolution: None,
        }),
        recovery: Some(Recovery {
            detected: true,
            recovered_ms: Some(1_525_300),
            recovery_time_ms: Some(25_300),
            services: vec![ServiceRecovery {
                service: "exchange-simulator".into(),
                detected: true,
                recovered_ms: Some(1_525_300),
                recovery_time_ms: Some(25_300),
            }],
        }),
        truncated: false,
        send_timing: app::api::figures::SendTiming {
            p50_ms: 0.12,
            p99_ms: 3.4,
            max_ms: 1250.0,
        },
    };
    let mut input = testdata::input();
    let last = input.record.events.pop().expect("execution_finished");
    let mut extra = |kind: EventKind| {
        let mut event = last.clone();
        event.kind = kind;
        input.record.events.push(event);
    };
    extra(EventKind::WorkloadSlot {
        slot: SlotFigures {
            start_ms: 0,
            end_ms: 1000,
            figures: figures(10, 0),
        },
    });
    extra(EventKind::WorkloadSummary {
        summary: Box::new(summary),
    });
    input.record.events.push(last);
    for (seq, event) in input.record.events.iter_mut().enumerate() {
        event.seq = seq as u64;
    }
    let report = build(&input, testdata::generated_at(), "t");
    let workload = report.workload.as_ref().expect("workload section");
    assert_eq!(workload.series.len(), 1);
    assert_eq!(workload.n1v1.orders_during_chaos, 100);
    assert_eq!(workload.n1v1.failures_during_chaos, 98);
    assert_eq!(workload.n1v1.chaos_failure_rate, 98.0);
    assert_eq!(workload.n1v1.recovery_time_seconds, Some(25.3));
    assert!(workload.n1v1.recovery_detected);
    // The measured recovery replaces the assertion-based one in summaries.
    assert_eq!(report.recovery_times_ms(), vec![25_300.0]);
    assert_eq!(
        summarize(std::slice::from_ref(&report))
            .results
            .average_recovery_time_ms,
        Some(25_300.0)
    );
    // Slots are charted, not listed in the timeline.
    assert!(!report.timeline.iter().any(|e| e.kind == "workload_slot"));
    assert!(report.timeline.iter().any(|e| e.kind == "workload_summary"));
    let html = crate::report::html::render(&report);
    assert!(html.contains("Workload and recovery"));
    assert!(html.contains("class=\"wl-p95\""));
    let recovery = format!(
        "recovered <strong>{}</strong> after the chaos",
        human_ms(25_300)
    );
    assert!(html.contains(&recovery), "{recovery} in the page");
    assert!(html.contains("p95 ≤ 150 ms, failure rate ≤ 0.5 % for 5s"));
    // The generator's own lag, and a warning when it passed a millisecond.
    let lag = format!(
        "sent requests within 0.12 ms (median), 3.40 ms (p99) and at worst {} of when they were due",
        human_ms(1250)
    );
    assert!(html.contains(&lag), "{lag} in the page");
    assert!(html.contains("is the coordinator's own timing, not the target's"));
}
