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
use crate::components::live::state::compact;
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
    // The checks update the row, not the log: its last line is still the start.
    assert_eq!(state.log.back().unwrap().seq, 3);
    assert!(state.log.iter().all(|l| l.kind != "assertion_checked"));
    assert_eq!(state.log_total, 3);
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
    assert!(!state.log.back().unwrap().bad);

    let mut all = events();
    all.push(decided(6, false));
    let state = LiveState::new("running", &all);
    assert_eq!(
        state.assertion_state(0, 0),
        AssertionView::Failed("all healthy".into())
    );
    let line = state.log.back().unwrap();
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
        .back()
        .unwrap()
        .text
        .contains("execute (pid 7 on ci)"));
}

#[test]
fn a_run_resumed_on_a_new_owner_runs_again_and_redraws_its_phase() {
    let mut all = events();
    all.push(event(
        6,
        None,
        None,
        EventKind::RecoveryStarted {
            previous_owner: None,
        },
    ));
    all.push(event(
        7,
        Some(0),
        None,
        EventKind::ResumedOnNewOwner {
            name: "p".into(),
            iteration: 1,
            paused: false,
            resumption: 1,
        },
    ));
    let state = LiveState::new("running", &all);
    assert_eq!(state.status, "running");
    assert!(
        state.assertions.is_empty(),
        "phase p's rows are drawn afresh as it runs again"
    );
    assert_eq!(
        state.log.back().unwrap().text,
        "resumed here at the start of phase p"
    );
    all[6].kind = EventKind::ResumedOnNewOwner {
        name: "p".into(),
        iteration: 1,
        paused: true,
        resumption: 1,
    };
    assert_eq!(LiveState::new("running", &all).status, "paused");
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
    assert_eq!(seqs, [1, 2, 3], "checks (4, 5) are counted, not logged");
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
        send_timing: Default::default(),
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

fn started(seq: u64) -> Event {
    event(
        seq,
        Some(0),
        Some(seq),
        EventKind::PhaseStarted {
            name: format!("p{seq}"),
            duration_ms: 1,
        },
    )
}

#[test]
fn thousands_of_checks_add_no_log_line_and_keep_the_row_current() {
    let mut all = events();
    all.extend((6..5_006).map(|seq| checked(seq, (seq - 3) as u32)));
    let state = LiveState::new("running", &all);
    assert_eq!(
        state.log.len(),
        3,
        "only the three events before the checks"
    );
    assert_eq!(state.log_total, 3);
    let row = &state.assertions[&(0, 0)];
    assert_eq!(row.checks, 5_002);
    assert_eq!(state.last_seq, Some(5_005));
    assert_eq!(state.polling_counts()[&(0, 0)], 5_002);
}

#[test]
fn the_log_keeps_the_latest_lines_and_the_window_shows_a_page_of_them() {
    let all: Vec<Event> = (1..=(LOG_KEEP as u64 + 250)).map(started).collect();
    let state = LiveState::new("running", &all);
    assert_eq!(state.log.len(), LOG_KEEP, "memory stays bounded");
    assert_eq!(state.log_total, LOG_KEEP as u64 + 250);
    assert_eq!(state.log_dropped(), 250);
    assert_eq!(state.log.front().unwrap().seq, 251, "the oldest kept");

    let window = state.log_window(LOG_PAGE);
    assert_eq!(window.len(), LOG_PAGE);
    assert_eq!(window[0].seq, LOG_KEEP as u64 + 250, "newest first");
    assert_eq!(
        window[LOG_PAGE - 1].seq,
        LOG_KEEP as u64 + 251 - LOG_PAGE as u64
    );
    assert_eq!(state.log_hidden(LOG_PAGE), LOG_KEEP - LOG_PAGE);
    // "Show earlier" pages on until every kept line is shown, never beyond.
    assert_eq!(state.log_window(2 * LOG_PAGE).len(), 2 * LOG_PAGE);
    assert_eq!(state.log_window(LOG_KEEP + LOG_PAGE).len(), LOG_KEEP);
    assert_eq!(state.log_hidden(LOG_KEEP + LOG_PAGE), 0);

    let short = LiveState::new("running", &all[..10]);
    assert_eq!(short.log_window(LOG_PAGE).len(), 10);
    assert_eq!((short.log_hidden(LOG_PAGE), short.log_dropped()), (0, 0));
}

#[test]
fn the_timeline_marks_change_with_results_not_with_checks() {
    let all = events();
    let before = LiveState::new("running", &all[..4]).timeline_marks();
    let after = LiveState::new("running", &all).timeline_marks();
    assert_eq!(before, after, "another check does not redraw the timeline");
    assert_eq!(after.assertion_state(0, 0), AssertionView::Polling(0));
    let mut decided_all = all.clone();
    decided_all.push(decided(6, true));
    let decided_marks = LiveState::new("running", &decided_all).timeline_marks();
    assert_ne!(after, decided_marks, "a decision does");
    assert!(decided_marks.log.is_empty() && decided_marks.workload.is_empty());
}

#[test]
fn compacting_keeps_the_latest_check_of_each_assertion_and_folds_the_same() {
    let mut all = events();
    all.extend((6..50).map(|seq| checked(seq, (seq - 3) as u32)));
    all.push(event(
        50,
        Some(0),
        None,
        EventKind::AssertionChecked {
            index: 1,
            kind: "risk_alert".into(),
            attempts: 1,
            message: "no alert".into(),
        },
    ));
    all.push(checked(51, 48));
    let compacted = compact(all.clone());
    let checks: Vec<u64> = compacted
        .iter()
        .filter(|e| matches!(e.kind, EventKind::AssertionChecked { .. }))
        .map(|e| e.seq)
        .collect();
    assert_eq!(checks, [50, 51], "one per assertion, the latest");
    assert_eq!(compacted.len(), 3 + 2);
    assert_eq!(
        LiveState::new("running", &compacted),
        LiveState::new("running", &all)
    );
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

    let finished = event(
        3,
        None,
        Some(10),
        EventKind::ExecutionFinished {
            status: ExecutionStatus::Stopped,
            verdict: Verdict {
                passed: false,
                criteria: vec![],
                summary: "stopped by a user".into(),
            },
        },
    );
    let ended = LiveState::new("running", &[stop(1, Some("ui")), finished]);
    assert!(
        ended.log.iter().all(|line| !line.bad),
        "a stop and its end are not failure lines"
    );
}

#[test]
fn a_proxys_effects_add_up_per_service_and_kind_and_are_logged_in_words() {
    use crate::api::event::ChaosEffect;
    let effect = |seq: u64, count: u64, delay_ms: u64| {
        event(
            seq,
            None,
            Some(seq * 1000),
            EventKind::ChaosEffect {
                service: "market-data-proxy".into(),
                second: 1_764_600_000 + seq,
                count,
                effect: ChaosEffect::LatencyInjection {
                    delay_ms,
                    max_delay_ms: delay_ms + 9,
                    endpoint: Some("GET /api/v1/prices/BTC-USD".into()),
                },
            },
        )
    };
    let mut all = events();
    all.extend([effect(6, 20, 300), effect(7, 19, 301)]);
    all.push(event(
        8,
        None,
        Some(8000),
        EventKind::ChaosEffect {
            service: "market-data-proxy".into(),
            second: 1_764_600_008,
            count: 3,
            effect: ChaosEffect::RateLimitExceeded {
                client_ip: Some("127.0.0.1".into()),
                endpoint: None,
            },
        },
    ));
    let state = LiveState::new("running", &all);
    let key = |kind: &str| ("market-data-proxy".to_owned(), kind.to_owned());
    assert_eq!(state.effects[&key("LatencyInjection")], 39);
    assert_eq!(state.effects[&key("RateLimitExceeded")], 3);
    let lines: Vec<&str> = state.log.iter().map(|l| l.text.as_str()).collect();
    assert!(
        lines.contains(&"market-data-proxy: LatencyInjection × 20: +300 ms (max 309) on GET /api/v1/prices/BTC-USD"),
        "{lines:?}"
    );
    assert!(lines.contains(&"market-data-proxy: RateLimitExceeded × 3: 429 to 127.0.0.1"));
    assert!(state.log.iter().all(|l| !l.bad), "effects are not failures");
}
