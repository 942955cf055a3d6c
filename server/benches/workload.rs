//! The workload generator's ceiling on this machine (DESIGN.md §7), beside `wrk`.
//!
//! `cargo bench -p server --bench workload` starts a trivial HTTP target in a
//! child process (so its CPU is not counted), then runs one-phase scenarios
//! through the real engine (`HttpLoad`, SQLite store) at rising open-model rates
//! for 5 s each, after an unprinted warm-up run. A rate is *kept up with* when
//! none was dropped at the concurrency cap, none failed, the completed
//! throughput is at least 97 % of the rate and p99 is under 50 ms; it is also
//! *on time* when the 99th percentile of the send timing error (how far from
//! its due time a request left, the summary's `send_timing`) is at most 1 ms.
//! The rates rise until one is not kept up with. It prints each rate's figures,
//! the highest rate of each kind and the coordinator's
//! CPU per request there (user + system time of this process / requests), then
//! runs Debian's `wrk` (closed model, 2 threads, 64 connections, 5 s) on the
//! same target and prints its requests/s and CPU per request (its own
//! user + system time). Without `wrk` on the PATH it says so (`make bench`
//! installs it).

use std::{
    collections::BTreeMap,
    io::{BufRead, BufReader},
    process::{Command, Stdio},
    sync::Arc,
    time::Duration,
};

use app::{
    api::figures::WorkloadSummary,
    scenario::{
        catalog::{Catalog, ServiceKind, ServiceSpec},
        validate::{validate_text, ValidateOptions},
    },
};
use server::{
    adapters::{HttpLoad, HttpServices},
    assertions::Registry,
    config::ServiceConfig,
    engine::{
        event::EventKind, Channel, Engine, EngineParts, EngineSettings, ExecutionId, NewExecution,
        RunOptions, StartedBy,
    },
    store::Store,
};

const TARGET_ENV: &str = "WORKLOAD_BENCH_TARGET";
const RATES: [u32; 17] = [
    1_000, 2_000, 4_000, 6_000, 8_000, 10_000, 12_000, 16_000, 20_000, 24_000, 32_000, 40_000,
    48_000, 56_000, 64_000, 80_000, 100_000,
];
const SECONDS: u64 = 5;

/// `WORKLOAD_BENCH_RATES=2000,4000` runs only these rates, every one of them
/// (to profile one rate under callgrind); unset, the rising list until one is
/// not sustained.
fn rates() -> (Vec<u32>, bool) {
    match std::env::var("WORKLOAD_BENCH_RATES") {
        Ok(list) => (
            list.split(',')
                .filter_map(|r| r.trim().parse().ok())
                .collect(),
            true,
        ),
        Err(_) => (RATES.to_vec(), false),
    }
}

/// CPU time (user + system) of this process, or of its waited-for children.
fn cpu(who: i32) -> Duration {
    // SAFETY: getrusage only writes into the struct we pass.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(who, &mut usage);
        usage
    };
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    time(usage.ru_utime) + time(usage.ru_stime)
}

/// The child: answers `GET /` with `ok` on a free port, printed on stdout.
fn serve_target() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!("{}", listener.local_addr().unwrap());
        let router = axum::Router::new().route("/", axum::routing::get(|| async { "ok" }));
        axum::serve(listener, router).await.unwrap();
    });
}

fn plan(rate: u32) -> Arc<app::scenario::plan::Plan> {
    let mut catalog = Catalog::new();
    catalog.add_service(
        "target",
        ServiceSpec {
            kind: ServiceKind::Http,
            actions: vec![],
        },
    );
    let yaml = format!(
        "apiVersion: chaos.trading/v1\nkind: Scenario\nmetadata:\n  name: load-{rate}\nspec:\n  workload:\n    streams:\n      - {{name: get, service: target, path: /, rate: {rate}, concurrency: 4096, timeout: 2s}}\n  phases:\n    - {{name: load, duration: {SECONDS}s}}\n"
    );
    let (plan, _) = validate_text(&yaml, &catalog, &ValidateOptions::default())
        .into_result()
        .unwrap_or_else(|d| panic!("bench plan invalid: {d:#?}"));
    Arc::new(plan)
}

async fn run(engine: &Engine, rate: u32) -> WorkloadSummary {
    let mut events = engine.subscribe();
    let id = ExecutionId::new();
    engine
        .submit(NewExecution {
            id,
            plan: plan(rate),
            definition: String::new(),
            parameters: None,
            scenario_id: None,
            options: RunOptions::default(),
            started_by: StartedBy::new(Channel::Cli, "local:test"),
        })
        .await
        .unwrap();
    loop {
        match events.recv().await {
            Ok(event) if event.execution_id == id => {
                if let EventKind::WorkloadSummary { summary } = event.kind {
                    return *summary;
                }
            }
            Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
            Err(error) => panic!("event stream: {error}"),
        }
    }
}

fn wrk(url: &str) -> Option<(f64, String, String, Duration)> {
    let before = cpu(libc::RUSAGE_CHILDREN);
    let output = Command::new("wrk")
        .args(["-t2", "-c64", &format!("-d{SECONDS}s"), "--latency", url])
        .output()
        .ok()?;
    let spent = cpu(libc::RUSAGE_CHILDREN).saturating_sub(before);
    let text = String::from_utf8_lossy(&output.stdout);
    let field = |prefix: &str| {
        text.lines().find_map(|line| {
            line.trim()
                .strip_prefix(prefix)
                .map(|v| v.trim().to_owned())
        })
    };
    let rps: f64 = field("Requests/sec:")?.parse().ok()?;
    Some((
        rps,
        field("50%").unwrap_or_default(),
        field("99%").unwrap_or_default(),
        spent,
    ))
}

fn main() {
    if std::env::var_os(TARGET_ENV).is_some() {
        serve_target();
        return;
    }
    let mut target = Command::new(std::env::current_exe().unwrap())
        .env(TARGET_ENV, "1")
        .stdout(Stdio::piped())
        .spawn()
        .expect("the target starts");
    let mut line = String::new();
    BufReader::new(target.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let address = line.trim().to_owned();
    let url = format!("http://{address}/");
    println!("target: {url} (a child process answering `ok`)");

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let mut services = BTreeMap::new();
        services.insert(
            "target".to_owned(),
            ServiceConfig::plain("target", url.parse().unwrap()),
        );
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("bench.db")).await.unwrap();
        let adapters = HttpServices::new(services.clone());
        let client = adapters.client().clone();
        let engine = Engine::start(EngineParts {
            journal: Arc::new(store),
            services: Arc::new(adapters),
            assertions: Arc::new(Registry::new(
                client,
                services.clone(),
                None,
                Vec::new(),
            )),
            load: Arc::new(HttpLoad::new(services)),
            settings: EngineSettings {
                notify_on_rollback: false,
                ..EngineSettings::default()
            },
        });
        println!(
            "\n{:>8} {:>9} {:>8} {:>8} {:>10} {:>8} {:>8} {:>9} {:>12} {:>11}",
            "rate/s", "requests", "dropped", "failed", "achieved/s", "p50 ms", "p99 ms", "max ms", "send ±p99 ms", "CPU µs/req"
        );
        // A first run warms the store, the pool and the runtime up, unprinted.
        run(&engine, 1_000).await;
        // The highest rate kept up with, and the highest also sent on time.
        let mut kept: Option<(u32, f64)> = None;
        let mut punctual: Option<(u32, f64)> = None;
        let (rates, every) = rates();
        for rate in rates {
            let before = cpu(libc::RUSAGE_SELF);
            let summary = run(&engine, rate).await;
            let (figures, timing) = (&summary.total, summary.send_timing);
            let spent = cpu(libc::RUSAGE_SELF).saturating_sub(before);
            let per_request = spent.as_secs_f64() * 1e6 / figures.requests.max(1) as f64;
            let kept_up = figures.dropped == 0
                && figures.failures == 0
                && figures.throughput >= 0.97 * f64::from(rate)
                && figures.p99_ms < 50.0;
            let on_time = kept_up && timing.p99_ms <= 1.0;
            println!(
                "{rate:>8} {:>9} {:>8} {:>8} {:>10.0} {:>8.2} {:>8.2} {:>9.1} {:>12.3} {:>11.1}{}",
                figures.requests,
                figures.dropped,
                figures.failures,
                figures.throughput,
                figures.p50_ms,
                figures.p99_ms,
                figures.max_ms,
                timing.p99_ms,
                per_request,
                match (kept_up, on_time) {
                    (true, true) => "",
                    (true, false) => "  (kept up, not on time)",
                    _ => "  (not kept up)",
                }
            );
            if on_time {
                punctual = Some((rate, per_request));
            }
            if kept_up {
                kept = Some((rate, per_request));
            } else if !every {
                break;
            }
        }
        let say = |what: &str, best: Option<(u32, f64)>| match best {
            Some((rate, per_request)) => println!(
                "workload generator: {what}: {rate}/s, {per_request:.1} µs of coordinator CPU per request"
            ),
            None => println!("workload generator: {what}: none"),
        };
        println!();
        say(
            "highest rate kept up with (0 dropped, 0 failed, ≥ 97 % achieved, p99 < 50 ms)",
            kept,
        );
        say(
            "highest rate also sent on time (each request within 1 ms of its due time at p99)",
            punctual,
        );
    });

    if rates().1 {
        println!("wrk: not run (WORKLOAD_BENCH_RATES is set)");
    } else {
        print_wrk(&url);
    }
    let _ = target.kill();
    let _ = target.wait();
}

fn print_wrk(url: &str) {
    match wrk(url) {
        Some((rps, p50, p99, spent)) => println!(
            "wrk (closed model, -t2 -c64): {rps:.0} requests/s, p50 {p50}, p99 {p99}, {:.1} µs of wrk CPU per request",
            spent.as_secs_f64() * 1e6 / (rps * SECONDS as f64).max(1.0)
        ),
        None => println!("wrk: not found on the PATH (apt-get install wrk; `make bench` does)"),
    }
}
