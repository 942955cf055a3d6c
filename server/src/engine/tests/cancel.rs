//! A stop, a pause or a shutdown against action calls in flight, rollback of
//! several services side by side, and panics in an execution's task (issue 13,
//! findings 7 and 9). Virtual time: a call that "never answers" is pending
//! forever, so any wait for it would show as a test that times out.

use super::*;

/// Far more virtual time than any of these runs needs: reaching it means the
/// engine waited for a call that never answers.
const HUNG: Duration = Duration::from_secs(24 * 3600);

fn hanging_action_plan() -> Arc<Plan> {
    plan(&format!(
        "{HEADER}spec:\n  phases:\n    - name: chaos\n      duration: 1h\n      actions:\n        - {{service: exchange-simulator, action: inject_latency}}\n        - {{service: exchange-simulator, action: hang_now}}\n"
    ))
}

/// The finished event of the action named `action`.
fn finished_action(h: &Harness, id: ExecutionId, action: &str) -> (Option<u64>, ActionOutcome) {
    h.events(id)
        .into_iter()
        .find_map(|e| match e.kind {
            EventKind::ActionFinished {
                action: name,
                outcome,
                ..
            } if name == action => Some((e.offset_ms, outcome)),
            _ => None,
        })
        .unwrap_or_else(|| panic!("{action} finished"))
}

fn rollback_reason(h: &Harness, id: ExecutionId) -> Option<RollbackReason> {
    h.events(id).into_iter().find_map(|e| match e.kind {
        EventKind::RollbackStarted { reason, .. } => Some(reason),
        _ => None,
    })
}

#[tokio::test(start_paused = true)]
async fn a_stop_cancels_a_hanging_action_at_once_records_it_and_rolls_back() {
    let h = harness(3);
    let id = h.submit(hanging_action_plan(), RunOptions::default()).await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    h.engine.control(id, ControlCommand::Stop).unwrap();
    tokio::time::timeout(HUNG, h.engine.wait_idle())
        .await
        .expect("the stop does not wait for the hanging call");
    assert_eq!(h.status(id), ExecutionStatus::Stopped);
    let trace = h.trace(id);
    assert!(
        trace.contains(&("control_received", None, secs(5))),
        "{trace:?}"
    );
    let (at, outcome) = finished_action(&h, id, "hang_now");
    assert_eq!(at, secs(5), "cancelled the moment the stop arrived");
    assert!(!outcome.ok);
    assert!(
        outcome.message.contains("cancelled: stopped by a user"),
        "{}",
        outcome.message
    );
    assert_eq!(rollback_reason(&h, id), Some(RollbackReason::Stop));
    let clear = h.calls().last().unwrap().clone();
    assert_eq!(
        (clear.1.as_str(), clear.2),
        ("clear_chaos", Duration::from_secs(5))
    );
    assert_eq!(
        trace.last().unwrap(),
        &("execution_finished", None, secs(5))
    );
}

#[tokio::test(start_paused = true)]
async fn a_shutdown_cancels_a_hanging_action_and_ends_the_execution_interrupted() {
    let h = harness(3);
    let id = h.submit(hanging_action_plan(), RunOptions::default()).await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let started = Instant::now();
    tokio::time::timeout(HUNG, h.engine.shutdown())
        .await
        .expect("shutdown does not wait for the hanging call");
    assert_eq!(
        started.elapsed(),
        Duration::ZERO,
        "at once, on virtual time"
    );
    assert_eq!(h.status(id), ExecutionStatus::Interrupted);
    let (at, outcome) = finished_action(&h, id, "hang_now");
    assert_eq!(at, secs(5));
    assert!(
        outcome.message.contains("the coordinator shut down"),
        "{}",
        outcome.message
    );
    assert_eq!(rollback_reason(&h, id), Some(RollbackReason::Shutdown));
    assert_eq!(h.calls().last().unwrap().1, "clear_chaos");
}

#[tokio::test(start_paused = true)]
async fn the_timeout_cancels_a_hanging_action() {
    let h = harness(3);
    let id = h
        .submit(
            plan(&format!(
                "{HEADER}spec:\n  duration: 10m\n  timeout: 12m\n  phases:\n    - name: chaos\n      duration: 10m\n      actions:\n        - {{service: exchange-simulator, action: hang_now}}\n"
            )),
            RunOptions::default(),
        )
        .await;
    tokio::time::timeout(HUNG, h.engine.wait_idle())
        .await
        .expect("the timeout does not wait for the hanging call");
    assert_eq!(h.status(id), ExecutionStatus::TimedOut);
    assert_eq!(finished_action(&h, id, "hang_now").0, secs(720));
}

#[tokio::test(start_paused = true)]
async fn a_pause_is_recorded_at_once_and_the_action_in_flight_completes() {
    let h = harness(3);
    let id = h
        .submit(
            plan(&format!(
                "{HEADER}spec:\n  phases:\n    - name: chaos\n      duration: 10m\n      actions:\n        - {{service: exchange-simulator, action: slow_now}}\n        - {{service: exchange-simulator, action: inject_latency}}\n"
            )),
            RunOptions::default(),
        )
        .await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    h.engine.control(id, ControlCommand::Pause).unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        h.status(id),
        ExecutionStatus::Paused,
        "paused while the call is in flight"
    );
    tokio::time::sleep(Duration::from_secs(94)).await;
    h.engine.control(id, ControlCommand::Resume).unwrap();
    h.engine.wait_idle().await;
    let (at, outcome) = finished_action(&h, id, "slow_now");
    assert!(outcome.ok, "the call ran on: {}", outcome.message);
    assert_eq!(
        at,
        secs(5),
        "it answered at 60 s, with the timeline paused at 5 s"
    );
    let calls: Vec<(String, Duration)> = h.calls().into_iter().map(|c| (c.1, c.2)).collect();
    assert_eq!(
        calls,
        [
            ("slow_now".to_owned(), Duration::ZERO),
            ("inject_latency".to_owned(), Duration::from_secs(100)),
        ],
        "the call in flight is not sent again; the next one waits for the resume"
    );
    assert_eq!(h.status(id), ExecutionStatus::Completed);
    assert_eq!(
        h.trace(id).last().unwrap(),
        &("execution_finished", None, secs(600))
    );
}

#[tokio::test(start_paused = true)]
async fn a_hanging_service_does_not_delay_the_rollback_of_the_others() {
    let h = harness(3);
    let id = h
        .submit(
            plan(&format!(
                "{HEADER}spec:\n  phases:\n    - name: chaos\n      duration: 1h\n      actions:\n        - {{service: exchange-simulator, action: fail_now}}\n  rollback:\n    on_failure: true\n    actions:\n      - {{service: custodian-simulator, action: hang_now}}\n      - {{service: exchange-simulator, action: clear_chaos}}\n      - {{service: exchange-simulator, action: clear_all_chaos}}\n"
            )),
            RunOptions::default(),
        )
        .await;
    tokio::time::timeout(HUNG, h.engine.wait_idle())
        .await
        .expect("the hanging rollback times out");
    let calls: Vec<(String, Duration)> = h
        .calls()
        .into_iter()
        .map(|(service, action, at)| (format!("{service}.{action}"), at))
        .collect();
    assert_eq!(
        calls,
        [
            ("exchange-simulator.fail_now".to_owned(), Duration::ZERO),
            ("custodian-simulator.hang_now".to_owned(), Duration::ZERO),
            ("exchange-simulator.clear_chaos".to_owned(), Duration::ZERO),
            (
                "exchange-simulator.clear_all_chaos".to_owned(),
                Duration::ZERO
            ),
        ],
        "the exchange is cleared at once, in order, while the custodian hangs"
    );
    let (at, outcome) = finished_action(&h, id, "hang_now");
    assert_eq!(
        at,
        secs(600),
        "the hanging one gives up at rollback.timeout"
    );
    assert!(
        outcome.message.contains("rollback.timeout (10m) ran out"),
        "{}",
        outcome.message
    );
    assert_eq!(finished_action(&h, id, "clear_all_chaos").0, secs(0));
    let rollback_ok = h.events(id).into_iter().find_map(|e| match e.kind {
        EventKind::RollbackFinished { ok } => Some((e.offset_ms, ok)),
        _ => None,
    });
    assert_eq!(rollback_ok, Some((secs(600), false)));
    assert_eq!(h.status(id), ExecutionStatus::Failed);
}

#[tokio::test(start_paused = true)]
async fn a_panicking_execution_ends_failed_with_the_message_and_rolls_back() {
    let h = harness(1);
    let id = h
        .submit(
            plan(&format!(
                "{HEADER}spec:\n  phases:\n    - name: chaos\n      duration: 1h\n      actions:\n        - {{service: exchange-simulator, action: inject_latency}}\n        - {{service: exchange-simulator, action: panic_now}}\n  rollback:\n    on_failure: false\n"
            )),
            RunOptions::default(),
        )
        .await;
    tokio::time::timeout(HUNG, h.engine.wait_idle())
        .await
        .expect("the execution's task ends");
    assert_eq!(h.status(id), ExecutionStatus::Failed);
    let verdict = h
        .events(id)
        .into_iter()
        .find_map(|e| match e.kind {
            EventKind::ExecutionFinished { verdict, .. } => Some(verdict),
            _ => None,
        })
        .expect("an execution_finished event");
    assert!(
        verdict
            .summary
            .contains("a bug): fake adapter: panic_now panics; its rollback succeeded"),
        "{}",
        verdict.summary
    );
    assert_eq!(
        rollback_reason(&h, id),
        Some(RollbackReason::Failure),
        "rolled back even with on_failure: false: nobody knows what chaos is left"
    );
    assert_eq!(h.calls().last().unwrap().1, "clear_chaos");
    assert!(
        h.engine.control(id, ControlCommand::Stop).is_err(),
        "no longer takes commands"
    );
    // The engine goes on: the slot was given back and the next run completes.
    let next = h
        .submit(
            plan(&format!(
                "{HEADER}spec:\n  phases:\n    - name: a\n      duration: 1m\n"
            )),
            RunOptions::default(),
        )
        .await;
    h.engine.wait_idle().await;
    assert_eq!(h.status(next), ExecutionStatus::Completed);
}

#[tokio::test(start_paused = true)]
async fn an_absurd_speed_neither_panics_nor_leaves_the_execution_queued() {
    let h = harness(1);
    let id = h
        .submit(
            plan(&format!(
                "{HEADER}spec:\n  phases:\n    - name: a\n      duration: 1m\n"
            )),
            RunOptions {
                speed: 1e-300,
                ..RunOptions::default()
            },
        )
        .await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(h.status(id), ExecutionStatus::Running);
    h.engine.control(id, ControlCommand::Stop).unwrap();
    h.engine.wait_idle().await;
    assert_eq!(h.status(id), ExecutionStatus::Stopped);
}

#[tokio::test(start_paused = true)]
async fn a_check_in_flight_at_a_pause_is_made_again_after_the_resume() {
    let h = harness(3);
    let id = h
        .submit(
            plan(&format!(
                "{HEADER}spec:\n  phases:\n    - name: p\n      duration: 10m\n      assertions:\n        - {{type: arbitrage_opportunity, expect: increased_activity, within: 5m, parameters: {{min_increase: 0}}}}\n"
            )),
            RunOptions::default(),
        )
        .await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    h.engine.control(id, ControlCommand::Pause).unwrap();
    tokio::time::sleep(Duration::from_secs(95)).await;
    h.engine.control(id, ControlCommand::Resume).unwrap();
    h.engine.wait_idle().await;
    let (at, result) = h
        .events(id)
        .into_iter()
        .find_map(|e| match e.kind {
            EventKind::AssertionFinished { result, .. } => Some((e.offset_ms, result)),
            _ => None,
        })
        .expect("the assertion finished");
    assert!(result.passed);
    assert_eq!(result.attempts, 1, "the dropped check is not counted");
    assert_eq!(
        at,
        secs(65),
        "checked again from the resume (5 s of timeline) for its minute"
    );
    assert_eq!(h.status(id), ExecutionStatus::Completed);
}

#[tokio::test(start_paused = true)]
async fn a_stop_while_paused_between_actions_ends_the_run_and_starts_nothing_more() {
    let h = harness(3);
    let id = h
        .submit(
            plan(&format!(
                "{HEADER}spec:\n  phases:\n    - name: chaos\n      duration: 10m\n      actions:\n        - {{service: exchange-simulator, action: slow_now}}\n        - {{service: exchange-simulator, action: inject_latency}}\n"
            )),
            RunOptions::default(),
        )
        .await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    h.engine.control(id, ControlCommand::Pause).unwrap();
    tokio::time::sleep(Duration::from_secs(95)).await;
    h.engine.control(id, ControlCommand::Stop).unwrap();
    tokio::time::timeout(HUNG, h.engine.wait_idle())
        .await
        .expect("the stop ends a paused run");
    assert_eq!(h.status(id), ExecutionStatus::Stopped);
    let actions: Vec<String> = h.calls().into_iter().map(|c| c.1).collect();
    assert_eq!(actions, ["slow_now", "clear_chaos"], "nothing new started");
}
