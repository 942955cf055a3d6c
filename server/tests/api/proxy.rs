//! A service behind the built-in fault-injection proxy (docs/proxy.md): a
//! scenario injects a fault exactly as it would on the sandbox, the service's
//! callers see it through the proxy's front door, the engine keeps the
//! fault's lease alive while the execution runs, and its end clears it.
//! The upstream is a small real HTTP service the test starts.

use std::time::Duration;

use axum::{routing::get, Router};
use serde_json::Value;
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
    let mut settings = Settings::default();
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
