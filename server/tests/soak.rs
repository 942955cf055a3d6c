//! Soak test (issue 14): 10,000 short executions through the engine keep the
//! process's memory flat. RSS (from `/proc/self/statm`) is printed after 1,000
//! and after 10,000 executions; more than 5 % growth between the two fails.
//!
//! It guards the two leaks found in review: finished execution tasks kept in
//! the engine's `JoinSet` for the process's life, and the assertion registry's
//! per-execution memory kept after the execution ended. So it runs the real
//! engine, the real HTTP adapters and the real assertion [`Registry`] against a
//! tiny in-process HTTP service, with a journal that keeps nothing (the store
//! is not what is measured). Each execution calls one action and polls a
//! `system_health` assertion that remembers its streak and never reaches it,
//! so the registry holds memory for every execution until it ends.
//!
//! A warm-up of 1,000 executions comes first, uncounted: the first ones grow
//! the allocator's arenas, the connection pool and the broadcast ring once.
//! Its own test binary on a current-thread runtime, so no other test's threads allocate while it measures;
//! it never calls `Engine::wait_idle` (which reaps every task), as `serve` never does.

use std::{
    collections::BTreeMap,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use app::{
    api::ExecutionStatus,
    scenario::{
        catalog::{Catalog, ServiceKind, ServiceSpec},
        plan::Plan,
        validate::{validate_text, ValidateOptions},
    },
};
use futures::future::BoxFuture;
use server::{
    adapters::{HttpLoad, HttpServices},
    assertions::Registry,
    config::ServiceConfig,
    engine::{
        event::{Event, EventKind},
        owner::{Orphan, Owner, OwnerId},
        Channel, Engine, EngineParts, EngineSettings, ExecutionId, Journal, NewExecution,
        RunOptions, StartedBy, Unfinished,
    },
};
use tokio::sync::Notify;

/// Executions run first and not counted: the allocator's arenas, the
/// connection pool and the broadcast ring fill up (about 1 MB, once).
const WARM_UP: usize = 1_000;
/// Executions before the first reading, and in all.
const WARM: usize = 1_000;
const TOTAL: usize = 10_000;
/// Executions submitted together (the engine runs them all at once).
const WAVE: usize = 100;
/// Largest allowed growth between the two readings.
const MAX_GROWTH: f64 = 0.05;

/// Resident set size in KiB, from `/proc/self/statm` (second field, in pages).
fn rss_kib() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("read /proc/self/statm");
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|field| field.parse().ok())
        .expect("resident pages in /proc/self/statm");
    // SAFETY: sysconf only reads a constant of the system.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    pages * u64::try_from(page).expect("page size") / 1024
}

/// A journal that keeps nothing: it counts finished executions and wakes the test.
#[derive(Default)]
struct CountingJournal {
    finished: AtomicUsize,
    changed: Notify,
}

impl Journal for CountingJournal {
    fn insert_execution<'a>(
        &'a self,
        _execution: &'a NewExecution,
        _owner: &'a Owner,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async { Ok(()) })
    }

    fn append<'a>(
        &'a self,
        _owner: OwnerId,
        events: &'a [(Event, Option<ExecutionStatus>)],
    ) -> BoxFuture<'a, Result<Vec<ExecutionId>, String>> {
        let ended = events
            .iter()
            .filter(|(event, _)| matches!(event.kind, EventKind::ExecutionFinished { .. }))
            .count();
        if ended > 0 {
            self.finished.fetch_add(ended, Ordering::SeqCst);
            self.changed.notify_waiters();
        }
        Box::pin(async { Ok(Vec::new()) })
    }

    fn renew_lease<'a>(&'a self, _owner: &'a Owner) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async { Ok(()) })
    }

    fn release(&self, _owner: OwnerId) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async { Ok(()) })
    }

    fn disowned<'a>(
        &'a self,
        _owner: OwnerId,
        _ids: &'a [ExecutionId],
    ) -> BoxFuture<'a, Result<Vec<ExecutionId>, String>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    fn give_up<'a>(
        &'a self,
        _owner: OwnerId,
        _ids: &'a [ExecutionId],
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async { Ok(()) })
    }

    fn enqueue(&self, _id: ExecutionId, _owner: OwnerId) -> BoxFuture<'_, Result<bool, String>> {
        Box::pin(async { Ok(false) })
    }

    fn claim_queued<'a>(
        &'a self,
        _owner: &'a Owner,
        _only: Option<ExecutionId>,
    ) -> BoxFuture<'a, Result<Option<server::engine::Queued>, String>> {
        Box::pin(async { Ok(None) })
    }

    fn queue_len(&self) -> BoxFuture<'_, Result<usize, String>> {
        Box::pin(async { Ok(0) })
    }

    fn orphaned(&self) -> BoxFuture<'_, Result<Vec<Orphan>, String>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    fn claim<'a>(
        &'a self,
        _id: ExecutionId,
        _previous: Option<OwnerId>,
        _owner: &'a Owner,
    ) -> BoxFuture<'a, Result<Option<Unfinished>, String>> {
        Box::pin(async { Ok(None) })
    }
}

impl CountingJournal {
    async fn wait_finished(&self, count: usize) {
        loop {
            let changed = self.changed.notified();
            if self.finished.load(Ordering::SeqCst) >= count {
                return;
            }
            // A wake-up can be missed between the load and the await: poll too.
            let _ = tokio::time::timeout(Duration::from_millis(50), changed).await;
        }
    }
}

/// A service that is always healthy.
async fn start_target() -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    let router = axum::Router::new().route("/health", axum::routing::get(|| async { "ok" }));
    tokio::spawn(async move { axum::serve(listener, router).await });
    address
}

fn plan() -> Arc<Plan> {
    let mut catalog = Catalog::new();
    catalog.add_service(
        "target",
        ServiceSpec {
            kind: ServiceKind::Http,
            actions: vec![],
        },
    );
    // 1 s of scenario time at speed 100: 10 ms; a poll every 10 ms.
    let yaml = "apiVersion: chaos.trading/v1\nkind: Scenario\nmetadata:\n  name: soak\nspec:\n  phases:\n    - name: p\n      duration: 1s\n      actions:\n        - {service: target, action: http, parameters: {method: GET, path: /health}}\n      assertions:\n        - {type: system_health, expect: healthy, within: 1s, parameters: {health_check_passes: 1000}}\n";
    let (plan, _) = validate_text(yaml, &catalog, &ValidateOptions::default())
        .into_result()
        .unwrap_or_else(|d| panic!("soak plan invalid: {d:#?}"));
    Arc::new(plan)
}

#[tokio::test(flavor = "current_thread")]
async fn ten_thousand_executions_keep_rss_flat() {
    let target = start_target().await;
    let mut services = BTreeMap::new();
    services.insert(
        "target".to_owned(),
        ServiceConfig {
            name: "target".into(),
            url: format!("http://{target}").parse().expect("url"),
            chaos_api_path: None,
            health_endpoint: "/health".into(),
            timeout: Duration::from_secs(5),
            process: None,
            actions: Vec::new(),
            proxy: None,
        },
    );
    let adapters = HttpServices::new(services.clone());
    let client = adapters.client().clone();
    let journal = Arc::new(CountingJournal::default());
    let engine = Engine::start(EngineParts {
        journal: journal.clone(),
        services: Arc::new(adapters),
        assertions: Arc::new(Registry::new(client, services.clone(), None, Vec::new())),
        load: Arc::new(HttpLoad::new(services)),
        settings: EngineSettings {
            max_concurrent: WAVE,
            notify_on_rollback: false,
            ..EngineSettings::default()
        },
    });
    let plan = plan();
    let started = Instant::now();
    let mut rss_at_warm = 0;
    for submitted in (WAVE..=WARM_UP + TOTAL).step_by(WAVE) {
        for _ in 0..WAVE {
            engine
                .submit(NewExecution {
                    id: ExecutionId::new(),
                    plan: plan.clone(),
                    definition: String::new(),
                    parameters: None,
                    scenario_id: None,
                    options: RunOptions {
                        speed: 100.0,
                        ..RunOptions::default()
                    },
                    started_by: StartedBy::new(Channel::Api, "local:test"),
                })
                .await
                .expect("submit");
        }
        journal.wait_finished(submitted).await;
        if submitted == WARM_UP + WARM {
            rss_at_warm = rss_kib();
            println!(
                "soak: RSS after {WARM:>6} executions (and {WARM_UP} of warm-up): {rss_at_warm} KiB ({:.1} s)",
                started.elapsed().as_secs_f64()
            );
        }
    }
    let rss_at_total = rss_kib();
    let growth = (rss_at_total as f64 - rss_at_warm as f64) / rss_at_warm as f64;
    println!(
        "soak: RSS after {TOTAL:>6} executions: {rss_at_total} KiB ({:.1} s); growth {:+.2} % (limit {:.0} %)",
        started.elapsed().as_secs_f64(),
        growth * 100.0,
        MAX_GROWTH * 100.0
    );
    engine.shutdown().await;
    assert!(
        growth <= MAX_GROWTH,
        "RSS grew {:.2} % from {WARM} to {TOTAL} executions ({rss_at_warm} → {rss_at_total} KiB): a leak",
        growth * 100.0
    );
}
