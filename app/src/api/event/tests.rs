//! The wire format is the stored format: events written before the vocabulary
//! moved to `app::api` must still read, and write back byte for byte.

use serde_json::{json, Value};
use time::OffsetDateTime;

use super::*;
use crate::api::figures::{Figures, SlotFigures};

fn id() -> ExecutionId {
    "f77b628a-7394-4d6b-ae1e-7a501d6c9835"
        .parse()
        .expect("an id")
}

#[test]
fn events_serialise_flat_with_their_kind_name() {
    let event = Event {
        execution_id: id(),
        seq: 3,
        at: OffsetDateTime::UNIX_EPOCH,
        offset_ms: Some(300_000),
        planned_ms: Some(300_000),
        phase: Some(1),
        kind: EventKind::PhaseStarted {
            name: "chaos_injection".into(),
            duration_ms: 1_200_000,
        },
    };
    let json = serde_json::to_value(&event).unwrap();
    assert_eq!(json["kind"], event.kind.name());
    assert_eq!(json["name"], "chaos_injection");
    assert_eq!(json["at"], "1970-01-01T00:00:00Z");
    let back: Event = serde_json::from_value(json).unwrap();
    assert_eq!(back, event);
}

/// `payload` column values as the store holds them (copied from a database
/// written before the move: `serde_json::Value` text, so keys sorted).
const STORED: &[&str] = &[
    r#"{"category":null,"kind":"execution_queued","scenario":"basic-market-disruption"}"#,
    r#"{"dry_run":false,"kind":"execution_started","speed":600.0}"#,
    r#"{"duration_ms":300000,"kind":"phase_started","name":"recovery"}"#,
    r#"{"action":"clear_chaos","kind":"action_started","parallel":false,"parameters":{},"service":"exchange-simulator"}"#,
    r#"{"action":"clear_chaos","kind":"action_finished","outcome":{"latency_ms":0.369129,"message":"exchange-simulator clear_chaos answered 200","ok":true,"response":{"cleared":1,"service":"exchange-simulator"},"status":200},"parallel":false,"service":"exchange-simulator"}"#,
    r#"{"deadline_ms":1680000,"expect":"normal_operations","index":0,"kind":"assertion_started","type":"system_recovery"}"#,
    r#"{"attempts":13,"index":1,"kind":"assertion_checked","message":"still active: execution_latency","type":"alert_resolution"}"#,
    r#"{"expect":"alerts_cleared","index":1,"kind":"assertion_finished","result":{"attempts":14,"evidence":{"active_alerts":[]},"first_check_ms":1500804,"last_check_ms":1548917,"message":"no alerts active","passed":true,"time_to_hold_ms":48917},"type":"alert_resolution"}"#,
    r#"{"kind":"phase_finished","name":"recovery","outcome":"passed","reason":null}"#,
    r#"{"actions":2,"kind":"rollback_started","reason":"failure"}"#,
    r#"{"kind":"rollback_finished","ok":true}"#,
    r#"{"kind":"execution_finished","status":"completed","verdict":{"criteria":[{"detail":"3 of 3 phases completed","name":"all_phases_completed","passed":true}],"passed":true,"summary":"every phase completed and every success criterion held"}}"#,
    r#"{"command":"skip_phase","kind":"control_received"}"#,
    r#"{"by":"ui","command":"stop","kind":"control_received"}"#,
    r#"{"kind":"paused"}"#,
    r#"{"kind":"recovery_started","previous_owner":"execute (pid 4242 on build-1)"}"#,
    r#"{"iteration":2,"kind":"iteration_started"}"#,
    r#"{"iteration":1,"kind":"resumed_on_new_owner","name":"latency-spike","paused":false,"resumption":1}"#,
];

#[test]
fn stored_payloads_still_read_and_write_back_byte_for_byte() {
    for stored in STORED {
        let kind: EventKind =
            serde_json::from_str(stored).unwrap_or_else(|e| panic!("{stored}: {e}"));
        let name: Value = serde_json::from_str::<Value>(stored).unwrap()["kind"].clone();
        assert_eq!(kind.name(), name, "{stored}");
        // The store writes `to_value(kind).to_string()`.
        let written = serde_json::to_value(&kind).unwrap().to_string();
        assert_eq!(&written, stored);
    }
}

#[test]
fn an_event_as_the_api_and_the_websocket_send_it_round_trips() {
    let sent = r#"{"execution_id":"f77b628a-7394-4d6b-ae1e-7a501d6c9835","seq":35,"at":"2026-12-01T01:54:16.2418563Z","offset_ms":1549105,"planned_ms":1620000,"phase":2,"kind":"assertion_finished","index":1,"type":"alert_resolution","expect":"alerts_cleared","result":{"passed":true,"message":"no alerts active","evidence":{"active_alerts":[]},"attempts":14,"first_check_ms":1500804,"last_check_ms":1548917,"time_to_hold_ms":48917}}"#;
    let event: Event = serde_json::from_str(sent).unwrap();
    assert_eq!(event.execution_id, id());
    assert_eq!(event.seq, 35);
    let EventKind::AssertionFinished { result, kind, .. } = &event.kind else {
        panic!("{:?}", event.kind);
    };
    assert_eq!((kind.as_str(), result.attempts), ("alert_resolution", 14));
    assert_eq!(serde_json::to_string(&event).unwrap(), sent);
}

#[test]
fn workload_events_keep_their_flat_slot_and_boxed_summary() {
    let slot = EventKind::WorkloadSlot {
        slot: SlotFigures {
            start_ms: 1000,
            end_ms: 2000,
            figures: Figures {
                requests: 50,
                failures: 5,
                failure_rate: 0.1,
                p95_ms: 9.5,
                ..Figures::default()
            },
        },
    };
    let json = serde_json::to_value(&slot).unwrap();
    assert_eq!(
        json,
        json!({"kind": "workload_slot", "start_ms": 1000, "end_ms": 2000, "requests": 50,
            "failures": 5, "failure_rate": 0.1, "throughput": 0.0, "ok": 0, "client_errors": 0,
            "server_errors": 0, "transport_errors": 0, "timeouts": 0, "dropped": 0,
            "p50_ms": 0.0, "p95_ms": 9.5, "p99_ms": 0.0, "max_ms": 0.0, "mean_ms": 0.0})
    );
    assert_eq!(serde_json::from_value::<EventKind>(json).unwrap(), slot);

    let figures = json!({"requests": 10, "failures": 0, "failure_rate": 0.0, "throughput": 5.0,
        "ok": 10, "client_errors": 0, "server_errors": 0, "transport_errors": 0, "timeouts": 0,
        "dropped": 0, "p50_ms": 1.0, "p95_ms": 2.0, "p99_ms": 3.0, "max_ms": 4.0, "mean_ms": 1.5});
    let summary = json!({"kind": "workload_summary", "summary": {
        "streams": [{"name": "orders", "service": "exchange-simulator", "request": "POST /api/v1/orders", "rate": "50/s"}],
        "slot_ms": 1000, "total": figures, "phases": [{"index": 0, "name": "p", "figures": figures}],
        "chaos": {"injected_ms": 1000, "cleared_ms": 2000}, "before": figures, "during": figures,
        "after": figures, "steady_state": null,
        "recovery": {"detected": true, "recovered_ms": 4500, "recovery_time_ms": 2500,
            "services": [{"service": "exchange-simulator", "detected": true, "recovered_ms": 4500, "recovery_time_ms": 2500}]},
        "truncated": false}});
    let kind: EventKind = serde_json::from_value(summary.clone()).unwrap();
    // A summary stored before `send_timing` reads with zeros there.
    let mut written = summary.clone();
    written["summary"]["send_timing"] = json!({"p50_ms": 0.0, "p99_ms": 0.0, "max_ms": 0.0});
    assert_eq!(serde_json::to_value(&kind).unwrap(), written);
    let kind: EventKind = serde_json::from_value(written.clone()).unwrap();
    assert_eq!(serde_json::to_value(&kind).unwrap(), written);
}

#[test]
fn word_names_are_the_serde_names() {
    for command in [
        ControlCommand::Pause,
        ControlCommand::Resume,
        ControlCommand::SkipPhase,
        ControlCommand::Stop,
    ] {
        assert_eq!(serde_json::to_value(command).unwrap(), command.as_str());
    }
    for reason in [
        RollbackReason::Failure,
        RollbackReason::Stop,
        RollbackReason::Timeout,
        RollbackReason::Shutdown,
        RollbackReason::Recovery,
    ] {
        assert_eq!(serde_json::to_value(reason).unwrap(), reason.as_str());
    }
    for outcome in [
        PhaseOutcome::Passed,
        PhaseOutcome::Failed,
        PhaseOutcome::Skipped,
        PhaseOutcome::Aborted,
    ] {
        assert_eq!(serde_json::to_value(outcome).unwrap(), outcome.as_str());
    }
}

#[test]
fn a_control_without_who_stays_without_it_and_who_reads_back() {
    let old: EventKind =
        serde_json::from_str(r#"{"command":"stop","kind":"control_received"}"#).unwrap();
    assert_eq!(
        old,
        EventKind::ControlReceived {
            command: ControlCommand::Stop,
            by: None
        }
    );
    assert!(!serde_json::to_string(&old).unwrap().contains("by"));
    let new = EventKind::ControlReceived {
        command: ControlCommand::Stop,
        by: Some("cli".into()),
    };
    let json = serde_json::to_value(&new).unwrap();
    assert_eq!(json["by"], "cli");
    assert_eq!(serde_json::from_value::<EventKind>(json).unwrap(), new);
}
