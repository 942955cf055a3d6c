use super::*;
use crate::report::{
    generate,
    schema::{WorkloadRun, WorkloadSection},
    testdata,
};

fn report() -> ExecutionReport {
    generate(&testdata::input(), testdata::generated_at(), "test")
}

#[test]
fn a_report_against_itself_is_the_same_everywhere() {
    let a = report();
    let c = compare(&a, &a);
    assert!(c.same_scenario);
    assert_eq!((c.better, c.worse), (0, 0));
    assert_eq!(c.verdict, Change::Same);
    assert!(!c.assertions.is_empty() && !c.actions.is_empty() && !c.criteria.is_empty());
    for line in c.assertions.iter().map(|l| l.change) {
        assert_eq!(line, Change::Same);
    }
    assert!(c.actions.iter().all(|l| l.change == Change::Same));
    assert_eq!(c.recovery_ms.a, Some(45_000.0), "the fixture's recovery");
    assert_eq!(c.recovery_ms.change, Change::Same);
    assert!(c.workload.is_empty(), "no workload, no rows");
    assert!(c.axis_ms >= a.execution.scenario_elapsed_ms);
    let kinds: Vec<MarkKind> = c.a.marks.iter().map(|m| m.kind).collect();
    for kind in [MarkKind::Action, MarkKind::Assertion, MarkKind::Recovery] {
        assert!(kinds.contains(&kind), "{kind:?} on the timeline: {kinds:?}");
    }
    assert!(c
        .a
        .marks
        .windows(2)
        .all(|w| w[0].offset_ms <= w[1].offset_ms));
    assert_eq!(c.a.phases.len(), a.metrics.phases.len());
}

#[test]
fn worse_and_better_lines_are_found_and_counted() {
    let a = report();
    let mut b = a.clone();
    b.execution.id = "other".into();
    // The verdict and a criterion flip.
    b.execution.passed = !a.execution.passed;
    let verdict = b.execution.verdict.as_mut().expect("judged");
    verdict.criteria[0].passed = !verdict.criteria[0].passed;
    // One assertion takes twice as long to hold, another no longer holds.
    let held: Vec<usize> = b
        .validation_results
        .assertions
        .iter()
        .enumerate()
        .filter(|(_, r)| r.passed && r.time_to_hold_ms.is_some_and(|t| t > 100))
        .map(|(i, _)| i)
        .collect();
    assert!(held.len() >= 2, "the fixture has two assertions that held");
    let slower = &mut b.validation_results.assertions[held[0]];
    slower.time_to_hold_ms = slower.time_to_hold_ms.map(|t| t * 2);
    let failed = &mut b.validation_results.assertions[held[1]];
    failed.outcome = AssertionOutcome::Failed;
    failed.passed = false;
    failed.time_to_hold_ms = None;
    // An action is much faster, and one more call is made in b.
    let action = b
        .metrics
        .actions
        .iter_mut()
        .find(|r| r.ok == Some(true) && r.latency_ms.is_some_and(|l| l > 10.0))
        .expect("an accepted action with a latency");
    action.latency_ms = action.latency_ms.map(|l| l / 4.0);
    let fast = (
        action.phase.clone(),
        action.service.clone(),
        action.action.clone(),
    );
    let mut extra = action.clone();
    extra.started_ms = extra.started_ms.map(|s| s + 1);
    b.metrics.actions.push(extra);
    // Recovery takes longer.
    b.system_impact.services_affected[0].recovery_ms = Some(90_000);

    let c = compare(&a, &b);
    let expected_verdict = if b.execution.passed {
        Change::Better
    } else {
        Change::Worse
    };
    assert_eq!(c.verdict, expected_verdict);
    assert_ne!(c.criteria[0].change, Change::Same);
    let line = |i: usize| {
        let r = &a.validation_results.assertions[i];
        c.assertions
            .iter()
            .find(|l| l.phase == r.phase && l.index == r.index)
            .expect("matched")
    };
    let slower = line(held[0]);
    assert_eq!(slower.change, Change::Worse);
    assert!(slower.time_to_hold.delta.is_some_and(|d| d > 0.0));
    assert!(slower.time_to_hold.delta_text().starts_with('+'));
    let failed = line(held[1]);
    assert_eq!(failed.change, Change::Worse, "passed → failed");
    assert_eq!(
        failed.b.as_ref().map(|s| s.outcome.as_str()),
        Some("failed")
    );
    let calls: Vec<&ActionDiff> = c
        .actions
        .iter()
        .filter(|l| (l.phase.clone(), l.service.clone(), l.action.clone()) == fast)
        .collect();
    assert_eq!(calls[0].ordinal, 1);
    assert_eq!(calls[0].change, Change::Better, "{:?}", calls[0].latency);
    let added = calls.last().expect("the extra call");
    assert_eq!((added.ordinal, added.change), (calls.len(), Change::OnlyB));
    assert!(added.a.is_none());
    assert_eq!(c.recovery_ms.change, Change::Worse);
    assert_eq!(c.recovery_ms.delta, Some(45_000.0));
    assert!(c.worse >= 3, "hold time, failure, recovery: {}", c.worse);
    assert!(c.better >= 1);
}

#[test]
fn workloads_are_compared_window_by_window() {
    use crate::engine::{figures::Figures, workload::WorkloadSummary};
    let figures = |requests: u64, failures: u64, p95: f64| Figures {
        requests,
        failures,
        failure_rate: failures as f64 / requests.max(1) as f64,
        p95_ms: p95,
        ..Figures::default()
    };
    let with = |during: Figures| {
        let mut r = report();
        r.workload = Some(WorkloadSection {
            runs: vec![WorkloadRun {
                iteration: 1,
                summary: WorkloadSummary {
                    streams: vec![],
                    slot_ms: 1000,
                    total: figures(300, 0, 20.0),
                    phases: vec![],
                    chaos: None,
                    before: figures(100, 0, 20.0),
                    during,
                    after: figures(0, 0, 0.0),
                    steady_state: None,
                    recovery: None,
                    truncated: false,
                    send_timing: Default::default(),
                },
            }],
            n1v1: Default::default(),
            series: vec![],
        });
        r
    };
    let c = compare(
        &with(figures(100, 10, 300.0)),
        &with(figures(100, 2, 150.0)),
    );
    let row = |window: &str, name: &str| {
        c.workload
            .iter()
            .find(|r| r.window == window && r.name == name)
            .unwrap_or_else(|| panic!("{window} {name}"))
            .figure
            .clone()
    };
    assert_eq!(c.workload.len(), 15, "five figures in three windows");
    assert_eq!(row("during", "failure rate").change, Change::Better);
    assert_eq!(row("during", "failure rate").delta_text(), "−8.0 %");
    assert_eq!(row("during", "p95 latency").change, Change::Better);
    assert_eq!(row("before", "p95 latency").change, Change::Same);
    let after = row("after", "p95 latency");
    assert_eq!((after.a, after.b), (None, None), "no request, no latency");
    assert_eq!(row("after", "requests").a, Some(0.0));
}

#[test]
fn scenario_times_within_the_jitter_of_the_time_scale_are_the_same() {
    let a = report();
    let mut b = a.clone();
    let speed = a.execution.speed.max(1.0);
    let held = b
        .validation_results
        .assertions
        .iter_mut()
        .find(|r| r.time_to_hold_ms.is_some())
        .expect("an assertion that held");
    let jitter = (20.0 * speed).max(1000.0) as u64 - 1;
    held.time_to_hold_ms = held.time_to_hold_ms.map(|t| t + jitter);
    let c = compare(&a, &b);
    assert!(c.assertions.iter().all(|l| l.change == Change::Same));
    let line = c
        .assertions
        .iter()
        .find(|l| l.time_to_hold.delta.is_some_and(|d| d > 0.0))
        .expect("the shifted one");
    assert_eq!(
        line.time_to_hold.delta,
        Some(jitter as f64),
        "the delta is still shown"
    );
}
