//! Replicas on one PostgreSQL database (issue 21, docs/scale-out.md): three
//! `serve` processes and the sandbox as a process of its own, on the
//! throwaway server of `TEST_COORDINATOR_PG_ADMIN_URL` (scripts/test.sh runs
//! every test under scripts/pg-throwaway.sh).
//!
//! Six executions hold chaos, two on each replica; replica A is killed with
//! SIGKILL. Another replica takes A's two over within the lease plus a second,
//! marks them interrupted (owner lost) and clears their chaos; the other four
//! finish normally; WebSocket viewers on replica B see every event of all six,
//! in order and without gaps. Before that, a run on C is stopped through B.

use std::{
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use futures::StreamExt;
use serde_json::{json, Value};
use sqlx::Connection as _;
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

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
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
    let name = format!("tc_replicas_{}", uuid::Uuid::new_v4().simple());
    let mut connection = sqlx::PgConnection::connect(&admin)
        .await
        .expect("PostgreSQL answers");
    sqlx::query(&format!("create database {name}"))
        .execute(&mut connection)
        .await
        .expect("a database");
    let _ = connection.close().await;
    let mut url = url::Url::parse(&admin).expect("a URL");
    url.set_path(&name);
    Some(url.to_string())
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
    let response = client
        .post(format!("{}/api/v1/scenarios/execute", replica.base))
        .json(&json!({"yaml": yaml, "options": {"speed": 1.0}}))
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
    let (a, b, c) = (&replicas[0], &replicas[1], &replicas[2]);

    // A holds chaos on the exchange and the custodian; B and C on market data.
    let latency = json!({"delay_ms": 300, "operations": ["place_order"]});
    let settlements = json!({"settlement_types": ["fiat"], "delay_duration": "2h"});
    let spike = json!({"multiplier": 2, "symbols": ["BTC-USD"], "duration": "10m"});
    let on_a = [
        submit(
            &client,
            a,
            &holding(
                "held-latency",
                "exchange-simulator",
                "inject_latency",
                latency,
                "60s",
            ),
        )
        .await,
        submit(
            &client,
            a,
            &holding(
                "held-settlements",
                "custodian-simulator",
                "delay_settlements",
                settlements,
                "60s",
            ),
        )
        .await,
    ];
    let mut others = Vec::new();
    for replica in [b, c] {
        for _ in 0..2 {
            let yaml = holding(
                "held-spike",
                "market-data-simulator",
                "volatility_spike",
                spike.clone(),
                "12s",
            );
            others.push(submit(&client, replica, &yaml).await);
        }
    }
    // Viewers on B, of all six, from their first event.
    let viewers: Vec<_> = on_a
        .iter()
        .chain(&others)
        .map(|id| (id.clone(), follow(b, id)))
        .collect();

    // Each run is owned by the replica it was sent to.
    for (id, owner) in on_a
        .iter()
        .map(|id| (id, a))
        .chain(others.iter().zip([b, b, c, c]))
    {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let detail = status(&client, b, id).await;
            if detail["status"] == "running" {
                break;
            }
            assert!(Instant::now() < deadline, "{id} never ran: {detail}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let health: Value = client
            .get(format!("{}/health", owner.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(health["replica"]["id"], owner.id.as_str());
    }
    let health_a: Value = client
        .get(format!("{}/health", a.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health_a["replica"]["owned_executions"], 2, "{health_a}");
    // A's chaos is in place.
    let deadline = Instant::now() + Duration::from_secs(30);
    while active_chaos(&client, &url_of("exchange-simulator")).await == 0
        || active_chaos(&client, &url_of("custodian-simulator")).await == 0
    {
        assert!(Instant::now() < deadline, "A never injected its chaos");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // A stop sent through B reaches C, which runs the execution.
    let on_c = submit(
        &client,
        c,
        &holding(
            "stopped-through-b",
            "trading-engine",
            "http",
            json!({"method": "GET", "path": "/health"}),
            "60s",
        ),
    )
    .await;
    let viewer = follow(b, &on_c);
    let deadline = Instant::now() + Duration::from_secs(30);
    while status(&client, b, &on_c).await["status"] != "running" {
        assert!(Instant::now() < deadline, "the run on C never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let sent = Instant::now();
    let stopped = client
        .post(format!("{}/api/v1/scenarios/{on_c}/stop", b.base))
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
        "replicas: a stop sent through B took effect on C (its control_received seen on B) after {:.1} ms",
        received.duration_since(sent).as_secs_f64() * 1000.0
    );
    let detail = status(&client, c, &on_c).await;
    assert_eq!(detail["status"], "stopped", "{detail}");

    // A dies.
    let killed = Instant::now();
    processes.kill("a");
    let deadline = killed + LEASE + Duration::from_secs(30);
    loop {
        let ended = [
            status(&client, b, &on_a[0]).await,
            status(&client, b, &on_a[1]).await,
        ];
        let cleared = active_chaos(&client, &url_of("exchange-simulator")).await == 0
            && active_chaos(&client, &url_of("custodian-simulator")).await == 0;
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
        if on_a.contains(&id) {
            assert!(kinds.contains(&"recovery_started"), "{id}: {kinds:?}");
        } else {
            assert!(!kinds.contains(&"recovery_started"), "{id}: {kinds:?}");
        }
    }
    let detail = status(&client, b, &on_a[0]).await;
    assert!(
        detail["verdict"]["summary"]
            .as_str()
            .is_some_and(|s| s.starts_with("owner lost")),
        "{detail}"
    );
}
