//! The wording the report, `logs` and the live view share (tests of the report
//! and the live view assert parts of it too).

use serde_json::Value;

use super::*;
use crate::api::{
    event::{AssertionResult, PhaseOutcome, RollbackReason},
    figures::{Figures, Recovery, WorkloadSummary},
    verdict::Verdict,
    ExecutionStatus,
};

fn result(passed: bool, attempts: u32, message: &str) -> AssertionResult {
    AssertionResult {
        passed,
        message: message.into(),
        evidence: Value::Null,
        attempts,
        first_check_ms: None,
        last_check_ms: None,
        time_to_hold_ms: passed.then_some(48_917),
    }
}

#[test]
fn milliseconds_read_as_people_write_durations() {
    let cases = [
        (0, "0s"),
        (350, "350ms"),
        (2_500, "2.5s"),
        (45_000, "45s"),
        (90_000, "1m30s"),
        (1_800_500, "30m1s"),
        (36 * 3_600_000, "36h"),
    ];
    for (ms, text) in cases {
        assert_eq!(format_ms(ms), text, "{ms}");
    }
}

#[test]
fn actions_and_assertions_say_what_happened() {
    let parallel = EventKind::ActionStarted {
        service: "market-data-simulator".into(),
        action: "volatility_spike".into(),
        parallel: true,
        parameters: Value::Null,
    };
    assert_eq!(
        describe(&parallel),
        "parallel market-data-simulator.volatility_spike sent"
    );
    let failed = EventKind::ActionFinished {
        service: "exchange-simulator".into(),
        action: "inject_latency".into(),
        parallel: false,
        outcome: crate::api::event::ActionOutcome {
            ok: false,
            status: Some(503),
            latency_ms: 12.34,
            message: "unavailable".into(),
            response: Value::Null,
        },
    };
    assert_eq!(
        describe(&failed),
        "exchange-simulator.inject_latency failed (HTTP 503, 12.3 ms): unavailable"
    );
    let decided = |passed| EventKind::AssertionFinished {
        index: 0,
        kind: "price_divergence".into(),
        expect: "usdt_depegged".into(),
        result: result(passed, 1, "USDT-USD deviation 0.01%"),
    };
    assert_eq!(
        describe(&decided(false)),
        "price_divergence=usdt_depegged failed after 1 check: USDT-USD deviation 0.01%"
    );
    assert_eq!(
        describe(&decided(true)),
        "price_divergence=usdt_depegged passed after 1 check (48.9s): USDT-USD deviation 0.01%"
    );
    let checked = EventKind::AssertionChecked {
        index: 0,
        kind: "system_health".into(),
        attempts: 2,
        message: String::new(),
    };
    assert_eq!(describe(&checked), "system_health not yet (check 2)");
}

#[test]
fn phases_rollbacks_and_the_end_name_their_reason() {
    let phase = EventKind::PhaseFinished {
        name: "chaos".into(),
        outcome: PhaseOutcome::Failed,
        reason: Some("an assertion failed".into()),
    };
    assert_eq!(describe(&phase), "phase chaos failed: an assertion failed");
    let rollback = EventKind::RollbackStarted {
        reason: RollbackReason::Stop,
        actions: 1,
    };
    assert_eq!(describe(&rollback), "rollback started (stop): 1 action");
    let recovery = EventKind::RecoveryStarted {
        previous_owner: Some("execute (pid 7 on ci)".into()),
    };
    assert_eq!(
        describe(&recovery),
        "recovery: its owner (execute (pid 7 on ci)) is gone; taken over here"
    );
    let resumed = |iteration, paused, resumption| EventKind::ResumedOnNewOwner {
        name: "latency".into(),
        iteration,
        paused,
        resumption,
    };
    assert_eq!(
        describe(&resumed(1, false, 1)),
        "resumed here at the start of phase latency"
    );
    assert_eq!(
        describe(&resumed(2, true, 3)),
        "resumed here at the start of phase latency (iteration 2), paused as it was: resumption 3"
    );
    let finished = EventKind::ExecutionFinished {
        status: ExecutionStatus::Completed,
        verdict: Verdict {
            passed: true,
            criteria: Vec::new(),
            summary: "every phase completed".into(),
        },
    };
    assert_eq!(
        describe(&finished),
        "finished completed: every phase completed"
    );
}

#[test]
fn a_workload_summary_gives_the_recovery_or_says_there_was_none() {
    let summary = |recovery: Option<Recovery>| EventKind::WorkloadSummary {
        summary: Box::new(WorkloadSummary {
            streams: Vec::new(),
            slot_ms: 1000,
            total: Figures {
                requests: 450,
                failure_rate: 0.11,
                p95_ms: 10.0,
                ..Figures::default()
            },
            phases: Vec::new(),
            chaos: None,
            before: Figures::default(),
            during: Figures::default(),
            after: Figures::default(),
            steady_state: None,
            recovery,
            truncated: false,
            send_timing: Default::default(),
        }),
    };
    let recovered = Recovery {
        detected: true,
        recovered_ms: Some(4_500),
        recovery_time_ms: Some(2_500),
        services: Vec::new(),
    };
    assert_eq!(
        describe(&summary(Some(recovered.clone()))),
        "workload: 450 requests, 11.00 % failed, p95 10.0 ms, recovered 2.5s after the chaos was cleared"
    );
    let never = Recovery {
        detected: false,
        recovered_ms: None,
        recovery_time_ms: None,
        ..recovered
    };
    assert!(describe(&summary(Some(never))).ends_with(", no recovery detected"));
    assert!(describe(&summary(None)).ends_with("p95 10.0 ms"));
}
