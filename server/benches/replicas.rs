//! Scale-out benchmark (issue 21; prints figures, asserts nothing). It needs
//! a PostgreSQL server: `make bench` runs it under scripts/pg-throwaway.sh,
//! or run `scripts/pg-throwaway.sh run -- cargo bench -p server --bench replicas`.
//!
//! Replicas are engines on the real store, each with its own connection pool,
//! owner and `LISTEN` connection, as `serve` builds them: everything but HTTP.
//! Each short execution is one phase of 1 s at speed 1000 with one HTTP call to
//! a local target.
//! 1. A shared queue of 1,000 executions drained by 1 and 3 replicas on
//!    PostgreSQL: executions/s sustained and events written/s.
//! 2. The same 1,000 submitted by one client while they run, submissions
//!    included, on PostgreSQL and on one SQLite coordinator (one process:
//!    SQLite has no shared queue) at 3, 9 and 27 slots, to see where it stops
//!    scaling.
//! 3. Queue-claim latency on an idle cluster: from a submission (through
//!    each replica in turn) to its `execution_started` on whichever replica
//!    claimed it, p50 and p99 of 200.

use std::{
    collections::{BTreeMap, HashSet},
    sync::Arc,
    time::{Duration, Instant},
};

use app::scenario::{
    catalog::{Catalog, ServiceKind, ServiceSpec},
    validate::{validate_text, ValidateOptions},
};
use server::{
    adapters::{HttpLoad, HttpServices},
    assertions::Registry,
    config::ServiceConfig,
    engine::{
        event::EventKind, Channel, Engine, EngineParts, EngineSettings, ExecutionId, NewExecution,
        RunOptions, StartedBy,
    },
    store::{Database, Store},
};
use tokio_util::sync::CancellationToken;

const QUEUE: usize = 1_000;
const SLOTS: usize = 3;
const CLAIMS: usize = 200;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

async fn start_target() -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port for the target");
    let address = listener.local_addr().expect("the target's address");
    let router = axum::Router::new().route("/", axum::routing::get(|| async { "ok" }));
    tokio::spawn(async move {
        axum::serve(listener, router)
            .await
            .expect("the target serves")
    });
    address
}

fn services(target: std::net::SocketAddr) -> BTreeMap<String, ServiceConfig> {
    let mut services = BTreeMap::new();
    services.insert(
        "target".to_owned(),
        ServiceConfig::plain(
            "target",
            format!("http://{target}").parse().expect("a target URL"),
        ),
    );
    services
}

fn plan() -> Arc<app::scenario::plan::Plan> {
    let mut catalog = Catalog::new();
    catalog.add_service(
        "target",
        ServiceSpec {
            kind: ServiceKind::Http,
            actions: vec![],
        },
    );
    let yaml = "apiVersion: chaos.trading/v1\nkind: Scenario\nmetadata:\n  name: short\nspec:\n  phases:\n    - name: p\n      duration: 1s\n      actions:\n        - {service: target, action: http, parameters: {method: GET, path: /}}\n";
    let (plan, _) = validate_text(yaml, &catalog, &ValidateOptions::default())
        .into_result()
        .unwrap_or_else(|d| panic!("bench plan invalid: {d:#?}"));
    Arc::new(plan)
}

fn execution(plan: &Arc<app::scenario::plan::Plan>) -> NewExecution {
    NewExecution {
        id: ExecutionId::new(),
        plan: plan.clone(),
        definition: String::new(),
        parameters: None,
        scenario_id: None,
        options: RunOptions {
            speed: 1000.0,
            ..RunOptions::default()
        },
        started_by: StartedBy::new(Channel::Api, "local:bench"),
    }
}

/// A fresh database: an SQLite file in `dir`, or one on the test server.
async fn fresh(postgres: bool, dir: &std::path::Path) -> Database {
    if !postgres {
        return Database::Sqlite(dir.join(format!("{}.db", uuid::Uuid::new_v4().simple())));
    }
    let admin = std::env::var("TEST_COORDINATOR_PG_ADMIN_URL")
        .expect("run under scripts/pg-throwaway.sh run -- (TEST_COORDINATOR_PG_ADMIN_URL)");
    server::store::testing::scratch_database(&admin, "tc_bench").await
}

struct Cluster {
    engines: Vec<Engine>,
    store: Store,
    stop: CancellationToken,
}

/// `replicas` engines on `database`, `slots` each; on PostgreSQL with the
/// shared queue (claimers not yet started) and the listener `serve` runs.
async fn cluster(
    database: &Database,
    replicas: usize,
    slots: usize,
    target: std::net::SocketAddr,
) -> Cluster {
    let shared = matches!(database, Database::Postgres(_));
    let stop = CancellationToken::new();
    let mut engines = Vec::new();
    let mut stores = Vec::new();
    for _ in 0..replicas {
        let store = Store::connect(database)
            .await
            .expect("the bench database opens");
        let services = services(target);
        let adapters = HttpServices::new(services.clone());
        let client = adapters.client().clone();
        let engine = Engine::start(EngineParts {
            journal: Arc::new(store.clone()),
            services: Arc::new(adapters),
            assertions: Arc::new(Registry::new(client, services.clone(), None, Vec::new())),
            load: Arc::new(HttpLoad::new(services)),
            settings: EngineSettings {
                max_concurrent: slots,
                notify_on_rollback: false,
                shared_queue: shared,
                ..EngineSettings::default()
            },
        });
        if let Database::Postgres(url) = database {
            server::cluster::spawn(url.clone(), store.clone(), engine.clone(), stop.clone());
        }
        engines.push(engine);
        stores.push(store);
    }
    Cluster {
        engines,
        store: stores.swap_remove(0),
        stop,
    }
}

impl Cluster {
    /// Waits until `count` executions have finished, as the store has them:
    /// polled every 5 ms (a broadcast would drop events at these rates).
    async fn wait_finished(&self, count: usize) {
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            let finished: u64 = self
                .store
                .count_executions_by_status()
                .await
                .expect("the counts by status")
                .into_iter()
                .filter(|(status, _)| status.is_finished())
                .map(|(_, n)| n)
                .sum();
            if finished as usize >= count {
                return;
            }
            assert!(Instant::now() < deadline, "{finished} of {count} finished");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    async fn shutdown(self) {
        for engine in &self.engines {
            engine.shutdown().await;
        }
        self.stop.cancel();
        self.store.close().await;
    }
}

/// Runs [`QUEUE`] executions: (executions/s, events/s). With `prefill`
/// (PostgreSQL), all are in the shared queue before any replica claims, and
/// the clock measures the draining alone; without, they are submitted as fast
/// as one client can, through each replica in turn, while they run (a queue
/// forms: submitting is faster than running), and the clock includes the
/// submissions.
async fn drain(
    database: &Database,
    replicas: usize,
    slots: usize,
    target: std::net::SocketAddr,
    prefill: bool,
) -> (f64, f64) {
    let cluster = cluster(database, replicas, slots, target).await;
    let plan = plan();
    let mut ids = HashSet::new();
    let shared = matches!(database, Database::Postgres(_));
    let claim = |cluster: &Cluster| {
        if shared {
            for engine in &cluster.engines {
                engine.serve_shared_queue();
            }
        }
    };
    if !prefill {
        claim(&cluster);
    }
    let mut started = Instant::now();
    for i in 0..QUEUE {
        let engine = &cluster.engines[i % cluster.engines.len()];
        ids.insert(engine.submit(execution(&plan)).await.expect("a submission"));
    }
    if prefill {
        started = Instant::now();
        claim(&cluster);
    }
    cluster.wait_finished(ids.len()).await;
    let took = started.elapsed().as_secs_f64();
    let mut events = 0usize;
    for id in &ids {
        events += cluster
            .store
            .list_events(*id, None, 10_000)
            .await
            .expect("the stored events")
            .len();
    }
    cluster.shutdown().await;
    (QUEUE as f64 / took, events as f64 / took)
}

/// Submission to `execution_started`, on an idle cluster: (p50, p99) in ms.
async fn claim_latency(
    database: &Database,
    replicas: usize,
    target: std::net::SocketAddr,
) -> (f64, f64) {
    let cluster = cluster(database, replicas, SLOTS, target).await;
    if matches!(database, Database::Postgres(_)) {
        for engine in &cluster.engines {
            engine.serve_shared_queue();
        }
    }
    let plan = plan();
    let mut samples = Vec::new();
    let mut events: Vec<_> = cluster.engines.iter().map(Engine::subscribe).collect();
    for i in 0..CLAIMS {
        let submitted = Instant::now();
        let id = cluster.engines[i % replicas]
            .submit(execution(&plan))
            .await
            .expect("a submission");
        let (mut started, mut finished) = (None, false);
        while started.is_none() || !finished {
            for receiver in &mut events {
                while let Ok(event) = receiver.try_recv() {
                    if event.execution_id != id {
                        continue;
                    }
                    match event.kind {
                        EventKind::ExecutionStarted { .. } if started.is_none() => {
                            started = Some(submitted.elapsed());
                        }
                        EventKind::ExecutionFinished { .. } => finished = true,
                        _ => {}
                    }
                }
            }
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
        samples.push(started.unwrap_or_default().as_secs_f64() * 1000.0);
    }
    cluster.shutdown().await;
    samples.sort_by(f64::total_cmp);
    (percentile(&samples, 50.0), percentile(&samples, 99.0))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let target = start_target().await;
    let dir = tempfile::tempdir().expect("a temporary folder");
    println!("scale-out: {QUEUE} short executions (1 phase, 1 HTTP call, speed 1000)");
    println!();
    println!("draining a shared queue of {QUEUE} (all queued before the first claim)");
    println!("{:<38} {:>13} {:>13}", "", "executions/s", "events/s");
    for (label, replicas, slots) in [
        ("PostgreSQL, 1 replica, 3 slots", 1, SLOTS),
        ("PostgreSQL, 3 replicas, 3 slots each", 3, SLOTS),
        ("PostgreSQL, 3 replicas, 9 slots each", 3, 3 * SLOTS),
    ] {
        let database = fresh(true, dir.path()).await;
        let (executions, events) = drain(&database, replicas, slots, target, true).await;
        println!("{label:<38} {executions:>13.1} {events:>13.0}");
    }
    println!();
    println!("submitted by one client while they run (submissions included)");
    println!("{:<38} {:>13} {:>13}", "", "executions/s", "events/s");
    for (label, postgres, replicas, slots) in [
        ("SQLite, 1 coordinator, 3 slots", false, 1, SLOTS),
        ("SQLite, 1 coordinator, 9 slots", false, 1, 3 * SLOTS),
        ("SQLite, 1 coordinator, 27 slots", false, 1, 9 * SLOTS),
        ("PostgreSQL, 1 replica, 3 slots", true, 1, SLOTS),
        ("PostgreSQL, 3 replicas, 3 slots each", true, 3, SLOTS),
    ] {
        let database = fresh(postgres, dir.path()).await;
        let (executions, events) = drain(&database, replicas, slots, target, false).await;
        println!("{label:<38} {executions:>13.1} {events:>13.0}");
    }
    println!();
    println!("queue-claim latency (submission → execution_started, idle, {CLAIMS} submissions)");
    println!("{:<34} {:>9} {:>9}", "", "p50 ms", "p99 ms");
    for (label, postgres, replicas) in [
        ("SQLite, 1 coordinator (local queue)", false, 1),
        ("PostgreSQL, 1 replica", true, 1),
        ("PostgreSQL, 3 replicas", true, 3),
    ] {
        let database = fresh(postgres, dir.path()).await;
        let (p50, p99) = claim_latency(&database, replicas, target).await;
        println!("{label:<34} {p50:>9.2} {p99:>9.2}");
    }
}
