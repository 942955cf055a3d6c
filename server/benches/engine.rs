//! Engine benchmark (prints figures; asserts nothing). Run:
//! `cargo bench -p server --bench engine`
//!
//! On loopback against a trivial local HTTP target, with the real SQLite store:
//! 1. per-action overhead beyond the target's own time, over 1,000 actions;
//! 2. schedule skew (actual − planned) p50/p99/max over 1,000 timed steps, and
//!    whether it accumulates (first vs last hundred);
//! 3. 1,000 concurrent executions: skew p99 and memory per execution;
//! 4. stop-to-effect latency.

use std::{
    collections::BTreeMap,
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
        event::{ControlCommand, EventKind},
        Channel, Engine, EngineParts, EngineSettings, ExecutionId, NewExecution, RunOptions,
        StartedBy,
    },
    store::Store,
};

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("VmRSS:")
                    .map(|v| v.trim().trim_end_matches(" kB").trim().parse().unwrap_or(0))
            })
        })
        .unwrap_or(0)
}

async fn start_target() -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let router = axum::Router::new().route("/", axum::routing::get(|| async { "ok" }));
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    address
}

fn catalog() -> Catalog {
    let mut catalog = Catalog::new();
    catalog.add_service(
        "target",
        ServiceSpec {
            kind: ServiceKind::Http,
            actions: vec![],
        },
    );
    catalog
}

fn plan(yaml: &str) -> Arc<app::scenario::plan::Plan> {
    let (plan, _) = validate_text(yaml, &catalog(), &ValidateOptions::default())
        .into_result()
        .unwrap_or_else(|d| panic!("bench plan invalid: {d:#?}"));
    Arc::new(plan)
}

const HTTP: &str = "{service: target, action: http, parameters: {method: GET, path: /}}";

fn header(name: &str) -> String {
    format!("apiVersion: chaos.trading/v1\nkind: Scenario\nmetadata:\n  name: {name}\nspec:\n  timeout: 30d\n  phases:\n")
}

struct Bench {
    engine: Engine,
    store: Store,
    client: reqwest::Client,
    target: std::net::SocketAddr,
    _dir: tempfile::TempDir,
}

async fn bench(max_concurrent: usize) -> Bench {
    let target = start_target().await;
    let mut services = BTreeMap::new();
    services.insert(
        "target".to_owned(),
        ServiceConfig::plain("target", format!("http://{target}").parse().unwrap()),
    );
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("bench.db")).await.unwrap();
    let adapters = HttpServices::new(services.clone());
    let client = adapters.client().clone();
    let load = HttpLoad::new(services.clone());
    let registry = Registry::new(client.clone(), services, None, Vec::new());
    let engine = Engine::start(EngineParts {
        journal: Arc::new(store.clone()),
        services: Arc::new(adapters),
        assertions: Arc::new(registry),
        load: Arc::new(load),
        settings: EngineSettings {
            max_concurrent,
            notify_on_rollback: false,
            ..EngineSettings::default()
        },
    });
    Bench {
        engine,
        store,
        client,
        target,
        _dir: dir,
    }
}

impl Bench {
    /// Every stored event of `ids`.
    async fn stored(&self, ids: &[ExecutionId]) -> Vec<server::engine::event::Event> {
        let mut all = Vec::new();
        for id in ids {
            all.extend(self.store.list_events(*id, None, 100_000).await.unwrap());
        }
        all
    }

    async fn submit(&self, plan: Arc<app::scenario::plan::Plan>, speed: f64) -> ExecutionId {
        self.engine
            .submit(NewExecution {
                id: ExecutionId::new(),
                plan,
                definition: String::new(),
                parameters: None,
                scenario_id: None,
                options: RunOptions {
                    speed,
                    ..RunOptions::default()
                },
                started_by: StartedBy::new(Channel::Api, "local:test"),
            })
            .await
            .unwrap()
    }
}

/// Skews in real milliseconds of every timed event of the given executions.
fn skews(events: &[server::engine::event::Event], speed: f64) -> Vec<f64> {
    events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::ActionStarted { parallel: true, .. }))
        .filter_map(|e| Some((e.offset_ms? as f64 - e.planned_ms? as f64) / speed))
        .collect()
}

async fn collect_until_finished(
    rx: &mut tokio::sync::broadcast::Receiver<server::engine::event::Event>,
    count: usize,
) -> Vec<server::engine::event::Event> {
    let mut events = Vec::new();
    let mut finished = 0;
    while finished < count {
        match rx.recv().await {
            Ok(event) => {
                if matches!(event.kind, EventKind::ExecutionFinished { .. }) {
                    finished += 1;
                }
                events.push(event);
            }
            Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                eprintln!("(lagged {n} events)")
            }
            Err(_) => break,
        }
    }
    events
}

#[tokio::main]
async fn main() {
    println!(
        "engine benchmark — loopback target, real SQLite store, {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    // 1. Per-action overhead.
    let b = bench(3).await;
    let url = format!("http://{}/", b.target);
    for _ in 0..100 {
        b.client
            .get(&url)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
    }
    let mut direct_runs = Vec::new();
    let mut engine_runs = Vec::new();
    let actions: String = (0..1000).map(|_| format!("        - {HTTP}\n")).collect();
    // The phase is shorter than its actions, so the run ends when the last one does.
    let thousand = plan(&format!(
        "{}    - name: p\n      duration: 1ms\n      actions:\n{actions}",
        header("overhead")
    ));
    for _ in 0..5 {
        // On a worker thread, like the engine's tasks (the main thread is slower to wake).
        let (client, target) = (b.client.clone(), url.clone());
        let direct_ms = tokio::spawn(async move {
            let started = Instant::now();
            for _ in 0..1000 {
                client
                    .get(&target)
                    .send()
                    .await
                    .unwrap()
                    .bytes()
                    .await
                    .unwrap();
            }
            started.elapsed().as_secs_f64() * 1000.0
        })
        .await
        .unwrap();
        direct_runs.push(direct_ms);
        let mut rx = b.engine.subscribe();
        let started = Instant::now();
        let id = b.submit(thousand.clone(), 1.0).await;
        collect_until_finished(&mut rx, 1).await;
        engine_runs.push(started.elapsed().as_secs_f64() * 1000.0);
        let stored = b.stored(&[id]).await;
        let ok = stored
            .iter()
            .filter(|e| matches!(&e.kind, EventKind::ActionFinished { outcome, .. } if outcome.ok))
            .count();
        assert_eq!(ok, 1000, "every action reached the target");
    }
    direct_runs.sort_by(f64::total_cmp);
    engine_runs.sort_by(f64::total_cmp);
    let direct = percentile(&direct_runs, 50.0);
    let engine = percentile(&engine_runs, 50.0);
    println!("\n1. 1,000 sequential http actions (median of 5 runs)");
    println!(
        "   direct reqwest calls: {direct:8.1} ms  ({:.3} ms each)",
        direct / 1000.0
    );
    println!("   through the engine:   {engine:8.1} ms  ({:.3} ms each; submit to execution_finished, 2,000 events stored)", engine / 1000.0);
    println!(
        "   overhead per action:  {:8.3} ms  (goal ≤ 0.1 ms; Chaos Toolkit ≈ 1–1.9 ms)",
        (engine - direct) / 1000.0
    );

    // 2. Schedule skew over 1,000 timed steps, 5 ms apart.
    // At speed 1000 a millisecond of scenario time is a microsecond of real time,
    // so the stored millisecond offsets resolve skew to the microsecond.
    let steps: String = (1..=1000).map(|i| format!("        - {{delay: {}s, service: target, action: http, parameters: {{method: GET, path: /}}}}\n", i * 5)).collect();
    let timed = plan(&format!(
        "{}    - name: p\n      duration: 5010s\n      parallel_actions:\n{steps}",
        header("skew")
    ));
    let mut rx = b.engine.subscribe();
    let id = b.submit(timed, 1000.0).await;
    collect_until_finished(&mut rx, 1).await;
    let in_order = skews(&b.stored(&[id]).await, 1000.0);
    let mut sorted = in_order.clone();
    sorted.sort_by(f64::total_cmp);
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    println!(
        "\n2. schedule skew, 1,000 parallel actions 5 ms apart (real time, {} measured)",
        in_order.len()
    );
    println!(
        "   p50 {:.3} ms   p99 {:.3} ms   max {:.3} ms   (goal p99 ≤ 1 ms)",
        percentile(&sorted, 50.0),
        percentile(&sorted, 99.0),
        sorted.last().copied().unwrap_or(f64::NAN)
    );
    println!(
        "   mean of first 100 {:.3} ms, of last 100 {:.3} ms   (no accumulation when equal)",
        mean(&in_order[..100.min(in_order.len())]),
        mean(&in_order[in_order.len().saturating_sub(100)..])
    );

    // 3. 1,000 concurrent executions.
    let concurrent = bench(1000).await;
    let steps: String = (1..=10).map(|i| format!("        - {{delay: {}s, service: target, action: http, parameters: {{method: GET, path: /}}}}\n", i * 1000)).collect();
    let each = plan(&format!(
        "{}    - name: p\n      duration: 11000s\n      parallel_actions:\n{steps}",
        header("concurrent")
    ));
    let rss_before = rss_kib();
    let mut rx = concurrent.engine.subscribe();
    let started = Instant::now();
    let mut ids = Vec::with_capacity(1000);
    for _ in 0..1000 {
        ids.push(concurrent.submit(each.clone(), 1000.0).await);
    }
    let submit_ms = started.elapsed().as_secs_f64() * 1000.0;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let rss_during = rss_kib();
    collect_until_finished(&mut rx, 1000).await;
    concurrent.engine.wait_idle().await;
    let mut all = skews(&concurrent.stored(&ids).await, 1000.0);
    all.sort_by(f64::total_cmp);
    println!("\n3. 1,000 concurrent executions, 10 timed actions each (10,000 calls over 10 s, {} measured)", all.len());
    println!("   submitted in {submit_ms:.0} ms; skew p50 {:.2} ms   p99 {:.2} ms   max {:.2} ms   (goal p99 ≤ 10 ms)", percentile(&all, 50.0), percentile(&all, 99.0), all.last().copied().unwrap_or(f64::NAN));
    println!("   RSS {rss_before} KiB before, {rss_during} KiB while running: {:.0} KiB per execution (goal ≤ 200 KB)", (rss_during.saturating_sub(rss_before)) as f64 / 1000.0);

    // 4. Stop-to-effect.
    let long = plan(&format!(
        "{}    - name: p\n      duration: 1h\n",
        header("stop")
    ));
    let mut latencies = Vec::new();
    for _ in 0..20 {
        let mut rx = b.engine.subscribe();
        let id = b.submit(long.clone(), 1.0).await;
        while let Ok(event) = rx.recv().await {
            if event.execution_id == id && matches!(event.kind, EventKind::PhaseStarted { .. }) {
                break;
            }
        }
        let started = Instant::now();
        b.engine.control(id, ControlCommand::Stop).unwrap();
        while let Ok(event) = rx.recv().await {
            if event.execution_id == id && matches!(event.kind, EventKind::ExecutionFinished { .. })
            {
                break;
            }
        }
        latencies.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    latencies.sort_by(f64::total_cmp);
    println!("\n4. stop-to-effect (command to `execution_finished` stored and broadcast), 20 runs");
    println!(
        "   p50 {:.2} ms   max {:.2} ms",
        percentile(&latencies, 50.0),
        latencies.last().copied().unwrap_or(f64::NAN)
    );
}
