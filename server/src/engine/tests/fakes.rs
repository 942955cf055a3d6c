//! The fakes engine tests run on: a journal, services, assertions and
//! workload traffic on virtual time, and the harness that starts an engine
//! on them.

use std::{
    collections::{BTreeSet, HashMap},
    sync::{Arc, Mutex},
    time::Duration,
};

use app::{
    api::ExecutionStatus,
    scenario::{
        catalog::{ActionSpec, Catalog, ParamSpec, ParamType, ServiceKind, ServiceSpec},
        validate::{validate_text, ValidateOptions},
    },
};
use futures::future::BoxFuture;
use serde_json::Value;
use tokio::time::Instant;

use crate::engine::{
    event::{ActionOutcome, Event},
    owner::{Orphan, Owner, OwnerId},
    *,
};

/// The store on virtual time: leases end at a `tokio::time::Instant`, so two
/// engines sharing one journal see the same clock.
#[derive(Default)]
pub(in crate::engine) struct FakeJournal {
    pub(in crate::engine) events: Mutex<Vec<Event>>,
    pub(in crate::engine) statuses: Mutex<HashMap<ExecutionId, ExecutionStatus>>,
    /// Owner of each execution (`None`: stored before owners existed).
    pub(in crate::engine) owners: Mutex<HashMap<ExecutionId, Option<OwnerId>>>,
    /// Lease of each owner.
    pub(in crate::engine) leases: Mutex<HashMap<OwnerId, Instant>>,
    /// Plan and options of each execution, for claims.
    pub(in crate::engine) plans: Mutex<HashMap<ExecutionId, (Plan, RunOptions)>>,
    /// Owners whose renewals fail (a stalled disk, a partition).
    pub(in crate::engine) stalled: Mutex<Vec<OwnerId>>,
    /// Owners whose renewals seem to succeed but extend nothing (a clock
    /// that jumped, a VM paused past its lease).
    pub(in crate::engine) frozen: Mutex<Vec<OwnerId>>,
    /// Owners whose events cannot be written (the database is away).
    pub(in crate::engine) unwritable: Mutex<Vec<OwnerId>>,
}

impl FakeJournal {
    pub(in crate::engine) fn gone(&self, owner: Option<OwnerId>) -> bool {
        owner.is_none_or(|o| {
            self.leases
                .lock()
                .unwrap()
                .get(&o)
                .is_none_or(|until| *until <= Instant::now())
        })
    }

    /// An execution a crash left `status` with `next_seq` events, owned by nobody.
    pub(in crate::engine) fn left_behind(
        &self,
        id: ExecutionId,
        plan: &Plan,
        status: ExecutionStatus,
    ) {
        self.statuses.lock().unwrap().insert(id, status);
        self.owners.lock().unwrap().insert(id, None);
        self.plans
            .lock()
            .unwrap()
            .insert(id, (plan.clone(), RunOptions::default()));
    }
}

impl Journal for FakeJournal {
    fn insert_execution<'a>(
        &'a self,
        execution: &'a NewExecution,
        owner: &'a Owner,
    ) -> BoxFuture<'a, Result<(), String>> {
        self.statuses
            .lock()
            .unwrap()
            .insert(execution.id, ExecutionStatus::Queued);
        self.owners
            .lock()
            .unwrap()
            .insert(execution.id, Some(owner.id));
        self.plans.lock().unwrap().insert(
            execution.id,
            ((*execution.plan).clone(), execution.options.clone()),
        );
        self.leases
            .lock()
            .unwrap()
            .insert(owner.id, Instant::now() + owner.lease);
        Box::pin(async { Ok(()) })
    }

    fn append<'a>(
        &'a self,
        owner: OwnerId,
        events: &'a [(Event, Option<ExecutionStatus>)],
    ) -> BoxFuture<'a, Result<Vec<ExecutionId>, String>> {
        if self.unwritable.lock().unwrap().contains(&owner) {
            return Box::pin(async { Err("database unreachable".to_owned()) });
        }
        let mut refused = Vec::new();
        for (event, status) in events {
            let owned = self.owners.lock().unwrap().get(&event.execution_id) == Some(&Some(owner));
            if !owned {
                if !refused.contains(&event.execution_id) {
                    refused.push(event.execution_id);
                }
                continue;
            }
            // Kept even when its seq repeats: tests check the numbering.
            self.events.lock().unwrap().push(event.clone());
            if let Some(status) = status {
                self.statuses
                    .lock()
                    .unwrap()
                    .insert(event.execution_id, *status);
            }
        }
        Box::pin(async { Ok(refused) })
    }

    fn renew_lease<'a>(&'a self, owner: &'a Owner) -> BoxFuture<'a, Result<(), String>> {
        if self.stalled.lock().unwrap().contains(&owner.id) {
            return Box::pin(async { Err("disk stalled".to_owned()) });
        }
        if self.frozen.lock().unwrap().contains(&owner.id) {
            return Box::pin(async { Ok(()) });
        }
        self.leases
            .lock()
            .unwrap()
            .insert(owner.id, Instant::now() + owner.lease);
        Box::pin(async { Ok(()) })
    }

    fn release(&self, owner: OwnerId) -> BoxFuture<'_, Result<(), String>> {
        self.leases.lock().unwrap().remove(&owner);
        Box::pin(async { Ok(()) })
    }

    fn give_up<'a>(
        &'a self,
        owner: OwnerId,
        ids: &'a [ExecutionId],
    ) -> BoxFuture<'a, Result<(), String>> {
        let mut owners = self.owners.lock().unwrap();
        for id in ids {
            if owners.get(id) == Some(&Some(owner)) {
                owners.insert(*id, None);
            }
        }
        Box::pin(async { Ok(()) })
    }

    fn disowned<'a>(
        &'a self,
        owner: OwnerId,
        ids: &'a [ExecutionId],
    ) -> BoxFuture<'a, Result<Vec<ExecutionId>, String>> {
        let owners = self.owners.lock().unwrap();
        let lost = ids
            .iter()
            .filter(|id| owners.get(id).is_some_and(|o| *o != Some(owner)))
            .copied()
            .collect();
        Box::pin(async move { Ok(lost) })
    }

    fn enqueue(&self, _id: ExecutionId, _owner: OwnerId) -> BoxFuture<'_, Result<bool, String>> {
        Box::pin(async { Ok(false) })
    }

    fn claim_queued<'a>(
        &'a self,
        _owner: &'a Owner,
        _only: Option<ExecutionId>,
    ) -> BoxFuture<'a, Result<Option<super::Queued>, String>> {
        Box::pin(async { Ok(None) })
    }

    fn queue_len(&self) -> BoxFuture<'_, Result<usize, String>> {
        Box::pin(async { Ok(0) })
    }

    fn orphaned(&self) -> BoxFuture<'_, Result<Vec<Orphan>, String>> {
        let statuses = self.statuses.lock().unwrap().clone();
        let owners = self.owners.lock().unwrap().clone();
        let mut list: Vec<Orphan> = statuses
            .into_iter()
            .filter(|(_, status)| !status.is_finished())
            .filter_map(|(id, status)| {
                let owner = owners.get(&id).copied().flatten();
                self.gone(owner).then(|| Orphan {
                    id,
                    scenario: "s".into(),
                    status,
                    owner,
                    owner_label: owner.map(|o| format!("engine {o}")),
                })
            })
            .collect();
        list.sort_by_key(|o| o.id);
        Box::pin(async move { Ok(list) })
    }

    fn claim<'a>(
        &'a self,
        id: ExecutionId,
        previous: Option<OwnerId>,
        owner: &'a Owner,
    ) -> BoxFuture<'a, Result<Option<Unfinished>, String>> {
        self.leases
            .lock()
            .unwrap()
            .insert(owner.id, Instant::now() + owner.lease);
        let status = self.statuses.lock().unwrap().get(&id).copied();
        let mut owners = self.owners.lock().unwrap();
        let claimed = match (status, owners.get(&id).copied()) {
            (Some(status), Some(current))
                if !status.is_finished() && current == previous && self.gone(current) =>
            {
                owners.insert(id, Some(owner.id));
                let (plan, options) = self.plans.lock().unwrap()[&id].clone();
                // Every event: the resume point reads only its milestones.
                let history: Vec<Event> = self
                    .events
                    .lock()
                    .unwrap()
                    .iter()
                    .filter(|e| e.execution_id == id)
                    .cloned()
                    .collect();
                Some(Unfinished {
                    id,
                    status,
                    plan,
                    next_seq: history.last().map_or(0, |e| e.seq + 1),
                    options,
                    history,
                    previous_owner: None,
                })
            }
            _ => None,
        };
        Box::pin(async move { Ok(claimed) })
    }
}

/// Records each call with its virtual time since the test began; actions named
/// `fail_*` fail, `hang_*` never answer, `slow_*` answer after a minute and
/// `panic_*` panic (a bug in an adapter).
pub(in crate::engine) struct FakeServices {
    pub(in crate::engine) epoch: Instant,
    pub(in crate::engine) calls: Mutex<Vec<(String, String, Duration)>>,
}

impl ServiceCaller for FakeServices {
    fn call<'a>(&'a self, call: &'a ActionCall) -> BoxFuture<'a, ActionOutcome> {
        self.calls.lock().unwrap().push((
            call.service.clone(),
            call.action.clone(),
            self.epoch.elapsed(),
        ));
        let ok = !call.action.starts_with("fail");
        let action = call.action.clone();
        Box::pin(async move {
            if action.starts_with("hang") {
                std::future::pending::<()>().await;
            }
            if action.starts_with("slow") {
                tokio::time::sleep(Duration::from_secs(60)).await;
            }
            assert!(
                !action.starts_with("panic"),
                "fake adapter: {action} panics"
            );
            ActionOutcome {
                ok,
                status: Some(if ok { 200 } else { 500 }),
                latency_ms: 0.0,
                message: String::new(),
                response: Value::Null,
            }
        })
    }
}

/// A workload target on virtual time: how request `seq` sent at a given time
/// (since the test began) ends, and how long it takes.
pub(in crate::engine) type Behaviour = fn(Duration) -> (Duration, figures::Outcome);

pub(in crate::engine) struct FakeLoad {
    pub(in crate::engine) epoch: Instant,
    pub(in crate::engine) behaviour: Behaviour,
    pub(in crate::engine) sent: Arc<std::sync::atomic::AtomicU64>,
    /// Asks for a thread of its own, as a real sender does (real time only).
    pub(in crate::engine) own_thread: bool,
    /// The names of the threads requests were sent from.
    pub(in crate::engine) threads: Arc<Mutex<BTreeSet<String>>>,
}

impl FakeLoad {
    pub(in crate::engine) fn steady() -> Self {
        Self::with(|_| (Duration::from_millis(5), figures::Outcome::Success))
    }

    pub(in crate::engine) fn with(behaviour: Behaviour) -> Self {
        Self {
            epoch: Instant::now(),
            behaviour,
            sent: Arc::default(),
            own_thread: false,
            threads: Arc::default(),
        }
    }
}

pub(in crate::engine) struct FakeStream {
    pub(in crate::engine) epoch: Instant,
    pub(in crate::engine) behaviour: Behaviour,
    pub(in crate::engine) sent: Arc<std::sync::atomic::AtomicU64>,
    pub(in crate::engine) threads: Arc<Mutex<BTreeSet<String>>>,
}

impl LoadSender for FakeLoad {
    fn prepare(
        &self,
        _stream: &app::scenario::workload::Stream,
        _execution_id: ExecutionId,
        _speed: f64,
    ) -> Result<Arc<dyn StreamSender>, String> {
        Ok(Arc::new(FakeStream {
            epoch: self.epoch,
            behaviour: self.behaviour,
            sent: self.sent.clone(),
            threads: self.threads.clone(),
        }))
    }

    fn own_thread(&self) -> bool {
        self.own_thread
    }
}

impl StreamSender for FakeStream {
    fn send(&self, _seq: u64) -> BoxFuture<'static, figures::Outcome> {
        self.sent.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let thread = std::thread::current();
        self.threads
            .lock()
            .expect("threads")
            .insert(thread.name().unwrap_or("unnamed").to_owned());
        let (latency, outcome) = (self.behaviour)(self.epoch.elapsed());
        Box::pin(async move {
            tokio::time::sleep(latency).await;
            outcome
        })
    }
}

/// Passes an assertion on the attempt given by its `min_increase` parameter
/// (never when absent); `min_increase: 0` is a slow check that answers (and
/// holds) only after a minute.
pub(in crate::engine) struct FakeAssertions;

impl AssertionChecker for FakeAssertions {
    fn check<'a>(&'a self, call: &'a AssertionCall) -> BoxFuture<'a, CheckOutcome> {
        let hold_on = call.parameters.get("min_increase").and_then(Value::as_u64);
        let passed = hold_on.is_some_and(|n| u64::from(call.attempt) >= n);
        Box::pin(async move {
            if hold_on == Some(0) {
                tokio::time::sleep(Duration::from_secs(60)).await;
            }
            CheckOutcome {
                passed,
                message: format!("attempt {}", call.attempt),
                evidence: Value::Null,
            }
        })
    }
}

pub(in crate::engine) fn catalog() -> Catalog {
    let mut catalog = Catalog::new();
    let delay = ParamSpec::new("delay_ms", ParamType::Int);
    catalog.add_service(
        "exchange-simulator",
        ServiceSpec {
            kind: ServiceKind::ChaosApi,
            actions: vec![
                ActionSpec::new("inject_latency", vec![delay]),
                ActionSpec::new("fail_now", vec![]),
                ActionSpec::new("hang_now", vec![]),
                ActionSpec::new("slow_now", vec![]),
                ActionSpec::new("panic_now", vec![]),
            ],
        },
    );
    catalog.add_service(
        "custodian-simulator",
        ServiceSpec {
            kind: ServiceKind::ChaosApi,
            actions: vec![ActionSpec::new("hang_now", vec![])],
        },
    );
    catalog
}

pub(in crate::engine) fn plan(yaml: &str) -> Arc<Plan> {
    let validation = validate_text(yaml, &catalog(), &ValidateOptions::default());
    let (plan, _warnings) = validation
        .into_result()
        .unwrap_or_else(|d| panic!("test plan invalid: {d:#?}"));
    Arc::new(plan)
}

pub(in crate::engine) struct Harness {
    pub(in crate::engine) engine: Engine,
    pub(in crate::engine) journal: Arc<FakeJournal>,
    pub(in crate::engine) services: Arc<FakeServices>,
    pub(in crate::engine) load_sent: Arc<std::sync::atomic::AtomicU64>,
}

pub(in crate::engine) fn harness(max_concurrent: usize) -> Harness {
    harness_with_load(max_concurrent, FakeLoad::steady())
}

pub(in crate::engine) fn harness_with_load(max_concurrent: usize, load: FakeLoad) -> Harness {
    harness_on(Arc::new(FakeJournal::default()), max_concurrent, load)
}

/// An engine (one process) on `journal`, which other harnesses may share.
pub(in crate::engine) fn harness_sharing(journal: Arc<FakeJournal>) -> Harness {
    harness_on(journal, 3, FakeLoad::steady())
}

pub(in crate::engine) fn harness_on(
    journal: Arc<FakeJournal>,
    max_concurrent: usize,
    load: FakeLoad,
) -> Harness {
    let load_sent = load.sent.clone();
    let services = Arc::new(FakeServices {
        epoch: Instant::now(),
        calls: Mutex::new(Vec::new()),
    });
    let engine = Engine::start(EngineParts {
        journal: journal.clone(),
        services: services.clone(),
        assertions: Arc::new(FakeAssertions),
        load: Arc::new(load),
        settings: EngineSettings {
            max_concurrent,
            default_rollback_services: vec!["exchange-simulator".into()],
            notify_on_rollback: false,
            precise_timing: false,
            ..EngineSettings::default()
        },
    });
    Harness {
        engine,
        journal,
        services,
        load_sent,
    }
}

impl Harness {
    pub(in crate::engine) async fn submit(
        &self,
        plan: Arc<Plan>,
        options: RunOptions,
    ) -> ExecutionId {
        self.engine
            .submit(NewExecution {
                id: ExecutionId::new(),
                plan,
                definition: String::new(),
                parameters: None,
                scenario_id: None,
                options,
                started_by: StartedBy::new(Channel::Cli, "local:test"),
            })
            .await
            .unwrap()
    }

    /// `(kind, phase, offset_ms)` of every event of `id`.
    pub(in crate::engine) fn trace(
        &self,
        id: ExecutionId,
    ) -> Vec<(&'static str, Option<usize>, Option<u64>)> {
        self.events(id)
            .iter()
            .map(|e| (e.kind.name(), e.phase, e.offset_ms))
            .collect()
    }

    pub(in crate::engine) fn events(&self, id: ExecutionId) -> Vec<Event> {
        self.journal
            .events
            .lock()
            .unwrap()
            .iter()
            .filter(|e| e.execution_id == id)
            .cloned()
            .collect()
    }

    pub(in crate::engine) fn status(&self, id: ExecutionId) -> ExecutionStatus {
        self.journal.statuses.lock().unwrap()[&id]
    }

    pub(in crate::engine) fn load_sent(&self) -> u64 {
        self.load_sent.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub(in crate::engine) fn calls(&self) -> Vec<(String, String, Duration)> {
        self.services.calls.lock().unwrap().clone()
    }
}

pub(in crate::engine) const HEADER: &str =
    "apiVersion: chaos.trading/v1\nkind: Scenario\nmetadata:\n  name: t\n";

pub(in crate::engine) fn secs(n: u64) -> Option<u64> {
    Some(n * 1000)
}
