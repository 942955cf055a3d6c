//! Owners on virtual time: two engines (two processes) share one fake journal.
//! A live run is left alone by the other; when its owner dies or loses its
//! lease, the other takes it over once, and nobody writes it twice.

use std::{sync::Arc, time::Duration};

use app::api::{ExecutionStatus, OnOwnerLoss};

use super::{
    event::EventKind,
    owner::{DEFAULT_HEARTBEAT, DEFAULT_LEASE},
    tests::{harness_sharing, plan, FakeJournal, Harness, HEADER},
    RunOptions,
};

/// Ten phases of 10 s, each injecting latency at its start.
fn ten_phases() -> Arc<app::scenario::plan::Plan> {
    let mut yaml = format!("{HEADER}spec:\n  phases:\n");
    for i in 0..10 {
        yaml.push_str(&format!(
            "    - name: p{i}\n      duration: 10s\n      actions:\n        - {{service: exchange-simulator, action: inject_latency}}\n"
        ));
    }
    plan(&yaml)
}

/// Seqs are 0, 1, 2, … and exactly one event ends the execution, last.
fn assert_one_clean_log(h: &Harness, id: super::ExecutionId) {
    let events = h.events(id);
    let seqs: Vec<u64> = events.iter().map(|e| e.seq).collect();
    assert_eq!(
        seqs,
        (0..events.len() as u64).collect::<Vec<_>>(),
        "contiguous seq"
    );
    let finished = events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::ExecutionFinished { .. }))
        .count();
    assert_eq!(finished, 1, "exactly one execution_finished");
    assert!(matches!(
        events.last().map(|e| &e.kind),
        Some(EventKind::ExecutionFinished { .. })
    ));
}

fn kinds(h: &Harness, id: super::ExecutionId) -> Vec<&'static str> {
    h.events(id).iter().map(|e| e.kind.name()).collect()
}

#[tokio::test(start_paused = true)]
async fn a_live_run_is_left_alone_by_a_second_engine_and_taken_over_once_its_owner_dies() {
    let journal = Arc::new(FakeJournal::default());
    let a = harness_sharing(journal.clone());
    let id = a.submit(ten_phases(), RunOptions::default()).await;
    tokio::time::sleep(Duration::from_secs(5)).await;

    // B starts (as `serve` would) while A's run is live.
    let b = harness_sharing(journal.clone());
    b.engine.watch_orphans();
    tokio::time::sleep(Duration::from_secs(40)).await;
    assert!(
        b.calls().is_empty(),
        "B rolled nothing back: {:?}",
        b.calls()
    );
    assert!(!kinds(&a, id).contains(&"recovery_started"));
    assert!(!kinds(&a, id).contains(&"rollback_started"));
    assert_eq!(a.status(id), ExecutionStatus::Running);
    assert_eq!(
        a.calls().len(),
        5,
        "A's chaos went on: phases 0 to 4 injected"
    );

    // A dies as with kill -9: no rollback, no more renewals.
    a.engine.crash();
    let calls_of_a = a.calls().len();
    tokio::time::sleep(DEFAULT_LEASE / 2).await;
    assert_eq!(
        a.status(id),
        ExecutionStatus::Running,
        "not taken over before the lease runs out"
    );
    assert!(b.calls().is_empty());
    tokio::time::sleep(DEFAULT_LEASE).await;

    assert_eq!(a.status(id), ExecutionStatus::Interrupted);
    assert_eq!(
        a.calls().len(),
        calls_of_a,
        "the dead A called nothing more"
    );
    assert_eq!(b.calls().len(), 1);
    assert_eq!(b.calls()[0].1, "clear_chaos", "B rolled back A's chaos");
    let kinds = kinds(&a, id);
    let recovery = kinds.iter().position(|k| *k == "recovery_started");
    assert!(recovery.is_some(), "{kinds:?}");
    assert_eq!(
        &kinds[recovery.unwrap_or(0)..],
        [
            "recovery_started",
            "rollback_started",
            "action_started",
            "action_finished",
            "rollback_finished",
            "execution_finished"
        ]
    );
    assert_one_clean_log(&a, id);
}

#[tokio::test(start_paused = true)]
async fn an_engine_that_cannot_renew_its_lease_rolls_its_run_back_before_the_lease_runs_out() {
    let journal = Arc::new(FakeJournal::default());
    let a = harness_sharing(journal.clone());
    let b = harness_sharing(journal.clone());
    b.engine.watch_orphans();
    let id = a.submit(ten_phases(), RunOptions::default()).await;
    tokio::time::sleep(Duration::from_secs(1)).await;

    // A is cut off from its journal's leases (a partition, a stalled disk):
    // its last renewal was at most a heartbeat ago.
    journal.stalled.lock().unwrap().push(a.engine.owner().id);
    // Before the lease can run out (and B take the run), A stops the run
    // itself and rolls its chaos back: two owners never act at once.
    tokio::time::sleep(DEFAULT_LEASE - DEFAULT_HEARTBEAT * 2).await;
    assert_eq!(a.status(id), ExecutionStatus::Interrupted);
    assert!(a.engine.active().is_empty(), "A's runner stopped");
    assert_eq!(a.calls().last().map(|c| c.1.as_str()), Some("clear_chaos"));
    let calls_of_a = a.calls().len();
    assert!(calls_of_a < 10, "A did not run its remaining phases");

    // Long after the lease ran out: the run had ended, so B had nothing to take.
    tokio::time::sleep(DEFAULT_LEASE * 3).await;
    assert!(b.calls().is_empty(), "B touched nothing: {:?}", b.calls());
    assert_eq!(a.calls().len(), calls_of_a, "A injected nothing more");
    assert_one_clean_log(&a, id);
}

#[tokio::test(start_paused = true)]
async fn an_engine_whose_run_was_taken_over_stops_it_and_writes_nothing_more() {
    let journal = Arc::new(FakeJournal::default());
    let a = harness_sharing(journal.clone());
    let b = harness_sharing(journal.clone());
    b.engine.watch_orphans();
    let id = a.submit(ten_phases(), RunOptions::default()).await;
    tokio::time::sleep(Duration::from_secs(1)).await;

    // A's lease runs out under it (its clock jumped, a VM pause) while its
    // renewals seem to succeed: B takes the run over.
    journal.leases.lock().unwrap().remove(&a.engine.owner().id);
    journal.frozen.lock().unwrap().push(a.engine.owner().id);
    tokio::time::sleep(DEFAULT_HEARTBEAT * 3).await;

    // B took it over and recovered it; A noticed and stopped its runner.
    assert_eq!(a.status(id), ExecutionStatus::Interrupted);
    assert!(a.engine.active().is_empty(), "A's runner stopped");
    let calls_of_a = a.calls().len();
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(a.calls().len(), calls_of_a, "A injected nothing more");
    assert!(calls_of_a < 10, "A did not run its remaining phases");
    assert_eq!(b.calls().last().map(|c| c.1.as_str()), Some("clear_chaos"));
    assert_one_clean_log(&a, id);
}

#[tokio::test(start_paused = true)]
async fn runs_stopped_while_cut_off_are_handed_back_and_recovered_once_the_journal_answers() {
    let journal = Arc::new(FakeJournal::default());
    let a = harness_sharing(journal.clone());
    a.engine.watch_orphans();
    let id = a.submit(ten_phases(), RunOptions::default()).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    // Cut off entirely: neither renewals nor events get through.
    journal.stalled.lock().unwrap().push(a.engine.owner().id);
    journal.unwritable.lock().unwrap().push(a.engine.owner().id);
    tokio::time::sleep(DEFAULT_LEASE).await;
    assert!(a.engine.active().is_empty(), "A stopped its run itself");
    let rolled_back = a.calls().iter().filter(|c| c.1 == "clear_chaos").count();
    assert_eq!(rolled_back, 1, "{:?}", a.calls());
    // Its end could not be stored: the journal still says running.
    assert_eq!(a.status(id), ExecutionStatus::Running);

    // The journal answers again: the run is handed back, recovered (its
    // chaos cleared once more, to be sure) and ended interrupted.
    journal.stalled.lock().unwrap().clear();
    journal.unwritable.lock().unwrap().clear();
    tokio::time::sleep(DEFAULT_HEARTBEAT * 3).await;
    assert_eq!(a.status(id), ExecutionStatus::Interrupted);
    let kinds = kinds(&a, id);
    assert!(kinds.contains(&"recovery_started"), "{kinds:?}");
    assert_eq!(kinds.last(), Some(&"execution_finished"), "{kinds:?}");
}

#[tokio::test(start_paused = true)]
async fn two_engines_recovering_at_once_take_each_orphan_once() {
    let journal = Arc::new(FakeJournal::default());
    let id = super::ExecutionId::new();
    journal.left_behind(id, &ten_phases(), ExecutionStatus::Running);
    let b = harness_sharing(journal.clone());
    let c = harness_sharing(journal.clone());
    let (by_b, by_c) = tokio::join!(b.engine.recover_orphans(), c.engine.recover_orphans());
    assert_eq!(by_b.unwrap().len() + by_c.unwrap().len(), 1);
    assert_eq!(b.calls().len() + c.calls().len(), 1, "one rollback");
    assert_eq!(b.status(id), ExecutionStatus::Interrupted);
    assert_one_clean_log(&b, id);
}

#[tokio::test(start_paused = true)]
async fn an_engine_that_shuts_down_ends_its_lease_so_others_need_not_wait() {
    let journal = Arc::new(FakeJournal::default());
    let a = harness_sharing(journal.clone());
    let owner = a.engine.owner().id;
    let id = a.submit(ten_phases(), RunOptions::default()).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    a.engine.shutdown().await;
    assert_eq!(a.status(id), ExecutionStatus::Interrupted);
    assert!(!journal.leases.lock().unwrap().contains_key(&owner));
    assert_one_clean_log(&a, id);
}

fn resuming() -> RunOptions {
    RunOptions {
        on_owner_loss: OnOwnerLoss::Resume,
        ..RunOptions::default()
    }
}

#[tokio::test(start_paused = true)]
async fn a_run_that_asked_to_resume_goes_on_from_its_phase_on_the_engine_that_took_it_over() {
    let journal = Arc::new(FakeJournal::default());
    let a = harness_sharing(journal.clone());
    let b = harness_sharing(journal.clone());
    b.engine.watch_and_resume_orphans();
    let id = a.submit(ten_phases(), resuming()).await;
    // Inside phase p3 (30 s to 40 s): p0 to p3 injected.
    tokio::time::sleep(Duration::from_secs(35)).await;
    assert_eq!(a.calls().len(), 4);
    a.engine.crash();
    tokio::time::sleep(DEFAULT_LEASE + DEFAULT_HEARTBEAT).await;
    assert_eq!(a.status(id), ExecutionStatus::Running, "it runs on, on B");
    assert_eq!(b.engine.active(), vec![id]);
    tokio::time::sleep(Duration::from_secs(80)).await;

    assert_eq!(a.status(id), ExecutionStatus::Completed);
    let on_b: Vec<String> = b.calls().into_iter().map(|c| c.1).collect();
    assert_eq!(
        on_b,
        ["clear_chaos"]
            .into_iter()
            .chain(["inject_latency"; 7])
            .map(String::from)
            .collect::<Vec<_>>(),
        "B rolled A's chaos back, then ran p3 to p9"
    );
    let events = a.events(id);
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.name()).collect();
    let recovery = kinds.iter().position(|k| *k == "recovery_started").unwrap();
    assert_eq!(
        &kinds[recovery..recovery + 7],
        [
            "recovery_started",
            "rollback_started",
            "action_started",
            "action_finished",
            "rollback_finished",
            "resumed_on_new_owner",
            "phase_started",
        ]
    );
    let resumed = &events[recovery + 5];
    assert_eq!(resumed.phase, Some(3));
    assert_eq!(resumed.planned_ms, Some(30_000));
    assert!(matches!(
        &resumed.kind,
        EventKind::ResumedOnNewOwner { name, iteration: 1, paused: false, resumption: 1 } if name == "p3"
    ));
    // p3 began twice (on A, then on B, on its own timeline from 30 s); every
    // other phase once.
    let started = |name: &str| {
        events
            .iter()
            .filter(|e| matches!(&e.kind, EventKind::PhaseStarted { name: n, .. } if n == name))
            .count()
    };
    assert_eq!((started("p2"), started("p3"), started("p9")), (1, 2, 1));
    let Some(EventKind::ExecutionFinished { verdict, .. }) = events.last().map(|e| &e.kind) else {
        panic!("{kinds:?}");
    };
    assert!(verdict.passed, "{verdict:?}");
    let phases = &verdict.criteria[0];
    assert!(
        phases.detail.starts_with("10 of 10 phases completed"),
        "the phases A finished count: {phases:?}"
    );
    assert_one_clean_log(&a, id);
}

#[tokio::test(start_paused = true)]
async fn a_paused_run_resumes_paused_and_runs_on_when_resumed_on_the_new_owner() {
    let journal = Arc::new(FakeJournal::default());
    let a = harness_sharing(journal.clone());
    let b = harness_sharing(journal.clone());
    b.engine.watch_and_resume_orphans();
    let id = a.submit(ten_phases(), resuming()).await;
    tokio::time::sleep(Duration::from_secs(15)).await;
    a.engine
        .control(id, super::event::ControlCommand::Pause)
        .unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    a.engine.crash();
    tokio::time::sleep(DEFAULT_LEASE * 3).await;
    assert_eq!(a.status(id), ExecutionStatus::Paused);
    assert_eq!(
        b.calls().iter().map(|c| c.1.as_str()).collect::<Vec<_>>(),
        ["clear_chaos"],
        "B rolled A's chaos back and, paused, injects nothing yet"
    );
    b.engine
        .control(id, super::event::ControlCommand::Resume)
        .unwrap();
    tokio::time::sleep(Duration::from_secs(100)).await;
    assert_eq!(a.status(id), ExecutionStatus::Completed);
    assert_eq!(b.calls().len(), 1 + 9, "p1 to p9 on B");
    assert_one_clean_log(&a, id);
}

#[tokio::test(start_paused = true)]
async fn a_run_that_asked_to_resume_ends_when_a_process_that_runs_only_its_own_takes_it_over() {
    let journal = Arc::new(FakeJournal::default());
    let a = harness_sharing(journal.clone());
    // As a local `execute` does: it rolls others' runs back, runs none.
    let b = harness_sharing(journal.clone());
    b.engine.watch_orphans();
    let id = a.submit(ten_phases(), resuming()).await;
    tokio::time::sleep(Duration::from_secs(15)).await;
    a.engine.crash();
    tokio::time::sleep(DEFAULT_LEASE * 2).await;
    assert_eq!(a.status(id), ExecutionStatus::Interrupted);
    assert_eq!(b.calls().len(), 1, "rolled back only: {:?}", b.calls());
    let Some(EventKind::ExecutionFinished { verdict, .. }) =
        a.events(id).last().map(|e| e.kind.clone())
    else {
        panic!("not ended");
    };
    assert!(
        verdict
            .summary
            .contains("not resumed: `engine` took it over"),
        "{}",
        verdict.summary
    );
    assert_one_clean_log(&a, id);
}
