//! Engine tests on virtual time (`start_paused`): fake services and assertion
//! checkers record what they are asked and when; the tests assert the exact
//! event sequence and the schedule offsets.

use std::{sync::Arc, time::Duration};

use app::api::ExecutionStatus;
use tokio::time::Instant;

use super::{
    event::{ActionOutcome, ControlCommand, Event, EventKind, PhaseOutcome, RollbackReason},
    *,
};

mod fakes;
pub(super) use fakes::*;

#[tokio::test(start_paused = true)]
async fn phases_run_in_order_on_their_planned_offsets() {
    let h = harness(3);
    let id = h
        .submit(
            plan(&format!(
                "{HEADER}spec:\n  phases:\n    - name: baseline\n      duration: 1m\n    - name: chaos\n      duration: 2m\n      actions:\n        - {{service: exchange-simulator, action: inject_latency, parameters: {{delay_ms: 500}}}}\n"
            )),
            RunOptions::default(),
        )
        .await;
    h.engine.wait_idle().await;
    assert_eq!(
        h.trace(id),
        [
            ("execution_queued", None, None),
            ("execution_started", None, secs(0)),
            ("phase_started", Some(0), secs(0)),
            ("phase_finished", Some(0), secs(60)),
            ("phase_started", Some(1), secs(60)),
            ("action_started", Some(1), secs(60)),
            ("action_finished", Some(1), secs(60)),
            ("phase_finished", Some(1), secs(180)),
            ("execution_finished", None, secs(180)),
        ]
    );
    assert_eq!(h.status(id), ExecutionStatus::Completed);
    assert_eq!(
        h.calls(),
        [(
            "exchange-simulator".into(),
            "inject_latency".into(),
            Duration::from_secs(60)
        )]
    );
    let skews: Vec<i64> = h
        .events(id)
        .iter()
        .filter_map(|e| Some(e.offset_ms? as i64 - e.planned_ms? as i64))
        .collect();
    assert!(
        skews.iter().all(|s| *s == 0),
        "no skew on virtual time: {skews:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn parallel_actions_start_at_their_delays_at_the_time_scale() {
    let h = harness(3);
    let id = h
        .submit(
            plan(&format!(
                "{HEADER}spec:\n  phases:\n    - name: p\n      duration: 10m\n      parallel_actions:\n        - {{delay: 5m, service: exchange-simulator, action: inject_latency}}\n        - {{delay: 2m, service: exchange-simulator, action: clear_chaos}}\n"
            )),
            RunOptions { speed: 60.0, ..RunOptions::default() },
        )
        .await;
    h.engine.wait_idle().await;
    let calls = h.calls();
    assert_eq!(calls[0].1, "clear_chaos");
    assert_eq!(
        calls[0].2,
        Duration::from_secs(2),
        "2m of scenario at speed 60 is 2 s"
    );
    assert_eq!(calls[1].1, "inject_latency");
    assert_eq!(calls[1].2, Duration::from_secs(5));
    let finished = h.events(id).last().unwrap().clone();
    assert_eq!(finished.offset_ms, secs(600));
    assert_eq!(h.status(id), ExecutionStatus::Completed);
}

#[tokio::test(start_paused = true)]
async fn an_assertion_that_holds_on_the_third_poll_records_its_time_to_hold() {
    let h = harness(3);
    let id = h
        .submit(
            plan(&format!(
                "{HEADER}spec:\n  phases:\n    - name: p\n      duration: 1m\n      assertions:\n        - {{type: arbitrage_opportunity, expect: increased_activity, within: 30s, parameters: {{min_increase: 3}}}}\n"
            )),
            RunOptions::default(),
        )
        .await;
    h.engine.wait_idle().await;
    let events = h.events(id);
    let finished = events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::AssertionFinished { result, .. } => Some((e.offset_ms, result.clone())),
            _ => None,
        })
        .unwrap();
    assert_eq!(finished.0, secs(2), "polls at 0 s, 1 s and 2 s");
    assert!(finished.1.passed);
    assert_eq!(finished.1.attempts, 3);
    assert_eq!(finished.1.time_to_hold_ms, secs(2));
    assert_eq!(finished.1.first_check_ms, secs(0));
    assert_eq!(h.status(id), ExecutionStatus::Completed);
}

#[tokio::test(start_paused = true)]
async fn an_assertion_that_never_holds_fails_the_phase_at_its_deadline_and_rolls_back() {
    let h = harness(3);
    let id = h
        .submit(
            plan(&format!(
                "{HEADER}spec:\n  phases:\n    - name: chaos\n      duration: 10m\n      actions:\n        - {{service: exchange-simulator, action: inject_latency}}\n      assertions:\n        - {{type: arbitrage_opportunity, expect: increased_activity, within: 2m}}\n    - name: never\n      duration: 1m\n  rollback:\n    on_failure: true\n    actions:\n      - {{service: exchange-simulator, action: clear_all_chaos}}\n"
            )),
            RunOptions::default(),
        )
        .await;
    h.engine.wait_idle().await;
    let trace = h.trace(id);
    // One `assertion_checked` per poll that did not hold: 0 s, 1 s, … 119 s.
    let checks = trace.iter().filter(|t| t.0 == "assertion_checked").count();
    assert_eq!(checks, 120);
    let trace: Vec<_> = trace
        .into_iter()
        .filter(|t| t.0 != "assertion_checked")
        .collect();
    let kinds: Vec<&str> = trace.iter().map(|t| t.0).collect();
    assert_eq!(
        kinds,
        [
            "execution_queued",
            "execution_started",
            "phase_started",
            "action_started",
            "action_finished",
            "assertion_started",
            "assertion_finished",
            "phase_finished",
            "rollback_started",
            "action_started",
            "action_finished",
            "rollback_finished",
            "execution_finished",
        ]
    );
    assert_eq!(trace[6].2, secs(120), "decided at the 2m deadline");
    assert_eq!(
        trace[7].2,
        secs(120),
        "the phase fails then, not at its end"
    );
    let events: Vec<Event> = h
        .events(id)
        .into_iter()
        .filter(|e| e.kind.name() != "assertion_checked")
        .collect();
    assert!(matches!(
        events[7].kind,
        EventKind::PhaseFinished {
            outcome: PhaseOutcome::Failed,
            ..
        }
    ));
    assert!(matches!(
        events[8].kind,
        EventKind::RollbackStarted {
            reason: RollbackReason::Failure,
            ..
        }
    ));
    assert_eq!(h.status(id), ExecutionStatus::Failed);
    assert_eq!(h.calls().last().unwrap().1, "clear_all_chaos");
}

#[tokio::test(start_paused = true)]
async fn stop_takes_effect_at_once_and_rolls_back_what_was_touched() {
    let h = harness(3);
    let id = h
        .submit(
            plan(&format!(
                "{HEADER}spec:\n  phases:\n    - name: chaos\n      duration: 1h\n      actions:\n        - {{service: exchange-simulator, action: inject_latency}}\n"
            )),
            RunOptions::default(),
        )
        .await;
    tokio::time::sleep(Duration::from_secs(90)).await;
    h.engine.control(id, ControlCommand::Stop).unwrap();
    h.engine.wait_idle().await;
    let events = h.events(id);
    let stop_at = events
        .iter()
        .find(|e| matches!(e.kind, EventKind::ControlReceived { .. }))
        .unwrap()
        .offset_ms;
    assert_eq!(stop_at, secs(90));
    assert!(events.iter().any(|e| matches!(
        e.kind,
        EventKind::RollbackStarted {
            reason: RollbackReason::Stop,
            ..
        }
    )));
    assert_eq!(h.status(id), ExecutionStatus::Stopped);
    let calls = h.calls();
    assert_eq!(
        calls.last().unwrap().1,
        "clear_chaos",
        "default rollback clears the touched service"
    );
    assert_eq!(calls.last().unwrap().2, Duration::from_secs(90));
    assert!(
        h.engine.control(id, ControlCommand::Stop).is_err(),
        "a finished execution takes no commands"
    );
}

#[tokio::test(start_paused = true)]
async fn the_timeout_is_a_hard_stop_that_counts_paused_time_and_rolls_back() {
    let h = harness(3);
    let id = h
        .submit(
            plan(&format!(
                "{HEADER}spec:\n  duration: 10m\n  timeout: 12m\n  phases:\n    - name: a\n      duration: 10m\n      actions:\n        - {{service: exchange-simulator, action: inject_latency}}\n"
            )),
            RunOptions::default(),
        )
        .await;
    tokio::time::sleep(Duration::from_secs(300)).await;
    h.engine.control(id, ControlCommand::Pause).unwrap();
    h.engine.wait_idle().await;
    assert_eq!(h.status(id), ExecutionStatus::TimedOut);
    let events = h.events(id);
    assert!(events.iter().any(|e| matches!(
        e.kind,
        EventKind::RollbackStarted {
            reason: RollbackReason::Timeout,
            ..
        }
    )));
    let rollback_call = h.calls().last().unwrap().clone();
    assert_eq!(rollback_call.1, "clear_chaos");
    assert_eq!(
        rollback_call.2,
        Duration::from_secs(720),
        "12 minutes of wall time, 7 of them paused"
    );
}

#[tokio::test(start_paused = true)]
async fn pause_freezes_the_schedule_and_skip_ends_the_phase() {
    let h = harness(3);
    let id = h
        .submit(
            plan(&format!(
                "{HEADER}spec:\n  phases:\n    - name: a\n      duration: 10m\n    - name: b\n      duration: 10m\n      actions:\n        - {{service: exchange-simulator, action: inject_latency}}\n"
            )),
            RunOptions::default(),
        )
        .await;
    tokio::time::sleep(Duration::from_secs(60)).await;
    h.engine.control(id, ControlCommand::Pause).unwrap();
    tokio::time::sleep(Duration::from_secs(300)).await;
    h.engine.control(id, ControlCommand::Resume).unwrap();
    tokio::time::sleep(Duration::from_secs(60)).await;
    h.engine.control(id, ControlCommand::SkipPhase).unwrap();
    h.engine.wait_idle().await;
    let trace = h.trace(id);
    let kinds: Vec<&str> = trace.iter().map(|t| t.0).collect();
    assert!(kinds
        .windows(2)
        .any(|w| w == ["control_received", "paused"]));
    assert!(kinds
        .windows(2)
        .any(|w| w == ["control_received", "resumed"]));
    let events = h.events(id);
    let skip_at = events
        .iter()
        .find(|e| {
            matches!(
                e.kind,
                EventKind::ControlReceived {
                    command: ControlCommand::SkipPhase,
                    ..
                }
            )
        })
        .and_then(|e| e.offset_ms);
    assert_eq!(
        skip_at,
        secs(120),
        "60 s, then 300 s paused (not counted), then 60 s"
    );
    let skipped = events
        .iter()
        .find(|e| {
            matches!(
                e.kind,
                EventKind::PhaseFinished {
                    outcome: PhaseOutcome::Skipped,
                    ..
                }
            )
        })
        .and_then(|e| e.offset_ms);
    assert_eq!(skipped, secs(600), "the schedule jumped to the phase's end");
    // Phase b starts right after the skip, on its planned offset (the schedule jumped).
    assert_eq!(h.calls()[0].2, Duration::from_secs(420));
    let b = trace
        .iter()
        .find(|t| t.0 == "phase_started" && t.1 == Some(1))
        .unwrap();
    assert_eq!(b.2, secs(600));
    assert_eq!(h.status(id), ExecutionStatus::Completed);
}

#[tokio::test(start_paused = true)]
async fn repeat_runs_the_phases_again() {
    let h = harness(3);
    let id = h
        .submit(
            plan(&format!(
                "{HEADER}spec:\n  phases:\n    - name: a\n      duration: 1m\n      actions:\n        - {{service: exchange-simulator, action: inject_latency}}\n"
            )),
            RunOptions { repeat: 3, ..RunOptions::default() },
        )
        .await;
    h.engine.wait_idle().await;
    let iterations = h
        .events(id)
        .iter()
        .filter(|e| matches!(e.kind, EventKind::IterationStarted { .. }))
        .count();
    assert_eq!(iterations, 3);
    let times: Vec<Duration> = h.calls().iter().map(|c| c.2).collect();
    assert_eq!(
        times,
        [
            Duration::ZERO,
            Duration::from_secs(60),
            Duration::from_secs(120)
        ]
    );
    assert_eq!(h.status(id), ExecutionStatus::Completed);
}

#[tokio::test(start_paused = true)]
async fn executions_beyond_the_limit_queue_in_order() {
    let h = harness(1);
    let yaml = format!(
        "{HEADER}spec:\n  phases:\n    - name: a\n      duration: 5m\n      actions:\n        - {{service: exchange-simulator, action: inject_latency}}\n"
    );
    let first = h.submit(plan(&yaml), RunOptions::default()).await;
    let second = h.submit(plan(&yaml), RunOptions::default()).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        h.journal.statuses.lock().unwrap()[&second],
        ExecutionStatus::Queued
    );
    h.engine.wait_idle().await;
    let times: Vec<Duration> = h.calls().iter().map(|c| c.2).collect();
    assert_eq!(
        times,
        [Duration::ZERO, Duration::from_secs(300)],
        "the second waits for the first"
    );
    assert_eq!(h.status(first), ExecutionStatus::Completed);
    assert_eq!(h.status(second), ExecutionStatus::Completed);
}

#[tokio::test(start_paused = true)]
async fn a_dry_run_calls_nothing_and_records_the_planned_timeline() {
    let h = harness(3);
    let id = h
        .submit(
            plan(&format!(
                "{HEADER}spec:\n  phases:\n    - name: a\n      duration: 1h\n      actions:\n        - {{service: exchange-simulator, action: inject_latency}}\n"
            )),
            RunOptions { dry_run: true, ..RunOptions::default() },
        )
        .await;
    h.engine.wait_idle().await;
    assert!(h.calls().is_empty());
    let trace = h.trace(id);
    assert!(trace.contains(&("phase_finished", Some(0), secs(3600))));
    assert_eq!(h.status(id), ExecutionStatus::Completed);
}

#[tokio::test(start_paused = true)]
async fn ended_runs_are_reaped_so_the_engine_holds_only_live_tasks() {
    let h = harness(3);
    let dry = || {
        plan(&format!(
            "{HEADER}spec:\n  phases:\n    - name: a\n      duration: 1m\n"
        ))
    };
    for _ in 0..200 {
        let id = h
            .submit(
                dry(),
                RunOptions {
                    dry_run: true,
                    ..RunOptions::default()
                },
            )
            .await;
        h.engine.wait_idle().await;
        assert_eq!(h.status(id), ExecutionStatus::Completed);
    }
    // The last run has ended but is reaped only by the next submit.
    assert!(
        h.engine.held_tasks().await <= 1,
        "{}",
        h.engine.held_tasks().await
    );
}

#[tokio::test(start_paused = true)]
async fn a_failed_action_fails_the_phase_at_once() {
    let h = harness(3);
    let id = h
        .submit(
            plan(&format!(
                "{HEADER}spec:\n  phases:\n    - name: a\n      duration: 1h\n      actions:\n        - {{service: exchange-simulator, action: fail_now}}\n"
            )),
            RunOptions::default(),
        )
        .await;
    h.engine.wait_idle().await;
    assert_eq!(h.status(id), ExecutionStatus::Failed);
    let end = h.events(id).last().unwrap().offset_ms;
    assert_eq!(end, secs(0));
}

#[tokio::test(start_paused = true)]
async fn executions_a_crash_left_running_are_rolled_back_and_interrupted() {
    let h = harness(3);
    let id = ExecutionId::new();
    let plan = plan(&format!(
        "{HEADER}spec:\n  phases:\n    - name: a\n      duration: 1h\n      actions:\n        - {{service: exchange-simulator, action: inject_latency}}\n"
    ));
    h.journal.left_behind(id, &plan, ExecutionStatus::Running);
    for seq in 0..7 {
        h.journal.events.lock().unwrap().push(Event {
            execution_id: id,
            seq,
            at: time::OffsetDateTime::UNIX_EPOCH,
            offset_ms: None,
            planned_ms: None,
            phase: None,
            kind: EventKind::Paused,
        });
    }
    assert_eq!(h.engine.recover_orphans().await.unwrap().len(), 1);
    assert_eq!(h.status(id), ExecutionStatus::Interrupted);
    let events = &h.events(id)[7..];
    assert_eq!(
        events[0].seq, 7,
        "numbering continues after the stored events"
    );
    assert!(matches!(events[0].kind, EventKind::RecoveryStarted { .. }));
    assert!(matches!(
        events[1].kind,
        EventKind::RollbackStarted {
            reason: RollbackReason::Recovery,
            ..
        }
    ));
    assert_eq!(h.calls()[0].1, "clear_chaos");
}

#[tokio::test(start_paused = true)]
async fn a_panic_in_a_recovery_s_rollback_still_ends_the_execution_interrupted() {
    let h = harness(3);
    let id = ExecutionId::new();
    let plan = plan(&format!(
        "{HEADER}spec:\n  phases:\n    - name: a\n      duration: 1h\n  rollback:\n    actions:\n      - {{service: exchange-simulator, action: panic_now}}\n"
    ));
    h.journal.left_behind(id, &plan, ExecutionStatus::Running);
    h.engine.recover_orphans().await.unwrap();
    h.engine.wait_idle().await;
    // Claimed by a live owner, it would otherwise stay `running` for ever.
    assert_eq!(h.status(id), ExecutionStatus::Interrupted);
    let finished = h
        .events(id)
        .into_iter()
        .find_map(|e| match e.kind {
            EventKind::ExecutionFinished { verdict, .. } => Some(verdict.summary),
            _ => None,
        })
        .expect("the execution ended");
    assert!(finished.contains("rollback panicked"), "{finished}");
}

fn workload_summary(h: &Harness, id: ExecutionId) -> workload::WorkloadSummary {
    h.events(id)
        .into_iter()
        .find_map(|e| match e.kind {
            EventKind::WorkloadSummary { summary } => Some(*summary),
            _ => None,
        })
        .expect("a workload summary")
}

const WORKLOAD_SPEC: &str = "  workload:\n    streams:\n      - {name: orders, service: exchange-simulator, method: POST, path: /orders, rate: 100, concurrency: 1000, timeout: 5s}\n    steady_state: {p95_latency_ms: 150, failure_rate: 0.005, for: 5s}\n";

#[tokio::test(start_paused = true)]
async fn the_open_model_shows_a_stalled_target_in_p99_not_in_fewer_requests() {
    // The target stalls from 10 s to 12 s: everything sent then answers at 12 s.
    let h = harness_with_load(
        1,
        FakeLoad::with(|at| {
            let (from, until) = (Duration::from_secs(10), Duration::from_secs(12));
            let latency = if at >= from && at < until {
                until - at
            } else {
                Duration::from_millis(5)
            };
            (latency, figures::Outcome::Success)
        }),
    );
    let id = h
        .submit(
            plan(&format!(
                "{HEADER}spec:\n{WORKLOAD_SPEC}  phases:\n    - name: before\n      duration: 10s\n    - name: stall\n      duration: 10s\n    - name: after\n      duration: 10s\n"
            )),
            RunOptions::default(),
        )
        .await;
    h.engine.wait_idle().await;
    let summary = workload_summary(&h, id);
    let phase = |i: usize| &summary.phases[i].figures;
    // Every request went out on schedule: 100/s for 10 s in each phase.
    for i in 0..3 {
        assert!(
            (999..=1001).contains(&phase(i).requests),
            "phase {i}: {} requests",
            phase(i).requests
        );
    }
    assert_eq!(summary.total.failures, 0);
    assert!(phase(0).p99_ms < 10.0, "{:?}", phase(0));
    assert!(
        phase(1).p99_ms > 1_000.0,
        "the 2-second stall is in p99: {:?}",
        phase(1)
    );
    assert!(phase(1).max_ms >= 1_990.0, "{:?}", phase(1));
    assert!(phase(2).p99_ms < 10.0, "{:?}", phase(2));
    // Slots were recorded as the run went, in order, covering the 30 s.
    let slots: Vec<(u64, u64)> = h
        .events(id)
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::WorkloadSlot { slot } => Some((slot.start_ms, slot.figures.requests)),
            _ => None,
        })
        .collect();
    assert_eq!(slots.len(), 30, "{slots:?}");
    assert!(slots.windows(2).all(|w| w[0].0 < w[1].0));
    assert!(
        slots.iter().all(|(_, n)| (99..=101).contains(n)),
        "{slots:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn requests_due_above_the_concurrency_cap_are_dropped_and_counted_as_failures() {
    let h = harness_with_load(
        1,
        FakeLoad::with(|at| {
            let slow = at >= Duration::from_secs(2) && at < Duration::from_secs(4);
            let latency = if slow {
                Duration::from_secs(2)
            } else {
                Duration::from_millis(5)
            };
            (latency, figures::Outcome::Success)
        }),
    );
    let spec = WORKLOAD_SPEC.replace("concurrency: 1000", "concurrency: 50");
    let id = h
        .submit(
            plan(&format!(
                "{HEADER}spec:\n{spec}  phases:\n    - name: p\n      duration: 8s\n"
            )),
            RunOptions::default(),
        )
        .await;
    h.engine.wait_idle().await;
    let total = workload_summary(&h, id).total;
    assert!((799..=801).contains(&total.requests), "{total:?}");
    assert!(total.dropped > 100, "{total:?}");
    assert_eq!(total.failures, total.dropped);
    assert_eq!(h.load_sent(), total.requests - total.dropped);
}

#[tokio::test(start_paused = true)]
async fn downtime_fails_requests_during_chaos_and_recovery_is_measured_from_the_clear() {
    // Down from 10 s to 20 s (the chaos phase); slow for 3 s after the clear.
    let h = harness_with_load(
        1,
        FakeLoad::with(|at| match at.as_secs() {
            10..=19 => (Duration::from_millis(1), figures::Outcome::ServerError),
            20..=22 => (Duration::from_millis(400), figures::Outcome::Success),
            _ => (Duration::from_millis(5), figures::Outcome::Success),
        }),
    );
    let id = h
        .submit(
            plan(&format!(
                "{HEADER}spec:\n{WORKLOAD_SPEC}  phases:\n    - name: baseline\n      duration: 10s\n      assertions:\n        - {{type: metric, expect: \"failure_rate <= 0.5%\", within: 10s, parameters: {{window: 5s}}}}\n    - name: down\n      duration: 10s\n      actions:\n        - {{service: exchange-simulator, action: inject_latency}}\n      assertions:\n        - {{type: metric, expect: \"failure_rate between 0.9 and 1.0\", within: 10s, parameters: {{window: 3s}}}}\n    - name: recovery\n      duration: 20s\n      actions:\n        - {{service: exchange-simulator, action: clear_chaos}}\n      assertions:\n        - {{type: metric, expect: \"recovery_time <= 5s\"}}\n        - {{type: metric, expect: \"recovery_time <= 2s\", within: 15s}}\n  success_criteria: [system_recovered_within_sla]\n"
            )),
            RunOptions::default(),
        )
        .await;
    h.engine.wait_idle().await;
    let summary = workload_summary(&h, id);
    let chaos = summary.chaos.expect("a chaos window");
    assert_eq!((chaos.injected_ms, chaos.cleared_ms), (10_000, 20_000));
    assert!(summary.before.failure_rate < 0.001, "{:?}", summary.before);
    assert!(summary.during.failure_rate > 0.99, "{:?}", summary.during);
    assert!(summary.after.failure_rate < 0.001, "{:?}", summary.after);
    assert!(summary.during.requests > 900);
    let recovery = summary.recovery.expect("recovery measured");
    assert!(recovery.detected);
    assert_eq!(recovery.recovery_time_ms, Some(3_000), "{recovery:?}");
    assert_eq!(recovery.services.len(), 1);
    assert_eq!(recovery.services[0].recovery_time_ms, Some(3_000));
    let results: Vec<(String, bool)> = h
        .events(id)
        .into_iter()
        .filter_map(|e| match e.kind {
            EventKind::AssertionFinished { expect, result, .. } => Some((expect, result.passed)),
            _ => None,
        })
        .collect();
    assert_eq!(
        results,
        [
            ("failure_rate <= 0.5%".to_owned(), true),
            ("failure_rate between 0.9 and 1.0".to_owned(), true),
            // Recovered 3 s after the clear: known (and passed) once the 5 s run held…
            ("recovery_time <= 5s".to_owned(), true),
            // …while the 2 s bound keeps failing until its window ends.
            ("recovery_time <= 2s".to_owned(), false),
        ]
    );
    // The 2 s bound failed, so the SLA criterion fails too.
    assert_eq!(h.status(id), ExecutionStatus::Failed);
}

#[tokio::test(start_paused = true)]
async fn a_stop_rolls_back_at_once_and_the_workload_is_summed_up_after_its_requests_end() {
    // Every request takes 10 s: a stop must not wait for them to roll back.
    let h = harness_with_load(
        1,
        FakeLoad::with(|_| (Duration::from_secs(10), figures::Outcome::Success)),
    );
    let id = h
        .submit(
            plan(&format!(
                "{HEADER}spec:\n{WORKLOAD_SPEC}  phases:\n    - name: chaos\n      duration: 1m\n      actions:\n        - {{service: exchange-simulator, action: inject_latency}}\n"
            )),
            RunOptions::default(),
        )
        .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    h.engine.control(id, ControlCommand::Stop).unwrap();
    h.engine.wait_idle().await;
    let rollback = h
        .calls()
        .into_iter()
        .find(|(_, action, _)| action == "clear_chaos")
        .expect("rolled back");
    assert!(
        rollback.2 < Duration::from_secs(3),
        "rolled back at {:?}",
        rollback.2
    );
    let summary = workload_summary(&h, id);
    assert!(
        (199..=201).contains(&summary.total.requests),
        "{:?}",
        summary.total
    );
    assert_eq!(
        summary.total.failures, 0,
        "in-flight requests were waited for"
    );
    assert_eq!(h.status(id), ExecutionStatus::Stopped);
}

#[tokio::test]
async fn a_sender_that_asks_for_its_own_thread_sends_from_it_and_every_request_counts() {
    // Real time: a runtime on another thread has a clock of its own.
    let mut load = FakeLoad::steady();
    load.own_thread = true;
    let threads = load.threads.clone();
    let h = harness_with_load(1, load);
    let id = h
        .submit(
            plan(&format!(
                "{HEADER}spec:\n{WORKLOAD_SPEC}  phases:\n    - name: only\n      duration: 2s\n"
            )),
            RunOptions {
                speed: 2.0,
                ..RunOptions::default()
            },
        )
        .await;
    h.engine.wait_idle().await;
    assert_eq!(
        *threads.lock().expect("threads"),
        std::collections::BTreeSet::from(["workload".to_owned()]),
        "every request left from the workload's thread"
    );
    let summary = workload_summary(&h, id);
    let sent = h.load_sent.load(std::sync::atomic::Ordering::Relaxed);
    // 100/s of real time (a rate is the target's, whatever the speed) for
    // the phase's 2 s at speed 2, give or take a busy machine's delay in
    // stopping.
    assert!((95..=120).contains(&sent), "{sent} sent");
    assert_eq!(summary.total.requests, sent, "{:?}", summary.total);
    assert_eq!(summary.total.failures, 0);
    assert_eq!(h.status(id), ExecutionStatus::Completed);
}

/// Stop, pause and shutdown against steps in flight; rollback side by side; panics.
mod cancel;
