//! The sandbox over real HTTP on 127.0.0.1 (free ports, fixed seed, high
//! time scale): for each chaos, its effect and its recovery, plus the chaos
//! API contract, time scale and determinism.

use std::future::Future;
use std::time::Duration;

use reqwest::StatusCode;
use sandbox::{Ports, Sandbox, SandboxConfig, Service};
use serde_json::{json, Value};

const SEED: u64 = 42;

struct TestSandbox {
    sandbox: Sandbox,
    client: reqwest::Client,
}

async fn spawn(scale: f64) -> TestSandbox {
    spawn_seeded(SEED, scale).await
}

async fn spawn_seeded(seed: u64, scale: f64) -> TestSandbox {
    let config = SandboxConfig {
        ports: Ports::any(),
        seed,
        time_scale: scale,
        instance: "test".into(),
        environment: "test".into(),
        ..SandboxConfig::default()
    };
    let sandbox = sandbox::start(config).await.expect("sandbox starts");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    TestSandbox { sandbox, client }
}

impl TestSandbox {
    fn url(&self, service: Service, path: &str) -> String {
        format!("http://{}{}", self.sandbox.addr(service), path)
    }

    async fn get(&self, service: Service, path: &str) -> (StatusCode, Value) {
        let resp = self
            .client
            .get(self.url(service, path))
            .send()
            .await
            .expect("request");
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    async fn post(&self, service: Service, path: &str, body: Value) -> (StatusCode, Value) {
        let resp = self
            .client
            .post(self.url(service, path))
            .header("X-Execution-Id", "exec-42")
            .json(&body)
            .send()
            .await
            .expect("request");
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    async fn chaos(&self, service: Service, action: &str, params: Value) -> Value {
        let path = format!("/chaos/{}", action.replace('_', "-"));
        let (status, body) = self.post(service, &path, params).await;
        assert_eq!(status, StatusCode::OK, "{action}: {body}");
        body
    }

    async fn clear(&self, service: Service) -> Value {
        let resp = self
            .client
            .post(self.url(service, "/chaos/clear"))
            .header("X-Execution-Id", "exec-42")
            .send()
            .await
            .expect("request");
        assert_eq!(resp.status(), StatusCode::OK);
        resp.json().await.expect("json")
    }

    async fn alerts(&self) -> Vec<Value> {
        let (_, body) = self.get(Service::RiskMonitor, "/api/v1/alerts").await;
        body["alerts"].as_array().cloned().unwrap_or_default()
    }

    async fn alert_active(&self, kind: &str) -> bool {
        self.alerts()
            .await
            .iter()
            .any(|a| a["type"] == kind && a["active"] == true)
    }

    async fn strategy(&self, name: &str) -> Value {
        self.get(
            Service::TradingEngine,
            &format!("/api/v1/strategies/{name}"),
        )
        .await
        .1
    }

    async fn order(&self, account: &str) -> (StatusCode, Value) {
        let body = json!({"account": account, "symbol": "BTC-USD", "side": "buy", "type": "market", "quantity": 0.01});
        self.post(Service::ExchangeSimulator, "/api/v1/orders", body)
            .await
    }
}

/// Polls `check` every 20 ms for up to `secs` real seconds.
async fn eventually<F, Fut>(secs: u64, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while tokio::time::Instant::now() < deadline {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

#[tokio::test]
async fn every_service_is_healthy_and_lists_its_capabilities() {
    let t = spawn(1.0).await;
    let names: Vec<&str> = t.sandbox.services().iter().map(|(n, _)| *n).collect();
    assert_eq!(
        names,
        [
            "exchange-simulator",
            "custodian-simulator",
            "market-data-simulator",
            "trading-engine",
            "risk-monitor",
            "audit-correlator"
        ]
    );
    for service in Service::ALL {
        let (status, health) = t.get(service, "/health").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(health["status"], "healthy");
        assert_eq!(health["service"], service.name());
        assert_eq!(health["instance"], "test");
        assert_eq!(health["environment"], "test");
        for field in ["version", "timestamp", "sim_time_s", "time_scale"] {
            assert!(!health[field].is_null(), "{service} /health has {field}");
        }
        let (status, caps) = t.get(service, "/chaos/capabilities").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(caps["service"], service.name());
        let actions = caps["actions"].as_array().expect("actions");
        assert_eq!(actions.len(), sandbox::catalog::actions(service).len());
        for action in actions {
            assert!(action["name"].is_string() && action["description"].is_string());
            assert_ne!(action["name"], "clear");
            for p in action["parameters"].as_array().expect("parameters") {
                let ty = p["type"].as_str().expect("type");
                assert!(
                    ["string", "int", "float", "bool", "duration", "enum", "list", "object"]
                        .contains(&ty)
                );
                if ty == "enum" {
                    assert!(p["values"].is_array());
                }
                if ty == "list" {
                    assert_eq!(p["items"], "string");
                }
            }
        }
        let (status, st) = t.get(service, "/chaos/status").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(st["active"], json!([]));
    }
    let (_, caps) = t
        .get(Service::ExchangeSimulator, "/chaos/capabilities")
        .await;
    let latency = caps["actions"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["name"] == "inject_latency"))
        .cloned()
        .expect("inject_latency");
    let delay = latency["parameters"]
        .as_array()
        .and_then(|p| p.iter().find(|x| x["name"] == "delay_ms"))
        .cloned()
        .expect("delay_ms");
    assert_eq!(delay["type"], "int");
    assert_eq!(delay["required"], true);
    t.sandbox.shutdown().await;
}

#[tokio::test]
async fn bad_requests_get_the_error_shape_with_the_right_status() {
    let t = spawn(1.0).await;
    let (status, body) = t
        .post(
            Service::ExchangeSimulator,
            "/chaos/inject-latency",
            json!({"delay_ms": 100, "dealy": 5}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["kind"], "invalid_parameter");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("dealy")),
        "{body}"
    );
    let (status, body) = t
        .post(
            Service::ExchangeSimulator,
            "/chaos/inject-latency",
            json!({}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "missing delay_ms: {body}"
    );
    let (status, body) = t
        .post(Service::ExchangeSimulator, "/chaos/teleport", json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["error"]["kind"].is_string());
    let resp = t
        .client
        .post(t.url(Service::ExchangeSimulator, "/chaos/inject-latency"))
        .body("{not json")
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let (status, _) = t
        .post(
            Service::MarketDataSimulator,
            "/chaos/price-shock",
            json!({"symbol": "DOGE-USD", "shock_percentage": -10}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, body) = t
        .post(
            Service::TradingEngine,
            "/chaos/start-strategy",
            json!({"strategy": "arbitrage", "config": {"max_postion_size": 3}}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    t.sandbox.shutdown().await;
}

#[tokio::test]
async fn exchange_latency_raises_an_execution_latency_alert_and_clear_resolves_it() {
    let t = spawn(600.0).await;
    let body = t
        .chaos(
            Service::ExchangeSimulator,
            "inject_latency",
            json!({"delay_ms": 500, "operations": ["place_order", "cancel_order"], "affected_accounts": ["strategy-arbitrage"]}),
        )
        .await;
    assert_eq!(body["action"], "inject_latency");
    assert_eq!(body["status"], "active");
    let id = body["id"].as_str().expect("id").to_string();
    let (_, status) = t.get(Service::ExchangeSimulator, "/chaos/status").await;
    assert_eq!(status["active"][0]["id"], id.as_str());
    assert_eq!(status["active"][0]["execution_id"], "exec-42");
    assert!(status["active"][0]["expires_at"].is_null());

    assert!(
        eventually(10, || t.alert_active("execution_latency")).await,
        "alert raised"
    );
    assert!(
        eventually(10, || async {
            t.strategy("arbitrage").await["adapted"] == true
        })
        .await,
        "arbitrage adapts"
    );
    let s = t.strategy("arbitrage").await;
    assert!(
        s["p95_latency_ms"].as_f64().is_some_and(|p| p > 500.0),
        "{s}"
    );
    assert!(s["adaptations"].as_array().is_some_and(|a| !a.is_empty()));
    // Another account is not slowed: a real order answers quickly.
    let started = std::time::Instant::now();
    let (status, order) = t.order("someone-else").await;
    assert_eq!(status, StatusCode::OK, "{order}");
    assert!(order["latency_ms"].as_f64().is_some_and(|l| l < 250.0));
    assert!(started.elapsed() < Duration::from_secs(1));

    assert_eq!(t.clear(Service::ExchangeSimulator).await["cleared"], 1);
    assert!(
        eventually(10, || async { !t.alert_active("execution_latency").await }).await,
        "alert resolves"
    );
    let resolved = t
        .alerts()
        .await
        .into_iter()
        .find(|a| a["type"] == "execution_latency")
        .expect("alert kept");
    assert!(resolved["resolved_at"].is_string() && resolved["raised_at"].is_string());
    assert_eq!(resolved["correlation_id"], "exec-42");
    assert!(
        eventually(10, || async {
            t.strategy("arbitrage").await["performance"]["normalized"] == true
        })
        .await,
        "performance normalizes"
    );

    let (_, trail) = t
        .get(
            Service::AuditCorrelator,
            "/api/v1/events?correlation_id=exec-42",
        )
        .await;
    let kinds: Vec<&str> = trail["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    for kind in [
        "chaos_injected",
        "alert_raised",
        "chaos_cleared",
        "alert_resolved",
    ] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    t.sandbox.shutdown().await;
}

#[tokio::test]
async fn a_five_percent_depeg_raises_correlation_breach_and_recovery_resolves_it() {
    let t = spawn(3600.0).await;
    t.chaos(Service::MarketDataSimulator, "stablecoin_depeg", json!({"symbol": "USDT-USD", "target_deviation": -0.05, "duration_hours": 1, "pattern": "gradual_linear"})).await;
    assert!(
        eventually(10, || t.alert_active("correlation_breach")).await,
        "correlation_breach"
    );
    assert!(
        eventually(10, || async {
            let (_, p) = t
                .get(Service::MarketDataSimulator, "/api/v1/prices/USDT-USD")
                .await;
            p["deviation"].as_f64().is_some_and(|d| d < -0.04)
        })
        .await,
        "USDT reaches its target"
    );
    assert!(
        eventually(10, || async {
            t.strategy("arbitrage").await["performance"]["increased_activity"] == true
        })
        .await
    );
    let body = t
        .chaos(
            Service::MarketDataSimulator,
            "price_recovery",
            json!({"symbol": "USDT-USD", "target_price": 1.0, "recovery_hours": 1}),
        )
        .await;
    assert_eq!(body["superseded"].as_array().map(Vec::len), Some(1));
    assert!(
        eventually(15, || async { !t.alert_active("correlation_breach").await }).await,
        "breach resolves"
    );
    let (_, p) = t
        .get(Service::MarketDataSimulator, "/api/v1/prices/USDT-USD")
        .await;
    assert!(
        p["deviation"].as_f64().is_some_and(|d| d.abs() < 0.005),
        "{p}"
    );
    t.sandbox.shutdown().await;
}

#[tokio::test]
async fn downtime_fails_every_order_and_health_until_cleared() {
    let t = spawn(60.0).await;
    t.chaos(
        Service::ExchangeSimulator,
        "simulate_downtime",
        json!({"duration": "1h"}),
    )
    .await;
    let (status, health) = t.get(Service::ExchangeSimulator, "/health").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(health["status"], "down");
    for _ in 0..10 {
        let (status, body) = t.order("client").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert_eq!(body["error"]["kind"], "service_unavailable");
    }
    assert!(
        eventually(10, || async {
            t.strategy("arbitrage").await["success_rate"]
                .as_f64()
                .is_some_and(|s| s < 0.05)
        })
        .await,
        "strategies' orders fail"
    );
    let (_, st) = t.get(Service::ExchangeSimulator, "/chaos/status").await;
    assert!(st["active"][0]["expires_at"].is_string());
    t.clear(Service::ExchangeSimulator).await;
    let (status, _) = t.get(Service::ExchangeSimulator, "/health").await;
    assert_eq!(status, StatusCode::OK);
    let (status, order) = t.order("client").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(order["status"], "filled");
    t.sandbox.shutdown().await;
}

#[tokio::test]
async fn chaos_with_a_duration_expires_by_itself() {
    let t = spawn(3600.0).await;
    t.chaos(
        Service::ExchangeSimulator,
        "simulate_downtime",
        json!({"duration": "10m"}),
    )
    .await;
    assert!(
        eventually(10, || async {
            t.get(Service::ExchangeSimulator, "/health").await.0 == StatusCode::OK
        })
        .await,
        "downtime expires"
    );
    let (_, trail) = t
        .get(
            Service::AuditCorrelator,
            "/api/v1/events?kind=chaos_expired",
        )
        .await;
    assert_eq!(trail["count"], 1);
    t.sandbox.shutdown().await;
}

#[tokio::test]
async fn rate_limit_answers_429_at_about_the_given_rate() {
    let t = spawn(1.0).await;
    t.chaos(
        Service::ExchangeSimulator,
        "rate_limit",
        json!({"rate": 0.5}),
    )
    .await;
    let mut limited = 0;
    for _ in 0..200 {
        let (status, _) = t.order("flood").await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            limited += 1;
        }
    }
    assert!((70..=130).contains(&limited), "{limited} of 200 limited");
    t.clear(Service::ExchangeSimulator).await;
    // The stats endpoint is rate-limited too, so read it after clearing.
    let (_, stats) = t.get(Service::ExchangeSimulator, "/api/v1/stats").await;
    assert_eq!(stats["accounts"]["flood"]["rate_limited"], limited);
    let (status, _) = t.order("flood").await;
    assert_eq!(status, StatusCode::OK);
    t.sandbox.shutdown().await;
}

#[tokio::test]
async fn database_outage_fails_requests_with_5xx_at_the_given_rate() {
    let t = spawn(1.0).await;
    t.chaos(
        Service::CustodianSimulator,
        "database_outage",
        json!({"failure_rate": 1.0}),
    )
    .await;
    let (status, body) = t.get(Service::CustodianSimulator, "/api/v1/balances").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error"]["kind"], "database_unavailable");
    t.clear(Service::CustodianSimulator).await;
    let (status, body) = t
        .get(
            Service::CustodianSimulator,
            "/api/v1/balances?account=strategy-arbitrage",
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body["balances"]["USD"].is_number());
    t.sandbox.shutdown().await;
}

#[tokio::test]
async fn a_network_partition_makes_requests_hang_while_the_chaos_api_answers() {
    let t = spawn(1.0).await;
    t.chaos(Service::ExchangeSimulator, "network_partition", json!({}))
        .await;
    let err = t
        .client
        .get(t.url(Service::ExchangeSimulator, "/api/v1/books"))
        .timeout(Duration::from_millis(300))
        .send()
        .await
        .expect_err("hangs");
    assert!(err.is_timeout(), "{err}");
    let (status, st) = t.get(Service::ExchangeSimulator, "/chaos/status").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(st["active"][0]["action"], "network_partition");
    // A hanging request does not hold shutdown up.
    let hanging = tokio::spawn({
        let client = t.client.clone();
        let url = t.url(Service::ExchangeSimulator, "/api/v1/books");
        async move { client.get(url).send().await.map(|r| r.status()) }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    t.clear(Service::ExchangeSimulator).await;
    let (status, _) = t.get(Service::ExchangeSimulator, "/api/v1/books").await;
    assert_eq!(status, StatusCode::OK);
    let _ = tokio::time::timeout(Duration::from_secs(5), hanging).await;
    tokio::time::timeout(Duration::from_secs(5), t.sandbox.shutdown())
        .await
        .expect("shutdown is prompt");
}

#[tokio::test]
async fn reduced_liquidity_widens_spreads_and_restore_brings_them_back() {
    let t = spawn(60.0).await;
    t.chaos(
        Service::ExchangeSimulator,
        "reduce_liquidity",
        json!({"symbols": ["USDT-BTC", "USDT-ETH"], "reduction_factor": 0.5}),
    )
    .await;
    let (_, book) = t
        .get(Service::ExchangeSimulator, "/api/v1/books/USDT-BTC")
        .await;
    assert!(
        book["spread_ratio"].as_f64().is_some_and(|r| r > 2.0),
        "{book}"
    );
    assert!(book["liquidity_factor"]
        .as_f64()
        .is_some_and(|l| (l - 0.5).abs() < 1e-9));
    assert_eq!(book["bids"].as_array().map(Vec::len), Some(10));
    assert!(eventually(10, || t.alert_active("liquidity_crisis")).await);
    assert!(
        eventually(10, || t.alert_active("risk_escalation")).await,
        "two critical liquidity alerts escalate"
    );
    let body = t
        .chaos(Service::ExchangeSimulator, "restore_liquidity", json!({}))
        .await;
    assert_eq!(body["status"], "applied");
    let (_, book) = t
        .get(Service::ExchangeSimulator, "/api/v1/books/USDT-BTC")
        .await;
    assert!(
        book["spread_ratio"].as_f64().is_some_and(|r| r < 2.0),
        "{book}"
    );
    assert!(
        eventually(10, || async {
            !t.alert_active("liquidity_crisis").await && !t.alert_active("risk_escalation").await
        })
        .await
    );
    t.sandbox.shutdown().await;
}

#[tokio::test]
async fn a_runaway_strategy_breaches_its_position_limit_until_cleared() {
    let t = spawn(600.0).await;
    t.chaos(
        Service::TradingEngine,
        "strategy_runaway",
        json!({"strategy": "momentum", "multiplier": 20}),
    )
    .await;
    assert!(eventually(10, || t.alert_active("position_limit_breach")).await);
    let (_, pos) = t.get(Service::RiskMonitor, "/api/v1/positions").await;
    assert_eq!(pos["any_breached"], true);
    t.clear(Service::TradingEngine).await;
    assert!(
        eventually(15, || async {
            !t.alert_active("position_limit_breach").await
        })
        .await,
        "position flattened"
    );
    t.sandbox.shutdown().await;
}

#[tokio::test]
async fn start_strategy_reconfigures_and_stop_and_crash_take_strategies_down() {
    let t = spawn(60.0).await;
    let body = t.chaos(Service::TradingEngine, "start_strategy", json!({"strategy": "arbitrage", "config": {"min_spread_bps": 5, "max_position_size": 10.0}})).await;
    assert_eq!(body["status"], "applied");
    let s = t.strategy("arbitrage").await;
    assert_eq!(s["state"], "running");
    assert_eq!(s["account"], "strategy-arbitrage");
    assert_eq!(s["config"]["max_position_size"], 10.0);
    t.chaos(
        Service::TradingEngine,
        "stop_strategy",
        json!({"strategy": "momentum"}),
    )
    .await;
    assert_eq!(t.strategy("momentum").await["state"], "stopped");
    t.chaos(Service::TradingEngine, "crash", json!({})).await;
    let (status, _) = t.get(Service::TradingEngine, "/health").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    t.chaos(Service::TradingEngine, "restart", json!({})).await;
    let (status, _) = t.get(Service::TradingEngine, "/health").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(t.strategy("arbitrage").await["state"], "running");
    assert_eq!(t.strategy("momentum").await["state"], "stopped");
    t.sandbox.shutdown().await;
}

#[tokio::test]
async fn custodian_delays_fails_and_resumes_settlements() {
    let t = spawn(3600.0).await;
    t.chaos(Service::CustodianSimulator, "delay_settlements", json!({"settlement_types": ["crypto_external", "fiat", "crypto_internal"], "delay_duration": "24h"})).await;
    assert!(
        eventually(15, || t.alert_active("settlement_delay")).await,
        "settlement_delay"
    );
    let (_, q) = t
        .get(
            Service::CustodianSimulator,
            "/api/v1/settlements?state=delayed",
        )
        .await;
    assert!(
        q["queue"]["delayed"].as_u64().is_some_and(|n| n > 0),
        "{}",
        q["queue"]
    );
    t.chaos(
        Service::CustodianSimulator,
        "resume_normal_settlement",
        json!({}),
    )
    .await;
    assert!(eventually(10, || async { !t.alert_active("settlement_delay").await }).await);
    t.chaos(Service::CustodianSimulator, "go_offline", json!({}))
        .await;
    assert_eq!(
        t.get(Service::CustodianSimulator, "/health").await.0,
        StatusCode::SERVICE_UNAVAILABLE
    );
    t.chaos(
        Service::CustodianSimulator,
        "resume_normal_settlement",
        json!({}),
    )
    .await;
    assert_eq!(
        t.get(Service::CustodianSimulator, "/health").await.0,
        StatusCode::OK
    );
    t.chaos(
        Service::CustodianSimulator,
        "fail_settlements",
        json!({"rate": 1.0}),
    )
    .await;
    assert!(
        eventually(10, || async {
            let (_, q) = t
                .get(Service::CustodianSimulator, "/api/v1/settlements")
                .await;
            q["totals"]["failed"].as_u64().is_some_and(|n| n > 0)
        })
        .await
    );
    t.sandbox.shutdown().await;
}

#[tokio::test]
async fn template_disruptions_degrade_performance_and_clear_restores_it() {
    let t = spawn(600.0).await;
    for action in ["latency", "downtime", "order_rejection", "partial_fills"] {
        t.chaos(
            Service::ExchangeSimulator,
            action,
            json!({"intensity": 0.5}),
        )
        .await;
        assert!(
            eventually(10, || async {
                let (_, p) = t.get(Service::TradingEngine, "/api/v1/performance").await;
                p["degraded"] == true
            })
            .await,
            "{action} degrades"
        );
        t.clear(Service::ExchangeSimulator).await;
        assert!(
            eventually(15, || async {
                let (_, p) = t.get(Service::TradingEngine, "/api/v1/performance").await;
                p["normalized"] == true
            })
            .await,
            "{action} recovers"
        );
    }
    t.sandbox.shutdown().await;
}

#[tokio::test]
async fn the_time_scale_header_sets_the_scale() {
    let t = spawn(1.0).await;
    let resp = t
        .client
        .get(t.url(Service::RiskMonitor, "/health"))
        .header("X-Chaos-Time-Scale", "120")
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::OK);
    let (_, health) = t.get(Service::ExchangeSimulator, "/health").await;
    assert_eq!(health["time_scale"], 120.0);
    let before = t.sandbox.sim_time();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let advanced = t.sandbox.sim_time() - before;
    assert!(advanced > 10.0, "sim advanced {advanced}s in 0.2s real");
    t.sandbox.shutdown().await;
}

#[tokio::test]
async fn the_same_seed_gives_the_same_price_path() {
    async fn path(seed: u64) -> Vec<(f64, f64)> {
        let t = spawn_seeded(seed, 36_000.0).await;
        assert!(eventually(20, || async { t.sandbox.sim_time() > 3.0 * 3600.0 }).await);
        let (_, h) = t
            .get(
                Service::MarketDataSimulator,
                "/api/v1/prices/BTC-USD/history?limit=1440",
            )
            .await;
        t.sandbox.shutdown().await;
        h["points"]
            .as_array()
            .expect("points")
            .iter()
            .map(|p| {
                (
                    p["sim_time_s"].as_f64().unwrap_or(0.0),
                    p["price"].as_f64().unwrap_or(0.0),
                )
            })
            .filter(|(t, _)| *t <= 3.0 * 3600.0)
            .collect()
    }
    // Compare the points both runs recorded (the runs were observed at
    // slightly different sim times).
    fn common(x: &[(f64, f64)], y: &[(f64, f64)]) -> (Vec<f64>, Vec<f64>) {
        x.iter()
            .filter_map(|(t, p)| y.iter().find(|(u, _)| u == t).map(|(_, q)| (*p, *q)))
            .unzip()
    }
    let (a, b, c) = (path(7).await, path(7).await, path(8).await);
    let (left, right) = common(&a, &b);
    assert!(left.len() > 100, "{} common points", left.len());
    assert_eq!(left, right);
    let (left, right) = common(&a, &c);
    assert_ne!(left, right);
}
