//! The HTTP proxy on loopback in front of a small real HTTP service (axum)
//! the test starts: each fault's effect as a client sees it, filters by
//! method and path, toxicity, stacking, clearing back to exact pass-through,
//! bad input, and an upstream that is down. Times are lower bounds only.

use std::{
    net::SocketAddr,
    time::{Duration, Instant},
};

use axum::{
    routing::{get, post},
    Router,
};
use fault_proxy::{FaultError, HttpProxy, InjectError, Lease};
use serde_json::{json, Value};

/// The body `/data` answers: 4 KiB of a known pattern.
fn data() -> Vec<u8> {
    (0..4096).map(|i| (i % 251) as u8).collect()
}

/// A small HTTP service: `GET /data`, `POST /orders` echoing its body,
/// `GET /health`.
async fn upstream() -> SocketAddr {
    let app = Router::new()
        .route("/data", get(|| async { data() }))
        .route("/orders", post(|body: String| async move { body }))
        .route("/health", get(|| async { "ok" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    address
}

async fn proxy() -> HttpProxy {
    HttpProxy::start(
        "orders-api",
        "127.0.0.1:0".parse().unwrap(),
        upstream().await.to_string(),
    )
    .await
    .unwrap()
}

fn url(proxy: &HttpProxy, path: &str) -> String {
    format!("http://{}{path}", proxy.address())
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

#[tokio::test]
async fn requests_pass_untouched_until_a_fault_and_again_after_clearing() {
    let proxy = proxy().await;
    let http = client();
    let got = http.get(url(&proxy, "/data")).send().await.unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(got.bytes().await.unwrap(), data());
    let echoed = http
        .post(url(&proxy, "/orders?x=1"))
        .body("order 7")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.text().await.unwrap(), "order 7");

    proxy
        .inject("error", json!({"status": 500}), Lease::default())
        .unwrap();
    let failed = http.get(url(&proxy, "/data")).send().await.unwrap();
    assert_eq!(failed.status(), 500);
    let body: Value = failed.json().await.unwrap();
    assert_eq!(body["error"]["kind"], "injected_fault");

    proxy.book().clear(None);
    let got = http.get(url(&proxy, "/data")).send().await.unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(got.bytes().await.unwrap(), data(), "exact again");
    proxy.shutdown().await;
}

#[tokio::test]
async fn latency_delays_matching_requests_and_stacks() {
    let proxy = proxy().await;
    let http = client();
    proxy
        .inject(
            "latency",
            json!({"latency": 200, "path": "/data"}),
            Lease::default(),
        )
        .unwrap();
    let started = Instant::now();
    assert_eq!(
        http.get(url(&proxy, "/data"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let one = started.elapsed();
    assert!(one >= Duration::from_millis(200), "{one:?}");
    proxy
        .inject("latency", json!({"latency": 200}), Lease::default())
        .unwrap();
    let started = Instant::now();
    http.get(url(&proxy, "/data")).send().await.unwrap();
    let two = started.elapsed();
    assert!(two >= Duration::from_millis(400), "stacked: {two:?}");
    proxy.shutdown().await;
}

#[tokio::test]
async fn error_and_abort_apply_to_their_method_and_path_only() {
    let proxy = proxy().await;
    let http = client();
    proxy
        .inject(
            "error",
            json!({"status": 503, "method": "POST", "path": "/orders*", "body": "down", "content_type": "text/plain"}), Lease::default())
        .unwrap();
    let refused = http
        .post(url(&proxy, "/orders"))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 503);
    assert_eq!(refused.headers()["content-type"], "text/plain");
    assert_eq!(refused.text().await.unwrap(), "down");
    assert_eq!(
        http.get(url(&proxy, "/data"))
            .send()
            .await
            .unwrap()
            .status(),
        200,
        "another path passes"
    );

    proxy.book().clear(None);
    proxy
        .inject("abort", json!({"path": "/data"}), Lease::default())
        .unwrap();
    let dropped = http.get(url(&proxy, "/data")).send().await;
    assert!(dropped.is_err(), "no answer: {dropped:?}");
    assert_eq!(
        http.get(url(&proxy, "/health"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    proxy.shutdown().await;
}

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after_once_the_rate_is_passed() {
    let proxy = proxy().await;
    let http = client();
    proxy
        .inject(
            "rate_limit",
            json!({"requests_per_second": 1, "burst": 3}),
            Lease::default(),
        )
        .unwrap();
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for _ in 0..6 {
        let answer = http.get(url(&proxy, "/health")).send().await.unwrap();
        if answer.status() == 429 {
            retry_after = answer
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_owned());
        }
        statuses.push(answer.status().as_u16());
    }
    // Six requests within well under a second: the burst of 3 passes.
    assert_eq!(&statuses[..3], [200, 200, 200]);
    assert!(statuses[3..].contains(&429), "{statuses:?}");
    assert_eq!(retry_after.as_deref(), Some("1"));
    proxy.shutdown().await;
}

#[tokio::test]
async fn corrupt_body_changes_bytes_but_not_the_length() {
    let proxy = proxy().await;
    let http = client();
    proxy
        .inject("corrupt_body", json!({"rate": 0.5}), Lease::default())
        .unwrap();
    let body = http
        .get(url(&proxy, "/data"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(body.len(), data().len());
    let changed = body.iter().zip(data()).filter(|(a, b)| **a != *b).count();
    // Binomial(4096, 0.5): 2048 ± 32.
    assert!((1700..=2400).contains(&changed), "{changed} bytes changed");
    proxy.shutdown().await;
}

#[tokio::test]
async fn toxicity_half_hits_about_half_the_requests() {
    let proxy = proxy().await;
    let http = client();
    proxy
        .inject(
            "error",
            json!({"status": 500, "toxicity": 0.5}),
            Lease::default(),
        )
        .unwrap();
    let mut failed = 0;
    for _ in 0..400 {
        if http
            .get(url(&proxy, "/health"))
            .send()
            .await
            .unwrap()
            .status()
            == 500
        {
            failed += 1;
        }
    }
    // Binomial(400, 0.5): 200 ± 10; ±60 is six deviations.
    assert!((140..=260).contains(&failed), "{failed} of 400");
    proxy.shutdown().await;
}

#[tokio::test]
async fn bad_requests_are_refused_and_traffic_keeps_passing() {
    let proxy = proxy().await;
    for (action, body) in [
        ("teapot", json!({})),
        ("latency", json!({"latency": -5})),
        ("error", json!({"toxicity": 1.01})),
        ("error", json!({"status": 302})),
    ] {
        assert!(
            matches!(
                proxy.inject(action, body.clone(), Lease::default()),
                Err(InjectError::Fault(
                    FaultError::Unsupported { .. } | FaultError::Invalid(_)
                ))
            ),
            "{action} {body}"
        );
    }
    assert!(proxy.book().active().is_empty());
    assert_eq!(
        client()
            .get(url(&proxy, "/health"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    proxy.shutdown().await;
}

#[tokio::test]
async fn an_upstream_that_is_down_is_a_502_never_a_hang() {
    // Bound but never listening: connecting is refused, and the port stays
    // ours (a dropped listener's port can go straight to a parallel test's
    // `bind(0)`, which then answers 200).
    let held = tokio::net::TcpSocket::new_v4().unwrap();
    held.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let down = held.local_addr().unwrap();
    let proxy = HttpProxy::start(
        "orders-api",
        "127.0.0.1:0".parse().unwrap(),
        down.to_string(),
    )
    .await
    .unwrap();
    let answer = client().get(url(&proxy, "/health")).send().await.unwrap();
    assert_eq!(answer.status(), 502);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["error"]["kind"], "upstream_unavailable");
    proxy.shutdown().await;
}
