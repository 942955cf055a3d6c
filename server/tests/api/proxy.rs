//! A service behind the built-in fault-injection proxy (docs/proxy.md): a
//! scenario injects a fault exactly as it would on the sandbox, the service's
//! callers see it through the proxy's front door, the engine keeps the
//! fault's lease alive while the execution runs, and its end clears it.
//! The upstream is a small real HTTP service the test starts.

use std::time::Duration;

use axum::{routing::get, Router};
use serde_json::Value;
use server::engine::event::EventKind;
use server::{
    config::{ServiceProxySettings, ServiceSettings, Settings},
    prepare::Source,
};

use crate::helpers::{spawn_app_with, TestApp};

/// A small HTTP service on a free port: `/health` and `/orders`.
async fn upstream() -> std::net::SocketAddr {
    let app = Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/orders", get(|| async { "[]" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    address
}

/// The app with `orders-api` behind an HTTP proxy on free ports.
async fn app_with_proxy(lease: &str, renew_every: &str) -> TestApp {
    app_with_proxy_token(lease, renew_every, None).await
}

/// [`app_with_proxy`], the proxies' chaos API asking for `token`.
async fn app_with_proxy_token(lease: &str, renew_every: &str, token: Option<&str>) -> TestApp {
    let mut settings = Settings::default();
    settings.proxy.token = token.map(str::to_owned);
    settings.services.insert(
        "orders-api".into(),
        ServiceSettings {
            url: format!("http://{}", upstream().await),
            chaos_api_path: None,
            api_path: None,
            health_endpoint: "/health".into(),
            timeout: "5s".into(),
            process: None,
            actions: Vec::new(),
            proxy: Some(ServiceProxySettings {
                listen: "127.0.0.1:0".into(),
                protocol: "http".into(),
            }),
        },
    );
    settings.proxy.admin = "127.0.0.1:0".into();
    settings.proxy.lease = lease.into();
    settings.proxy.renew_every = renew_every.into();
    spawn_app_with(settings).await
}

/// What callers of `orders-api` get: the status of `GET /health` through the
/// proxy's front door.
async fn front_door(app: &TestApp) -> u16 {
    let url = app.coordinator.config().services["orders-api"].url.clone();
    app.client
        .get(url.join("/health").unwrap())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The faults active on `orders-api`, from its chaos API.
async fn active_faults(app: &TestApp) -> Vec<Value> {
    let service = &app.coordinator.config().services["orders-api"];
    let url = format!(
        "{}{}/status",
        service.chaos_base().as_str().trim_end_matches('/'),
        service.chaos_api_path.as_deref().unwrap()
    );
    let status: Value = app
        .client
        .get(url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    status["active"].as_array().unwrap().clone()
}

/// Waits (up to 10 s) until `orders-api` has no fault left.
async fn until_cleared(app: &TestApp) {
    for _ in 0..200 {
        if active_faults(app).await.is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "the execution's faults were not cleared: {:?}",
        active_faults(app).await
    );
}

fn scenario(duration: &str) -> Source {
    Source::Text(format!(
        r#"apiVersion: chaos.trading/v1
kind: Scenario
metadata:
  name: "orders-api-errors"
spec:
  phases:
    - name: "broken"
      duration: "{duration}"
      actions:
        - service: "orders-api"
          action: "error"
          parameters: {{status: 503}}
      assertions:
        - type: "service_health"
          service: "orders-api"
          expect: "down"
          within: "{duration}"
"#
    ))
}

#[tokio::test]
async fn a_scenario_breaks_a_proxied_service_and_its_end_mends_it() {
    let app = app_with_proxy("30s", "5s").await;
    assert_eq!(front_door(&app).await, 200, "untouched before");
    let (status, events) = app.run(scenario("1m"), 60.0).await;
    assert_eq!(
        status,
        app::api::ExecutionStatus::Completed,
        "callers saw the injected 503 through the proxy: {events:#?}"
    );
    // A completed run has no rollback; its end clears what it left.
    until_cleared(&app).await;
    assert_eq!(front_door(&app).await, 200, "pass-through again");
    app.stop().await;
}

#[tokio::test]
async fn the_engine_renews_the_lease_while_the_execution_runs() {
    // A 2 s lease renewed every 0.5 s, on a 5 s run: without renewal the
    // fault would be gone after 2 s.
    let app = app_with_proxy("2s", "500ms").await;
    let run = app.run(scenario("5s"), 1.0);
    let watch = async {
        tokio::time::sleep(Duration::from_millis(3_500)).await;
        (active_faults(&app).await, front_door(&app).await)
    };
    let ((status, _), (active, seen)) = tokio::join!(run, watch);
    assert_eq!(status, app::api::ExecutionStatus::Completed);
    assert_eq!(active.len(), 1, "still held at 3.5 s: {active:?}");
    assert_eq!(seen, 503);
    let remaining = active[0]["remaining_ms"].as_u64().unwrap();
    assert!(remaining <= 2_000, "{remaining}");
    until_cleared(&app).await;
    assert_eq!(front_door(&app).await, 200);
    app.stop().await;
}

/// What the faults did reaches the execution: every request the proxy
/// failed is counted in `chaos_effect` events (one per second and kind, not
/// one per request), all recorded before the execution's end, and the report
/// adds them up; `/metrics` counts them by service and fault.
#[tokio::test]
async fn what_the_faults_did_is_recorded_per_second_with_the_execution() {
    let app = app_with_proxy("2s", "500ms").await;
    let run = app.run(scenario("4s"), 1.0);
    let callers = async {
        // Callers of orders-api, 20 a second through the run.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let mut failed = 0u64;
        for _ in 0..60 {
            failed += u64::from(front_door(&app).await == 503);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        failed
    };
    let ((status, events), failed) = tokio::join!(run, callers);
    assert_eq!(status, app::api::ExecutionStatus::Completed);
    assert!(failed >= 30, "{failed} of 60 saw the 503");
    let effects: Vec<(u64, u64, &app::api::event::ChaosEffect)> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::ChaosEffect {
                service,
                second,
                count,
                effect,
            } => {
                assert_eq!(service, "orders-api");
                Some((*second, *count, effect))
            }
            _ => None,
        })
        .collect();
    let touched: u64 = effects.iter().map(|(_, count, _)| count).sum();
    // Ours, and the service_health assertion's checks through the proxy.
    assert!(touched >= failed, "{touched} counted, {failed} seen");
    assert!(effects.iter().all(|(_, _, e)| matches!(e, app::api::event::ChaosEffect::FaultInjection { fault_type, .. } if fault_type == "error_503")), "{effects:?}");
    // Aggregated: a row per second and endpoint, not a row per request.
    assert!(
        effects.len() <= 2 * 6,
        "{} rows for {touched} requests",
        effects.len()
    );
    let end = events
        .iter()
        .position(|e| matches!(e.kind, EventKind::ExecutionFinished { .. }))
        .unwrap();
    assert_eq!(end, events.len() - 1, "nothing after the end");

    // The report adds them up.
    let id = events[0].execution_id;
    let store = crate::helpers::open_store(&app.database).await;
    let input = server::report::ReportInput::from(
        store.fetch_recorded_execution(id).await.unwrap().unwrap(),
    );
    let report = server::report::generate(&input, time::OffsetDateTime::now_utc(), "it");
    let total = &report.system_impact.chaos_effects;
    assert_eq!(total.len(), 1, "{total:?}");
    assert_eq!(
        (total[0].effect.as_str(), total[0].touched),
        ("FaultInjection", touched)
    );
    let html = server::report::html::render(&report);
    assert!(html.contains("Chaos effects"), "the HTML report shows them");

    // And the metrics count every request by service and fault.
    let text = app
        .client
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let line = text
        .lines()
        .find(|l| {
            l.starts_with("test_coordinator_proxy_requests_total{")
                && l.contains(r#"service="orders-api""#)
                && l.contains(r#"fault="error""#)
        })
        .unwrap_or_else(|| panic!("{text}"));
    let counted: u64 = line.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(counted >= touched, "{line}");
    app.stop().await;
}

/// A fault injected by hand through the REST API: no execution holds it, so
/// it lives its `ttl` and the proxy clears it by itself; the services page's
/// view shows it with the time left; the audit log records who did it; every
/// mistake is a 4xx naming it, and traffic keeps passing.
#[tokio::test]
async fn a_fault_injected_by_hand_lives_its_ttl_and_is_audited() {
    let app = app_with_proxy("30s", "5s").await;
    let inject = |service: &str, body: Value| {
        let (client, url) = (
            app.client.clone(),
            format!("{}/api/v1/services/{service}/chaos", app.base),
        );
        async move {
            let reply = client.post(url).json(&body).send().await.unwrap();
            let status = reply.status().as_u16();
            (status, reply.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    for (service, body, status, says) in [
        (
            "nowhere",
            serde_json::json!({"action": "latency"}),
            404,
            "no service named",
        ),
        (
            "orders-api",
            serde_json::json!({"action": "explode"}),
            404,
            "explode",
        ),
        (
            "orders-api",
            serde_json::json!({"action": "error", "parameters": {"status": 99}}),
            422,
            "status",
        ),
        (
            "orders-api",
            serde_json::json!({"action": "latency", "parameters": {"latency": 5}, "ttl": "forever"}),
            400,
            "ttl",
        ),
        (
            "orders-api",
            serde_json::json!({"action": "latency", "parameters": {"latency": 5}, "ttl": "2d"}),
            400,
            "ttl",
        ),
        (
            "orders-api",
            serde_json::json!({"action": "../../etc"}),
            400,
            "action",
        ),
        (
            "orders-api",
            serde_json::json!({"action": "clear_chaos"}),
            400,
            "clear-chaos",
        ),
        (
            "orders-api",
            serde_json::json!({"parameters": {}}),
            400,
            "action",
        ),
        (
            "exchange-simulator",
            serde_json::json!({"action": "latency", "ttl": "1m"}),
            400,
            "not behind a proxy",
        ),
    ] {
        let (got, body) = inject(service, body.clone()).await;
        assert_eq!(got, status, "{service} {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .contains(says),
            "{service}: {body}"
        );
    }
    assert_eq!(
        front_door(&app).await,
        200,
        "mistakes leave traffic passing"
    );

    let (status, injected) = inject(
        "orders-api",
        serde_json::json!({"action": "error", "parameters": {"status": 503}, "ttl": "2s"}),
    )
    .await;
    assert_eq!(status, 200, "{injected}");
    assert!(
        injected["response"]["fault"]["remaining_ms"]
            .as_u64()
            .unwrap()
            <= 2_000
    );
    assert_eq!(front_door(&app).await, 503);
    let states = app.coordinator.service_states().await.unwrap();
    let proxied = states.iter().find(|s| s.name == "orders-api").unwrap();
    let proxy = proxied.proxy.as_ref().expect("shown as proxied");
    assert!(proxy.reachable);
    assert_eq!(proxy.protocol, "http");
    assert_eq!(proxy.faults.len(), 1);
    assert_eq!(
        (
            proxy.faults[0].action.as_str(),
            proxy.faults[0].owner.as_deref()
        ),
        ("error", None)
    );
    assert!(proxy.faults[0].remaining_ms.is_some_and(|ms| ms <= 2_000));
    // Ours, and the page's own health probe through the front door.
    assert_eq!(proxy.requests["error"], 2, "{:?}", proxy.requests);

    // It clears by itself within its ttl (+ 1 s).
    let cleared = async {
        loop {
            if front_door(&app).await == 200 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(3), cleared)
        .await
        .expect("cleared by its lease");
    assert!(active_faults(&app).await.is_empty());

    // Audited, accepted and refused alike.
    let audit = app
        .coordinator
        .audit_page(app::api::auth::AuditQuery {
            action: Some("inject-chaos".into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .entries;
    assert_eq!(audit.len(), 10, "{audit:#?}");
    assert_eq!(audit.iter().filter(|e| e.status == 200).count(), 1);
    app.stop().await;
}

/// With `proxy.token`, the proxies' chaos API refuses a caller without it
/// (so it may listen off loopback), and the coordinator sends it on every
/// call: injection, renewal, status, clear and injecting by hand.
#[tokio::test]
async fn with_a_token_the_chaos_api_refuses_strangers_and_the_coordinator_passes() {
    const TOKEN: &str = "proxy-token-for-the-test-0123456789";
    let app = app_with_proxy_token("2s", "500ms", Some(TOKEN)).await;
    let service = app.coordinator.config().services["orders-api"].clone();
    let chaos = format!(
        "{}{}",
        service.chaos_base().as_str().trim_end_matches('/'),
        service.chaos_api_path.as_deref().unwrap()
    );
    let stranger = app
        .client
        .post(format!("{chaos}/error"))
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(stranger.status(), 401);
    let body: Value = stranger.json().await.unwrap();
    assert_eq!(body["error"]["kind"], "unauthorized");
    let wrong = app
        .client
        .get(format!("{chaos}/status"))
        .bearer_auth("proxy-token-for-the-test-0123456788")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let health = app
        .client
        .get(service.chaos_base().join("/health").unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200, "health stays open");
    assert_eq!(front_door(&app).await, 200, "refused calls broke nothing");

    // The engine's calls carry it: the scenario breaks the service, the
    // renewals keep the 2 s lease alive, and its end clears the fault.
    let run = app.run(scenario("4s"), 1.0);
    let held_at_3s = async {
        tokio::time::sleep(Duration::from_millis(3_000)).await;
        let status: Value = app
            .client
            .get(format!("{chaos}/status"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        status["active"].as_array().map_or(0, Vec::len)
    };
    let ((status, events), held) = tokio::join!(run, held_at_3s);
    assert_eq!(status, app::api::ExecutionStatus::Completed, "{events:#?}");
    assert_eq!(
        held, 1,
        "renewed past its 2 s lease: the renewals carry the token"
    );
    assert!(events
        .iter()
        .any(|e| matches!(e.kind, EventKind::ChaosEffect { .. })));
    let states = app.coordinator.service_states().await.unwrap();
    let proxy = states
        .iter()
        .find(|s| s.name == "orders-api")
        .unwrap()
        .proxy
        .clone()
        .unwrap();
    assert!(proxy.reachable && proxy.faults.is_empty(), "{proxy:?}");
    let by_hand = app
        .client
        .post(format!("{}/api/v1/services/orders-api/chaos", app.base))
        .json(&serde_json::json!({"action": "latency", "parameters": {"latency": 1}, "ttl": "1s"}))
        .send()
        .await
        .unwrap();
    assert_eq!(by_hand.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn a_proxied_service_offers_the_proxy_faults_to_the_validator() {
    let app = app_with_proxy("30s", "5s").await;
    let (_, catalog) = app.json("/api/v1/catalog").await;
    let text = catalog.to_string();
    assert!(
        text.contains("orders-api") && text.contains("rate_limit"),
        "{catalog}"
    );
    app.stop().await;
}

/// Kills its process when dropped, so a failing test leaves none behind.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The dead man's switch, end to end: `test-coordinator proxy` runs as its
/// own process; `test-coordinator execute` injects a fault through it and
/// renews the fault's 2 s lease; the executor is killed with SIGKILL (no
/// rollback, no goodbye); the proxy clears the fault by itself within the
/// lease + 1 s.
#[tokio::test]
async fn a_coordinator_killed_mid_fault_leaves_the_proxy_to_clear_it_within_its_lease() {
    let dir = tempfile::tempdir().unwrap();
    let (listen, admin) = (free_port(), free_port());
    let config = dir.path().join("config.yaml");
    std::fs::write(
        &config,
        format!(
            "services:\n  orders-api:\n    url: http://{}\n    health_endpoint: /health\n    proxy: {{listen: 127.0.0.1:{listen}, protocol: http}}\n\
             proxy:\n  admin: 127.0.0.1:{admin}\n  embedded: false\n  lease: 2s\n  renew_every: 500ms\n",
            upstream().await
        ),
    )
    .unwrap();
    let scenario = dir.path().join("broken.yaml");
    std::fs::write(
        &scenario,
        "apiVersion: chaos.trading/v1\nkind: Scenario\nmetadata:\n  name: \"killed-mid-fault\"\nspec:\n  phases:\n    - name: \"broken\"\n      duration: \"10m\"\n      actions:\n        - service: \"orders-api\"\n          action: \"error\"\n          parameters: {status: 503}\n",
    )
    .unwrap();
    let binary = std::env::var("TEST_COORDINATOR_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_test-coordinator").to_owned());
    let command = |args: &[&str]| {
        let mut command = std::process::Command::new(&binary);
        command
            .arg("--config")
            .arg(&config)
            .args(args)
            .env("TEST_COORDINATOR_DATABASE", dir.path().join("c.db"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        command
    };
    let proxy = Running(command(&["proxy"]).spawn().unwrap());
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let status_url = format!("http://127.0.0.1:{admin}/proxies/orders-api/chaos/status");
    let active = || async {
        match client.get(&status_url).send().await {
            Ok(reply) => reply
                .json::<Value>()
                .await
                .ok()
                .and_then(|s| s["active"].as_array().map(Vec::len)),
            Err(_) => None,
        }
    };
    let front_door = || async {
        client
            .get(format!("http://127.0.0.1:{listen}/health"))
            .send()
            .await
            .map(|r| r.status().as_u16())
            .ok()
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while active().await != Some(0) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the proxy did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(front_door().await, Some(200));

    let mut executor = Running(
        command(&[
            "execute",
            "--file",
            scenario.to_str().unwrap(),
            "--speed",
            "1",
        ])
        .spawn()
        .unwrap(),
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while active().await != Some(1) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the fault was never injected"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Past the first lease: only the executor's renewals keep it.
    tokio::time::sleep(Duration::from_millis(3_000)).await;
    assert_eq!(active().await, Some(1), "renewed while the executor lives");
    assert_eq!(front_door().await, Some(503));

    executor.0.kill().unwrap(); // SIGKILL
    let killed = std::time::Instant::now();
    let _ = executor.0.wait();
    assert_eq!(
        active().await,
        Some(1),
        "the kill itself clears nothing: the lease does"
    );
    while active().await != Some(0) {
        assert!(
            killed.elapsed() < Duration::from_secs(3),
            "the fault outlived its 2 s lease + 1 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(front_door().await, Some(200), "pass-through again");
    drop(proxy);
}
