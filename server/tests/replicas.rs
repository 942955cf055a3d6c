//! Replicas on one PostgreSQL database (issue 21, docs/scale-out.md): three
//! `serve` processes and the sandbox as a process of its own, on the
//! throwaway server of `TEST_COORDINATOR_PG_ADMIN_URL` (scripts/test.sh runs
//! every test under scripts/pg-throwaway.sh).
//!
//! Six executions hold chaos; the queue is shared, so each replica (two slots
//! each) runs two, whichever replica they were sent to. Replica A is killed
//! with SIGKILL. Another replica takes A's two over within the lease plus a
//! second, marks them interrupted (owner lost) and clears their chaos; the
//! other four finish normally; WebSocket viewers on replica B see every event
//! of all six, in order and without gaps. Before that, a run is stopped
//! through a replica that does not run it, and a seventh is stopped while it
//! waits in the shared queue. Last, a run that asked for `on_owner_loss:
//! resume` loses its owner and goes on from its phase on the survivor.

use std::{
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use futures::StreamExt;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

/// The lease of every replica here, and how often it is renewed.
const LEASE: Duration = Duration::from_secs(3);
const HEARTBEAT: &str = "1s";

const BINARY: &str = env!("CARGO_BIN_EXE_test-coordinator");

/// The sandbox's six services.
const SERVICES: [&str; 6] = [
    "exchange-simulator",
    "custodian-simulator",
    "market-data-simulator",
    "trading-engine",
    "risk-monitor",
    "audit-correlator",
];

/// Child processes, killed when the test ends however it ends.
#[derive(Default)]
struct Processes(Vec<(String, Child)>);

impl Processes {
    fn kill(&mut self, name: &str) {
        if let Some((_, child)) = self.0.iter_mut().find(|(n, _)| n == name) {
            // SIGKILL: no rollback, no lease released, nothing more written.
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Processes {
    fn drop(&mut self) {
        for (_, child) in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A port free now, below Linux's ephemeral range (32768 and up): a port the
/// kernel handed out for `:0` could be taken, before the child process binds
/// it, by an outgoing connection (the database's, a client's), which made the
/// sandbox fail to start now and then. Each call gives a different one.
fn free_port() -> u16 {
    static NEXT: std::sync::atomic::AtomicU16 = std::sync::atomic::AtomicU16::new(0);
    let base = 20_000 + (std::process::id() % 1_000) as u16 * 12;
    loop {
        let offset = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        assert!(offset < 12_000, "no free port below 32768");
        let port = 20_000 + (base - 20_000 + offset) % 12_000;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// A fresh database on the test server, as a URL.
async fn fresh_database() -> Option<String> {
    let Ok(admin) = std::env::var("TEST_COORDINATOR_PG_ADMIN_URL") else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "TEST_COORDINATOR_PG_ADMIN_URL is not set: run the tests through scripts/test.sh"
        );
        eprintln!("replicas: no PostgreSQL (TEST_COORDINATOR_PG_ADMIN_URL); run scripts/pg-throwaway.sh run -- cargo test");
        return None;
    };
    match server::store::testing::scratch_database(&admin, "tc_replicas").await {
        server::store::Database::Postgres(url) => Some(url.secret().to_owned()),
        sqlite => panic!("not a PostgreSQL database: {sqlite}"),
    }
}

/// The environment every process shares: where each service listens, and
/// proxies on free ports (every process runs the configured ones).
fn service_env(urls: &[(String, String)]) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = urls
        .iter()
        .map(|(name, url)| (server::config::service_url_variable(name), url.clone()))
        .collect();
    env.push(("MARKET_DATA_PROXY_LISTEN".into(), "127.0.0.1:0".into()));
    env.push(("TEST_COORDINATOR_PROXY_ADMIN".into(), "127.0.0.1:0".into()));
    env
}

fn spawn(args: &[&str], env: &[(String, String)]) -> Child {
    let log = if std::env::var_os("TEST_LOG").is_some() {
        Stdio::inherit()
    } else {
        Stdio::null()
    };
    Command::new(BINARY)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .args(args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdout(log)
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the binary starts")
}

async fn wait_until_up(client: &reqwest::Client, url: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while client
        .get(url)
        .send()
        .await
        .is_err_and(|_| Instant::now() < deadline)
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let response = client.get(url).send().await.expect("it answers");
    assert!(
        response.status().is_success(),
        "{url}: {}",
        response.status()
    );
}

/// A scenario holding one chaos action for `hold`.
fn holding(name: &str, service: &str, action: &str, parameters: Value, hold: &str) -> String {
    format!(
        "apiVersion: chaos.trading/v1\nkind: Scenario\nmetadata:\n  name: {name}\nspec:\n  phases:\n    - name: hold\n      duration: {hold}\n      actions:\n        - service: {service}\n          action: {action}\n          parameters: {parameters}\n"
    )
}

struct Replica {
    base: String,
    id: String,
}

async fn submit(client: &reqwest::Client, replica: &Replica, yaml: &str) -> String {
    submit_with(client, replica, yaml, json!({"speed": 1.0})).await
}

async fn submit_with(
    client: &reqwest::Client,
    replica: &Replica,
    yaml: &str,
    options: Value,
) -> String {
    let response = client
        .post(format!("{}/api/v1/scenarios/execute", replica.base))
        .json(&json!({"yaml": yaml, "options": options}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202, "{}", response.text().await.unwrap());
    let body: Value = response.json().await.unwrap();
    body["execution_id"].as_str().unwrap().to_owned()
}

async fn status(client: &reqwest::Client, replica: &Replica, id: &str) -> Value {
    client
        .get(format!("{}/api/v1/scenarios/{id}/status", replica.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn active_chaos(client: &reqwest::Client, service_url: &str) -> usize {
    let status: Value = client
        .get(format!("{service_url}/chaos/status"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    status["active"].as_array().map_or(0, Vec::len)
}

/// Follows one execution over a WebSocket from its first event to its end:
/// `(seq, kind, arrival)` of each event.
fn follow(replica: &Replica, id: &str) -> tokio::task::JoinHandle<Vec<(u64, String, Instant)>> {
    let url = format!(
        "{}/ws/scenario-execution?execution_id={id}",
        replica.base.replace("http://", "ws://")
    );
    tokio::spawn(async move {
        let (mut socket, _) = tokio_tungstenite::connect_async(&url)
            .await
            .expect("the WebSocket opens");
        let mut seen = Vec::new();
        while let Some(Ok(message)) = socket.next().await {
            let Message::Text(text) = message else {
                continue;
            };
            let event: Value = serde_json::from_str(&text).unwrap();
            let kind = event["kind"].as_str().unwrap_or_default().to_owned();
            seen.push((event["seq"].as_u64().unwrap(), kind.clone(), Instant::now()));
            if kind == "execution_finished" {
                break;
            }
        }
        seen
    })
}

fn kinds(events: &[(u64, String, Instant)]) -> Vec<&str> {
    events.iter().map(|(_, kind, _)| kind.as_str()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_replicas_runs_are_taken_over_and_rolled_back_while_the_others_finish() {
    let Some(database) = fresh_database().await else {
        return;
    };
    let client = reqwest::Client::new();
    let mut processes = Processes::default();

    // The sandbox, its own process, on free ports.
    let urls: Vec<(String, String)> = SERVICES
        .iter()
        .map(|name| {
            (
                (*name).to_owned(),
                format!("http://127.0.0.1:{}", free_port()),
            )
        })
        .collect();
    let env = service_env(&urls);
    processes
        .0
        .push(("sandbox".into(), spawn(&["sandbox", "--seed", "7"], &env)));
    for (_, url) in &urls {
        wait_until_up(&client, &format!("{url}/health")).await;
    }
    let url_of = |name: &str| urls.iter().find(|(n, _)| n == name).unwrap().1.clone();

    // Three replicas on the one database.
    let mut replicas = Vec::new();
    for name in ["a", "b", "c"] {
        let port = free_port();
        let mut env = env.clone();
        env.extend([
            ("TEST_COORDINATOR_DATABASE".to_owned(), database.clone()),
            ("TEST_COORDINATOR_PORT".to_owned(), port.to_string()),
            ("OWNER_LEASE".to_owned(), format!("{}s", LEASE.as_secs())),
            ("OWNER_HEARTBEAT".to_owned(), HEARTBEAT.to_owned()),
            (
                "SERVICE_INSTANCE_NAME".to_owned(),
                format!("replica-{name}"),
            ),
            // Two slots each: six runs fill all three replicas.
            ("MAX_CONCURRENT_EXECUTIONS".to_owned(), "2".to_owned()),
        ]);
        processes
            .0
            .push((name.into(), spawn(&["serve", "--no-sandbox"], &env)));
        let base = format!("http://127.0.0.1:{port}");
        wait_until_up(&client, &format!("{base}/health")).await;
        let health: Value = client
            .get(format!("{base}/health"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            health["replica"]["database_backend"], "postgres",
            "{health}"
        );
        let id = health["replica"]["id"].as_str().unwrap().to_owned();
        replicas.push(Replica { base, id });
    }
    let owners = sqlx::PgPool::connect(&database)
        .await
        .expect("the database");
    let owner_of = |id: String| {
        let owners = owners.clone();
        async move {
            let owner: Option<String> =
                sqlx::query_scalar("select owner_id from executions where id = $1")
                    .bind(id)
                    .fetch_one(&owners)
                    .await
                    .unwrap();
            owner
        }
    };
    let (a, b, c) = (&replicas[0], &replicas[1], &replicas[2]);

    // A stop sent through one replica reaches the one that runs the execution.
    let probe = holding(
        "stopped-elsewhere",
        "trading-engine",
        "http",
        json!({"method": "GET", "path": "/health"}),
        "60s",
    );
    let stopped_id = submit(&client, a, &probe).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while status(&client, a, &stopped_id).await["status"] != "running" {
        assert!(Instant::now() < deadline, "the probe never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let runner = owner_of(stopped_id.clone())
        .await
        .expect("a running execution has an owner");
    let through = replicas.iter().find(|r| r.id != runner).unwrap();
    let viewer = follow(through, &stopped_id);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let sent = Instant::now();
    let stopped = client
        .post(format!(
            "{}/api/v1/scenarios/{stopped_id}/stop",
            through.base
        ))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(stopped.status(), 200, "{}", stopped.text().await.unwrap());
    let events = viewer.await.unwrap();
    let (_, _, received) = events
        .iter()
        .find(|(_, kind, _)| kind == "control_received")
        .unwrap_or_else(|| panic!("no control_received: {:?}", kinds(&events)));
    eprintln!(
        "replicas: a stop sent through one replica took effect on the one running it (its control_received seen back) after {:.1} ms",
        received.duration_since(sent).as_secs_f64() * 1000.0
    );
    let detail = status(&client, b, &stopped_id).await;
    assert_eq!(detail["status"], "stopped", "{detail}");

    // Six runs hold chaos, submitted through all three; each replica runs two
    // (two slots each), whichever it was sent to: the queue is shared.
    let chaos = [
        (
            "exchange-simulator",
            "inject_latency",
            json!({"delay_ms": 300, "operations": ["place_order"]}),
        ),
        (
            "custodian-simulator",
            "delay_settlements",
            json!({"settlement_types": ["fiat"], "delay_duration": "2h"}),
        ),
        (
            "market-data-simulator",
            "volatility_spike",
            json!({"multiplier": 2, "symbols": ["BTC-USD"], "duration": "10m"}),
        ),
    ];
    let mut runs = Vec::new();
    for (i, through) in [a, a, a, b, b, c].into_iter().enumerate() {
        let (service, action, parameters) = &chaos[i % 3];
        let yaml = holding(
            &format!("held-{i}"),
            service,
            action,
            parameters.clone(),
            "15s",
        );
        runs.push((submit(&client, through, &yaml).await, *service));
    }
    // Viewers on B, of all six, from their first event.
    let viewers: Vec<_> = runs
        .iter()
        .map(|(id, _)| (id.clone(), follow(b, id)))
        .collect();
    let deadline = Instant::now() + Duration::from_secs(30);
    for (id, _) in &runs {
        while status(&client, b, id).await["status"] != "running" {
            assert!(Instant::now() < deadline, "{id} never ran");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    // A seventh waits in the shared queue (every slot is taken), and is
    // stopped there through any replica.
    let waiting = submit(&client, c, &probe).await;
    let stopped = client
        .post(format!("{}/api/v1/scenarios/{waiting}/stop", b.base))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(stopped.status(), 200, "{}", stopped.text().await.unwrap());
    let detail = status(&client, a, &waiting).await;
    assert_eq!(detail["status"], "stopped", "{detail}");
    assert_eq!(detail["progress"]["phases_done"], 0, "{detail}");

    let mut owned = std::collections::HashMap::<String, Vec<(String, &str)>>::new();
    for (id, service) in &runs {
        let owner = owner_of(id.clone()).await.expect("running, so owned");
        owned.entry(owner).or_default().push((id.clone(), *service));
    }
    for replica in &replicas {
        let health: Value = client
            .get(format!("{}/health", replica.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let mine = owned.get(&replica.id).map_or(0, Vec::len);
        assert_eq!(mine, 2, "each replica runs two: {owned:?}");
        assert_eq!(health["replica"]["owned_executions"], 2, "{health}");
    }
    // The victim: A. Its chaos is in place.
    let on_a = owned.remove(&a.id).unwrap();
    let survivors = owned.clone();
    let others: Vec<String> = owned.into_values().flatten().map(|(id, _)| id).collect();
    let deadline = Instant::now() + Duration::from_secs(30);
    for (_, service) in &on_a {
        while active_chaos(&client, &url_of(service)).await == 0 {
            assert!(
                Instant::now() < deadline,
                "A never injected its chaos on {service}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    // A dies.
    let killed = Instant::now();
    processes.kill("a");
    let deadline = killed + LEASE + Duration::from_secs(30);
    loop {
        let ended = [
            status(&client, b, &on_a[0].0).await,
            status(&client, b, &on_a[1].0).await,
        ];
        let cleared = active_chaos(&client, &url_of(on_a[0].1)).await == 0
            && active_chaos(&client, &url_of(on_a[1].1)).await == 0;
        if cleared && ended.iter().all(|d| d["status"] == "interrupted") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "A's runs were never taken over: {ended:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let took = killed.elapsed();
    eprintln!(
        "replicas: A's two runs were interrupted and their chaos cleared {:.2} s after the kill (lease {} s)",
        took.as_secs_f64(),
        LEASE.as_secs()
    );
    assert!(
        took <= LEASE + Duration::from_secs(1),
        "took {took:?}, more than the lease and a second"
    );

    // The other four finish normally.
    for id in &others {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let detail = status(&client, b, id).await;
            if detail["status"] == "completed" {
                break;
            }
            assert!(
                detail["status"] == "running" && Instant::now() < deadline,
                "{id}: {detail}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    // Each replica's metrics count the runs it ran, not those it relayed.
    let name_of = |id: &String| {
        let i = runs.iter().position(|(run, _)| run == id).unwrap();
        format!("held-{i}")
    };
    for replica in [b, c] {
        let metrics = client
            .get(format!("{}/metrics", replica.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let mut counted: Vec<String> = metrics
            .lines()
            .filter(|l| {
                l.starts_with("test_coordinator_scenarios_executed_total{")
                    && l.contains("status=\"completed\"")
            })
            .filter_map(|l| {
                l.split("scenario_name=\"")
                    .nth(1)?
                    .split('"')
                    .next()
                    .map(str::to_owned)
            })
            .collect();
        counted.sort();
        let mut ran: Vec<String> = survivors[&replica.id]
            .iter()
            .map(|(id, _)| name_of(id))
            .collect();
        ran.sort();
        assert_eq!(counted, ran, "{}'s metrics", replica.id);
    }

    // B's viewers saw every event of all six, each once, in order.
    for (id, viewer) in viewers {
        let events = tokio::time::timeout(Duration::from_secs(30), viewer)
            .await
            .unwrap_or_else(|_| panic!("the viewer of {id} never saw its end"))
            .unwrap();
        let seqs: Vec<u64> = events.iter().map(|(seq, ..)| *seq).collect();
        assert_eq!(
            seqs,
            (0..seqs.len() as u64).collect::<Vec<_>>(),
            "{id}: {:?}",
            kinds(&events)
        );
        let stored: Value = client
            .get(format!("{}/api/v1/scenarios/{id}/logs", c.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let stored = stored["events"].as_array().map_or(0, Vec::len);
        assert_eq!(events.len(), stored, "{id}: every stored event was seen");
        let kinds = kinds(&events);
        if on_a.iter().any(|(lost, _)| *lost == id) {
            assert!(kinds.contains(&"recovery_started"), "{id}: {kinds:?}");
        } else {
            assert!(!kinds.contains(&"recovery_started"), "{id}: {kinds:?}");
        }
    }
    let detail = status(&client, b, &on_a[0].0).await;
    assert!(
        detail["verdict"]["summary"]
            .as_str()
            .is_some_and(|s| s.starts_with("owner lost")),
        "{detail}"
    );

    // Last, a run that asked to resume (`on_owner_loss: resume`): its owner
    // (B or C) is killed inside its second phase; the survivor rolls its
    // chaos back and runs it on from that phase's start, to its own end.
    let yaml = "apiVersion: chaos.trading/v1\nkind: Scenario\nmetadata:\n  name: resumed\nspec:\n  phases:\n    - name: calm\n      duration: 1s\n    - name: hold\n      duration: 6s\n      actions:\n        - service: exchange-simulator\n          action: inject_latency\n          parameters: {delay_ms: 300, operations: [place_order]}\n";
    let resumed = submit_with(
        &client,
        b,
        yaml,
        json!({"speed": 1.0, "on_owner_loss": "resume"}),
    )
    .await;
    let logs = |replica: &Replica| {
        let (client, url) = (
            client.clone(),
            format!("{}/api/v1/scenarios/{resumed}/logs", replica.base),
        );
        async move {
            let stored: Value = client.get(url).send().await.unwrap().json().await.unwrap();
            stored["events"]
                .as_array()
                .map(|events| {
                    events
                        .iter()
                        .map(|e| e["kind"].as_str().unwrap_or_default().to_owned())
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        }
    };
    // Killed once phase hold has injected its chaos.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !logs(b).await.iter().any(|k| k == "action_finished") {
        assert!(Instant::now() < deadline, "the run never injected");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let owner = owner_of(resumed.clone()).await.expect("running, so owned");
    let (victim, survivor) = if owner == b.id { ("b", c) } else { ("c", b) };
    processes.kill(victim);
    let killed = Instant::now();
    let deadline = killed + LEASE + Duration::from_secs(30);
    while !logs(survivor)
        .await
        .iter()
        .any(|k| k == "resumed_on_new_owner")
    {
        assert!(
            Instant::now() < deadline,
            "never resumed: {:?}",
            logs(survivor).await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!(
        "replicas: the run that asked to resume went on on the survivor {:.2} s after the kill (lease {} s)",
        killed.elapsed().as_secs_f64(),
        LEASE.as_secs()
    );
    assert_eq!(
        owner_of(resumed.clone()).await.as_deref(),
        Some(survivor.id.as_str())
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    let detail = loop {
        let detail = status(&client, survivor, &resumed).await;
        if detail["status"] != "running" {
            break detail;
        }
        assert!(Instant::now() < deadline, "{detail}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(detail["status"], "completed", "{detail}");
    assert_eq!(detail["verdict"]["passed"], true, "{detail}");
    let kinds = logs(survivor).await;
    let at = kinds.iter().position(|k| k == "recovery_started").unwrap();
    assert_eq!(
        kinds[at..]
            .iter()
            .filter(|k| !k.starts_with("action") && *k != "chaos_effect")
            .map(String::as_str)
            .collect::<Vec<_>>(),
        [
            "recovery_started",
            "rollback_started",
            "rollback_finished",
            "resumed_on_new_owner",
            "phase_started",
            "phase_finished",
            "execution_finished"
        ],
        "rolled back, then phase hold again from its start: {kinds:?}"
    );
    assert_eq!(
        kinds.iter().filter(|k| *k == "phase_started").count(),
        3,
        "calm once, hold twice: {kinds:?}"
    );
}
