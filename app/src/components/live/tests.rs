//! The live view's fold, without a browser: typed events in, view state out.

use serde_json::Value;
use time::OffsetDateTime;

use super::*;
use crate::api::{
    event::{ActionOutcome, AssertionResult as Decision, Event, EventKind, ExecutionId},
    figures::{ChaosWindow, Figures, Recovery, SlotFigures, WorkloadSummary},
    verdict::{CriterionResult, Verdict},
    ExecutionStatus,
};
use crate::components::AssertionView;

fn event(seq: u64, phase: Option<usize>, offset_ms: Option<u64>, kind: EventKind) -> Event {
    Event {
        execution_id: ExecutionId(uuid::Uuid::nil()),
        seq,
        at: OffsetDateTime::UNIX_EPOCH,
        offset_ms,
        planned_ms: None,
        phase,
        kind,
    }
}

fn checked(seq: u64, attempts: u32) -> Event {
    event(
        seq,
        Some(0),
        None,
        EventKind::AssertionChecked {
            index: 0,
            kind: "system_health".into(),
            attempts,
            message: "risk-monitor down".into(),
        },
    )
}

fn events() -> Vec<Event> {
    vec![
        event(
            1,
            None,
            None,
            EventKind::ExecutionStarted {
                speed: 60.0,
                dry_run: false,
            },
        ),
        event(
            2,
            Some(0),
            None,
            EventKind::PhaseStarted {
                name: "p".into(),
                duration_ms: 60_000,
            },
        ),
        event(
            3,
            Some(0),
            None,
            EventKind::AssertionStarted {
                index: 0,
                kind: "system_health".into(),
                expect: "all_services_healthy".into(),
                deadline_ms: 30_000,
            },
        ),
        checked(4, 1),
        checked(5, 2),
    ]
}

fn decided(seq: u64, passed: bool) -> Event {
    event(
        seq,
        Some(0),
        Some(12_000),
        EventKind::AssertionFinished {
            index: 0,
            kind: "system_health".into(),
            expect: "all_services_healthy".into(),
            result: Decision {
                passed,
                message: "all healthy".into(),
                evidence: serde_json::json!({"healthy": 6}),
                attempts: 3,
                first_check_ms: Some(1_000),
                last_check_ms: Some(12_000),
                time_to_hold_ms: passed.then_some(11_000),
            },
        },
    )
}

#[test]
fn each_check_that_did_not_hold_counts_as_polling_n() {
    let state = LiveState::new("running", &events());
    let row = &state.assertions[&(0, 0)];
    assert_eq!(row.checks, 2);
    assert_eq!(row.last_check.as_deref(), Some("risk-monitor down"));
    assert_eq!(state.assertion_state(0, 0), AssertionView::Polling(2));
    assert_eq!(AssertionView::Polling(2).describe().1, "polling 2");
    assert!(state.log.last().unwrap().text.contains("not yet (check 2)"));
}

#[test]
fn an_assertion_that_held_shows_green_and_one_that_failed_is_a_bad_line() {
    let mut all = events();
    all.push(decided(6, true));
    let state = LiveState::new("running", &all);
    let result = state.assertions[&(0, 0)].result.clone().expect("decided");
    assert!(result.passed);
    assert_eq!(result.attempts, 3);
    assert!(
        result.evidence.contains("\"healthy\": 6"),
        "{}",
        result.evidence
    );
    assert_eq!(
        state.assertion_state(0, 0),
        AssertionView::Passed(Some(11_000))
    );
    assert_eq!(state.assertion_state(0, 0).describe().0, "passed");
    assert!(!state.log.last().unwrap().bad);

    let mut all = events();
    all.push(decided(6, false));
    let state = LiveState::new("running", &all);
    assert_eq!(
        state.assertion_state(0, 0),
        AssertionView::Failed("all healthy".into())
    );
    let line = state.log.last().unwrap();
    assert!(
        line.bad && line.text.contains("failed after 3 checks"),
        "{line:?}"
    );
}

#[test]
fn actions_pair_with_their_results_and_the_end_gives_the_verdict() {
    let mut all = events();
    all.push(event(
        6,
        Some(0),
        Some(100),
        EventKind::ActionStarted {
            service: "exchange-simulator".into(),
            action: "inject_latency".into(),
            parallel: false,
            parameters: Value::Null,
        },
    ));
    all.push(event(
        7,
        Some(0),
        Some(150),
        EventKind::ActionFinished {
            service: "exchange-simulator".into(),
            action: "inject_latency".into(),
            parallel: false,
            outcome: ActionOutcome {
                ok: false,
                status: Some(503),
                latency_ms: 50.0,
                message: "unavailable".into(),
                response: Value::Null,
            },
        },
    ));
    all.push(event(
        8,
        None,
        Some(200),
        EventKind::ExecutionFinished {
            status: ExecutionStatus::Failed,
            verdict: Verdict {
                passed: false,
                criteria: vec![CriterionResult {
                    name: "all_phases_completed".into(),
                    passed: false,
                    detail: "0 of 1".into(),
                }],
                summary: "a phase failed".into(),
            },
        },
    ));
    let state = LiveState::new("running", &all);
    assert_eq!(state.actions.len(), 1, "the result joins its call");
    assert_eq!(
        state.action_result(0, false, "exchange-simulator", "inject_latency", 0),
        Some("failed")
    );
    assert_eq!(state.actions[0].outcome.as_ref().unwrap().status, Some(503));
    assert!(state.finished);
    assert_eq!(state.status, "failed");
    assert_eq!(state.verdict.as_ref().unwrap().criteria[0].detail, "0 of 1");
    assert_eq!(state.elapsed_ms, 200);
    let bad: Vec<u64> = state.log.iter().filter(|l| l.bad).map(|l| l.seq).collect();
    assert_eq!(bad, [7, 8]);
}

#[test]
fn an_execution_taken_over_after_a_crash_shows_as_recovering() {
    let mut all = events();
    all.push(event(
        6,
        None,
        None,
        EventKind::RecoveryStarted {
            previous_owner: Some("execute (pid 7 on ci)".into()),
        },
    ));
    let state = LiveState::new("running", &all);
    assert_eq!(state.status, "recovering");
    assert!(state
        .log
        .last()
        .unwrap()
        .text
        .contains("execute (pid 7 on ci)"));
}

#[test]
fn a_replay_after_a_reconnect_applies_each_event_once() {
    let all = events();
    let mut state = LiveState::new("running", &all[..4]);
    // The server replays from `since`, which may overlap what the page has.
    for event in &all[2..] {
        state.apply(event);
    }
    let seqs: Vec<u64> = state.log.iter().map(|l| l.seq).collect();
    assert_eq!(seqs, [1, 2, 3, 4, 5]);
    assert_eq!(state.assertions[&(0, 0)].checks, 2);
}

fn slot(seq: u64, start_ms: u64, failure_rate: f64, p95_ms: f64) -> Event {
    event(
        seq,
        Some(0),
        Some(start_ms + 1000),
        EventKind::WorkloadSlot {
            slot: SlotFigures {
                start_ms,
                end_ms: start_ms + 1000,
                figures: Figures {
                    requests: 50,
                    failure_rate,
                    p95_ms,
                    ..Figures::default()
                },
            },
        },
    )
}

#[test]
fn workload_slots_are_charted_not_logged_and_the_summary_gives_the_recovery() {
    let summary = WorkloadSummary {
        streams: Vec::new(),
        slot_ms: 1000,
        total: Figures {
            requests: 450,
            failure_rate: 0.11,
            p95_ms: 10.0,
            ..Figures::default()
        },
        phases: Vec::new(),
        chaos: Some(ChaosWindow {
            injected_ms: 1000,
            cleared_ms: 2000,
        }),
        before: Figures::default(),
        during: Figures::default(),
        after: Figures::default(),
        steady_state: None,
        recovery: Some(Recovery {
            detected: true,
            recovered_ms: Some(4500),
            recovery_time_ms: Some(2500),
            services: Vec::new(),
        }),
        truncated: false,
    };
    let state = LiveState::new(
        "running",
        &[
            slot(1, 0, 0.0, 9.5),
            slot(2, 1000, 1.0, 2.0),
            event(
                3,
                None,
                Some(9000),
                EventKind::WorkloadSummary {
                    summary: Box::new(summary),
                },
            ),
        ],
    );
    assert_eq!(state.workload.len(), 2);
    assert_eq!(state.workload[1].failure_rate, 1.0);
    assert_eq!(state.workload[0].p95_ms, 9.5);
    assert_eq!(state.workload[1].start_ms, 1000);
    assert_eq!(state.log.len(), 1, "only the summary is logged");
    assert!(
        state.log[0].text.contains("recovered 2.5s"),
        "{}",
        state.log[0].text
    );
    let end = state.workload_end.expect("summary");
    assert_eq!(end.chaos, Some((1000, 2000)));
    assert_eq!(end.recovered_ms, Some(4500));
}

#[test]
fn a_stop_records_who_sent_it_and_an_old_stop_is_a_users() {
    use crate::api::event::ControlCommand;
    let stop = |seq, by: Option<&str>| {
        event(
            seq,
            None,
            None,
            EventKind::ControlReceived {
                command: ControlCommand::Stop,
                by: by.map(str::to_owned),
            },
        )
    };
    let state = LiveState::new("running", &[stop(1, Some("cli")), stop(2, Some("ui"))]);
    assert_eq!(state.stopped_by.as_deref(), Some("cli"), "the first stop");
    let old = LiveState::new("running", &[stop(1, None)]);
    assert_eq!(old.stopped_by.as_deref(), Some("a user"));
    let paused = LiveState::new(
        "running",
        &[event(
            1,
            None,
            None,
            EventKind::ControlReceived {
                command: ControlCommand::Pause,
                by: Some("ui".into()),
            },
        )],
    );
    assert_eq!(paused.stopped_by, None);
}
