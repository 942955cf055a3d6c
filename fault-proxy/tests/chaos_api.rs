//! The chaos API over a set of proxies, over real HTTP: capabilities, status,
//! inject, clear (one, an execution's, all), lease renewal and expiry, and
//! every mistake a 4xx that leaves traffic passing.

use std::{
    net::SocketAddr,
    sync::Arc,
    time::{Duration, Instant},
};

use axum::{routing::get, Router};
use fault_proxy::{LeasePolicy, Protocol, ProxySet, ProxySpec, StartError};
use serde_json::{json, Value};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};

struct Setup {
    api: String,
    web: SocketAddr,
    db: SocketAddr,
    http: reqwest::Client,
}

async fn setup() -> Setup {
    // Upstreams: a small HTTP service and a TCP echo server.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let web_upstream = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            Router::new().route("/health", get(|| async { "ok" })),
        )
        .await
        .unwrap()
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let db_upstream = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (mut read, mut write) = socket.split();
                let _ = tokio::io::copy(&mut read, &mut write).await;
            });
        }
    });
    let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let set = ProxySet::start(
        vec![
            ProxySpec {
                name: "web".into(),
                listen: any,
                protocol: Protocol::Http,
                upstream: web_upstream.to_string(),
            },
            ProxySpec {
                name: "db".into(),
                listen: any,
                protocol: Protocol::Tcp,
                upstream: db_upstream.to_string(),
            },
        ],
        LeasePolicy::default(),
    )
    .await
    .unwrap();
    let (web, db) = (set.address("web").unwrap(), set.address("db").unwrap());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, Arc::new(set).router()).await.unwrap() });
    Setup {
        api,
        web,
        db,
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap(),
    }
}

impl Setup {
    async fn post(&self, path: &str, execution: Option<&str>, body: &str) -> (u16, Value) {
        let mut request = self
            .http
            .post(format!("{}{path}", self.api))
            .header("content-type", "application/json")
            .body(body.to_owned());
        if let Some(id) = execution {
            request = request.header("x-execution-id", id);
        }
        let response = request.send().await.unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let response = self
            .http
            .get(format!("{}{path}", self.api))
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }

    async fn web_status(&self) -> u16 {
        self.http
            .get(format!("http://{}/health", self.web))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    async fn active(&self, name: &str) -> Vec<Value> {
        let (_, status) = self.get(&format!("/proxies/{name}/chaos/status")).await;
        status["active"].as_array().unwrap().clone()
    }
}

#[tokio::test]
async fn the_chaos_api_injects_lists_renews_and_clears_faults() {
    let s = setup().await;
    let (status, health) = s.get("/health").await;
    assert_eq!(status, 200);
    assert_eq!(health["proxies"].as_array().unwrap().len(), 2);

    let (_, tcp) = s.get("/proxies/db/chaos/capabilities").await;
    let names: Vec<&str> = tcp["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"limit_data") && names.contains(&"refuse"),
        "{names:?}"
    );
    let (_, http) = s.get("/proxies/web/chaos/capabilities").await;
    assert_eq!(http["protocol"], "http");
    assert!(http["actions"].to_string().contains("rate_limit"));

    // By hand: the manual lease (10 min).
    let (status, injected) = s
        .post("/proxies/web/chaos/error", None, r#"{"status": 500}"#)
        .await;
    assert_eq!(status, 200, "{injected}");
    assert_eq!(s.web_status().await, 500);
    let active = s.active("web").await;
    let remaining = active[0]["remaining_ms"].as_u64().unwrap();
    assert!((590_000..=600_000).contains(&remaining), "{remaining}");

    // For an execution: the engine's lease (30 s), renewed by the execution.
    let (status, _) = s
        .post(
            "/proxies/web/chaos/latency",
            Some("run-1"),
            r#"{"latency": 1}"#,
        )
        .await;
    assert_eq!(status, 200);
    let remaining = s.active("web").await[1]["remaining_ms"].as_u64().unwrap();
    assert!(remaining <= 30_000, "{remaining}");
    let (status, renewed) = s
        .post(
            "/proxies/web/chaos/lease",
            Some("run-1"),
            r#"{"ttl": "2m"}"#,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(renewed["renewed"].as_array().unwrap().len(), 1);
    assert!(s.active("web").await[1]["remaining_ms"].as_u64().unwrap() > 100_000);

    // Clearing for the execution leaves the hand-made fault; then all.
    let (_, cleared) = s.post("/proxies/web/chaos/clear", Some("run-1"), "").await;
    assert_eq!(cleared["cleared"], 1);
    assert_eq!(s.active("web").await.len(), 1);
    let (_, cleared) = s.post("/proxies/web/chaos/clear", None, "{}").await;
    assert_eq!(cleared["cleared"], 1);
    assert_eq!(s.web_status().await, 200, "pass-through again");

    // One by id, on the TCP proxy, through the action name too.
    let (_, one) = s
        .post("/proxies/db/chaos/latency", None, r#"{"latency": 1}"#)
        .await;
    let id = one["fault"]["id"].as_str().unwrap().to_owned();
    s.post("/proxies/db/chaos/latency", None, r#"{"latency": 2}"#)
        .await;
    let (_, cleared) = s
        .post(
            "/proxies/db/chaos/clear-chaos",
            None,
            &json!({"id": id}).to_string(),
        )
        .await;
    assert_eq!(cleared["ids"], json!([id]));
    assert_eq!(s.active("db").await.len(), 1);
}

#[tokio::test]
async fn a_fault_injected_by_hand_with_ttl_2s_clears_by_itself() {
    let s = setup().await;
    let injected = Instant::now();
    let (status, _) = s
        .post("/proxies/db/chaos/blackhole", None, r#"{"ttl": "2s"}"#)
        .await;
    assert_eq!(status, 200);
    while !s.active("db").await.is_empty() {
        assert!(
            injected.elapsed() < Duration::from_secs(10),
            "cleared by itself"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(injected.elapsed() >= Duration::from_secs(2));
    let mut client = TcpStream::connect(s.db).await.unwrap();
    client.write_all(b"echo").await.unwrap();
    let mut back = [0u8; 4];
    client.read_exact(&mut back).await.unwrap();
    assert_eq!(&back, b"echo");
}

#[tokio::test]
async fn mistakes_are_4xx_in_the_error_shape_and_traffic_keeps_passing() {
    let s = setup().await;
    for (path, body, status, kind) in [
        ("/proxies/web/chaos/teapot", "{}", 404, "unsupported_action"),
        ("/proxies/nope/chaos/latency", "{}", 404, "not_found"),
        (
            "/proxies/web/chaos/latency",
            r#"{"latency": -1}"#,
            422,
            "invalid_parameter",
        ),
        (
            "/proxies/web/chaos/error",
            r#"{"toxicity": 1.5}"#,
            422,
            "invalid_parameter",
        ),
        (
            "/proxies/web/chaos/latency",
            "{not json",
            400,
            "invalid_parameter",
        ),
        (
            "/proxies/web/chaos/latency",
            "[1]",
            400,
            "invalid_parameter",
        ),
        (
            "/proxies/web/chaos/latency",
            r#"{"latency": 5, "ttl": "0s"}"#,
            422,
            "invalid_parameter",
        ),
        (
            "/proxies/web/chaos/latency",
            r#"{"latency": 5, "ttl": "2d"}"#,
            422,
            "invalid_parameter",
        ),
        (
            "/proxies/web/chaos/latency",
            r#"{"latency": 5, "ttl": true}"#,
            422,
            "invalid_parameter",
        ),
        ("/proxies/web/chaos/lease", "{}", 400, "invalid_request"),
    ] {
        let (got, answer) = s.post(path, None, body).await;
        assert_eq!(
            (got, answer["error"]["kind"].as_str()),
            (status, Some(kind)),
            "{path} {body}: {answer}"
        );
        assert!(answer["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
    }
    let (_, unknown) = s.post("/proxies/web/chaos/teapot", None, "{}").await;
    assert!(unknown["error"]["details"]["supported"]
        .to_string()
        .contains("abort"));
    let (_, invalid) = s
        .post("/proxies/web/chaos/latency", None, r#"{"latency": -1}"#)
        .await;
    assert_eq!(
        invalid["error"]["details"]["problems"][0]["parameter"],
        "latency"
    );
    assert!(s.active("web").await.is_empty());
    assert_eq!(s.web_status().await, 200);
}

#[tokio::test]
async fn a_taken_listen_port_stops_the_set_and_names_the_service() {
    let taken = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let error = ProxySet::start(
        vec![
            ProxySpec {
                name: "first".into(),
                listen: "127.0.0.1:0".parse().unwrap(),
                protocol: Protocol::Tcp,
                upstream: "127.0.0.1:1".into(),
            },
            ProxySpec {
                name: "orders-api".into(),
                listen: taken.local_addr().unwrap(),
                protocol: Protocol::Http,
                upstream: "127.0.0.1:1".into(),
            },
        ],
        LeasePolicy::default(),
    )
    .await
    .err()
    .expect("refused");
    assert!(matches!(error, StartError::Bind { ref service, .. } if service == "orders-api"));
    assert!(error.to_string().contains("orders-api"));
}

/// Every request a fault touched is counted; an execution collects what its
/// faults did, aggregated per second, with its renewal and its clear; a
/// connection a TCP fault touched is one effect, whatever its traffic.
#[tokio::test]
async fn effects_are_counted_and_collected_by_their_execution_per_second() {
    let s = setup().await;
    let run = Some("run-effects");
    let (status, _) = s
        .post(
            "/proxies/web/chaos/latency",
            run,
            r#"{"latency": 20, "path": "/health"}"#,
        )
        .await;
    assert_eq!(status, 200);
    for _ in 0..30 {
        assert_eq!(s.web_status().await, 200);
    }
    let (status, _) = s
        .post(
            "/proxies/web/chaos/rate_limit",
            run,
            r#"{"requests_per_second": 1, "burst": 1}"#,
        )
        .await;
    assert_eq!(status, 200);
    let limited = {
        let mut limited = 0;
        for _ in 0..10 {
            limited += u32::from(s.web_status().await == 429);
        }
        limited
    };
    assert!(limited >= 8, "{limited} of 10 limited");

    // The renewal brings the effects so far, then they are gone from the proxy.
    let (_, renewed) = s.post("/proxies/web/chaos/lease", run, "{}").await;
    let effects = renewed["effects"].as_array().unwrap();
    let delayed: u64 = effects
        .iter()
        .filter(|e| e["event_type"]["type"] == "LatencyInjection")
        .map(|e| {
            assert_eq!(e["event_type"]["endpoint"], "GET /health");
            assert!(e["event_type"]["delay_ms"].as_u64().unwrap() >= 20, "{e}");
            e["count"].as_u64().unwrap()
        })
        .sum();
    assert_eq!(
        delayed, 40,
        "every request through the latency: {effects:?}"
    );
    let refused: u64 = effects
        .iter()
        .filter(|e| e["event_type"]["type"] == "RateLimitExceeded")
        .map(|e| {
            assert_eq!(e["event_type"]["client_ip"], "127.0.0.1");
            e["count"].as_u64().unwrap()
        })
        .sum();
    assert_eq!(refused, u64::from(limited));
    // A handful of rows (per second, per kind, per endpoint), not one per request.
    assert!(effects.len() <= 6, "{} rows", effects.len());
    let (_, again) = s.post("/proxies/web/chaos/lease", run, "{}").await;
    assert_eq!(again["effects"], json!([]));

    // The status counts every request, touched or not, per fault.
    let (_, status) = s.get("/proxies/web/chaos/status").await;
    assert_eq!(status["requests"]["latency"], 40);
    assert_eq!(status["requests"]["rate_limit"], u64::from(limited));
    // The clear collects the rest.
    assert_eq!(s.web_status().await, 429);
    let (_, cleared) = s.post("/proxies/web/chaos/clear", run, "{}").await;
    assert_eq!(cleared["cleared"], 2);
    assert_eq!(cleared["effects"].as_array().unwrap().len(), 2, "{cleared}");
    assert_eq!(s.web_status().await, 200);
    let (_, status) = s.get("/proxies/web/chaos/status").await;
    assert_eq!(status["requests"]["none"], 1, "{status}");

    // TCP: one connection through a latency is one effect, however many chunks.
    let (status, _) = s
        .post("/proxies/db/chaos/latency", run, r#"{"latency": 5}"#)
        .await;
    assert_eq!(status, 200);
    let mut db = TcpStream::connect(s.db).await.unwrap();
    for _ in 0..5 {
        db.write_all(b"ping").await.unwrap();
        let mut back = [0u8; 4];
        db.read_exact(&mut back).await.unwrap();
    }
    drop(db);
    let (_, cleared) = s.post("/proxies/db/chaos/clear", run, "{}").await;
    let connections: u64 = cleared["effects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["count"].as_u64().unwrap())
        .sum();
    assert_eq!(connections, 1, "{cleared}");

    // The metrics: requests by service and fault, and the added latency (the
    // last 429 went through the latency first: 41).
    let text = s
        .http
        .get(format!("{}/metrics", s.api))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains(r#"test_coordinator_proxy_requests_total{service="web",fault="latency"} 41"#),
        "{text}"
    );
    assert!(
        text.contains(r#"test_coordinator_proxy_added_latency_seconds_count{service="web"} 41"#),
        "{text}"
    );
}

/// With a token, every route but `/health` asks for it.
#[tokio::test]
async fn a_token_is_asked_of_every_route_but_health() {
    let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let set = ProxySet::start(
        vec![ProxySpec {
            name: "web".into(),
            listen: any,
            protocol: Protocol::Http,
            upstream: "127.0.0.1:1".into(),
        }],
        LeasePolicy::default(),
    )
    .await
    .unwrap()
    .require_token(Some("sixteen-or-more-characters".into()));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, Arc::new(set).router()).await.unwrap() });
    let http = reqwest::Client::new();
    let status = |request: reqwest::RequestBuilder| async move {
        request.send().await.unwrap().status().as_u16()
    };
    assert_eq!(status(http.get(format!("{api}/health"))).await, 200);
    for path in [
        "/proxies/web/chaos/status",
        "/proxies/web/chaos/capabilities",
        "/metrics",
    ] {
        assert_eq!(
            status(http.get(format!("{api}{path}"))).await,
            401,
            "{path}"
        );
        assert_eq!(
            status(
                http.get(format!("{api}{path}"))
                    .bearer_auth("sixteen-or-more-characterz")
            )
            .await,
            401,
            "{path}, a wrong token"
        );
        assert_eq!(
            status(
                http.get(format!("{api}{path}"))
                    .bearer_auth("sixteen-or-more-characters")
            )
            .await,
            200,
            "{path}"
        );
    }
    let refused = http
        .post(format!("{api}/proxies/web/chaos/latency"))
        .json(&json!({"latency": 5}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["kind"], "unauthorized");
}
