//! A stop against a target that never answers, and a panic in an execution's
//! task (issue 13, findings 7 and 9), over real HTTP.

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use axum::{routing::post, Json, Router};
use serde_json::{json, Value};
use server::config::Settings;
use tokio::net::TcpListener;

use crate::helpers::spawn_app_with;

/// A chaos-API target on 127.0.0.1:0: `POST /chaos/clear` answers (and is
/// counted); everything else answers only if `hang` is false, else never.
async fn start_target(hang: bool) -> (String, Arc<AtomicUsize>, tokio::task::JoinHandle<()>) {
    let clears = Arc::new(AtomicUsize::new(0));
    let counted = clears.clone();
    let router = Router::new()
        .route(
            "/chaos/clear",
            post(move || {
                counted.fetch_add(1, Ordering::SeqCst);
                async { Json(json!({"cleared": true})) }
            }),
        )
        .fallback(move || async move {
            if hang {
                std::future::pending::<()>().await;
            }
            Json(json!({}))
        });
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("target binds");
    let url = format!("http://{}", listener.local_addr().expect("target address"));
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    (url, clears, task)
}

/// Settings whose `exchange-simulator` is the target at `url`.
fn settings_with_exchange_at(url: &str) -> Settings {
    let mut settings = Settings::default();
    let exchange = settings
        .services
        .get_mut("exchange-simulator")
        .expect("exchange-simulator is configured by default");
    exchange.url = url.to_owned();
    exchange.timeout = "30s".into();
    settings
}

const HEADER: &str = "apiVersion: chaos.trading/v1\nkind: Scenario\nmetadata: {name: cancel-it}\n";

async fn events(app: &crate::helpers::TestApp, id: &str) -> Vec<Value> {
    let (_, logs) = app.json(&format!("/api/v1/scenarios/{id}/logs")).await;
    logs["events"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn a_stop_against_a_target_that_never_answers_is_recorded_and_answered_at_once() {
    let (url, clears, target) = start_target(true).await;
    let app = spawn_app_with(settings_with_exchange_at(&url)).await;
    let yaml = format!(
        "{HEADER}spec:\n  phases:\n    - name: chaos\n      duration: 10m\n      actions:\n        - {{service: exchange-simulator, action: inject_latency, parameters: {{delay_ms: 100}}}}\n"
    );
    let accepted: Value = app
        .post("/api/v1/scenarios/execute", json!({"yaml": yaml}))
        .await
        .json()
        .await
        .unwrap();
    let id = accepted["execution_id"]
        .as_str()
        .expect("accepted")
        .to_owned();
    // Wait until the call to the silent target is in flight.
    for _ in 0..100 {
        if events(&app, &id)
            .await
            .iter()
            .any(|e| e["kind"] == "action_started")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let asked = Instant::now();
    let stop = app
        .post(&format!("/api/v1/scenarios/{id}/stop"), json!({}))
        .await;
    let answered = asked.elapsed();
    assert_eq!(stop.status(), 200);
    let detail: Value = stop.json().await.unwrap();
    assert_eq!(detail["status"], "stopped", "{detail}");
    // Loose on purpose (machines are noisy): well before the call's 30 s timeout.
    assert!(
        answered < Duration::from_secs(15),
        "answered after {answered:?}"
    );
    let events = events(&app, &id).await;
    let kinds: Vec<&str> = events.iter().filter_map(|e| e["kind"].as_str()).collect();
    for kind in [
        "control_received",
        "action_finished",
        "rollback_started",
        "rollback_finished",
    ] {
        assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
    }
    let cancelled = events
        .iter()
        .find(|e| e["kind"] == "action_finished")
        .expect("the call in flight is recorded");
    assert!(
        cancelled
            .to_string()
            .contains("cancelled: stopped by a user"),
        "{cancelled}"
    );
    assert_eq!(
        clears.load(Ordering::SeqCst),
        1,
        "the rollback cleared the target"
    );
    app.stop().await;
    target.abort();
}

#[tokio::test]
async fn a_panic_in_an_execution_ends_it_failed_rolled_back_and_the_server_keeps_serving() {
    let (url, clears, target) = start_target(false).await;
    let app = spawn_app_with(settings_with_exchange_at(&url)).await;
    let panicking = format!(
        "{HEADER}spec:\n  phases:\n    - name: chaos\n      duration: 10m\n      actions:\n        - {{service: exchange-simulator, action: inject_latency, parameters: {{delay_ms: 100}}}}\n        - {{service: exchange-simulator, action: http, parameters: {{method: GET, path: \"{}\"}}}}\n",
        server::adapters::TEST_PANIC_PATH
    );
    let accepted: Value = app
        .post("/api/v1/scenarios/execute", json!({"yaml": panicking}))
        .await
        .json()
        .await
        .unwrap();
    let id = accepted["execution_id"]
        .as_str()
        .expect("accepted")
        .to_owned();
    let detail = app.wait_finished(&id).await;
    assert_eq!(detail["status"], "failed", "{detail}");
    let events = events(&app, &id).await;
    let finished = events
        .iter()
        .find(|e| e["kind"] == "execution_finished")
        .expect("finished");
    assert!(
        finished
            .to_string()
            .contains("test hook: the adapter panics"),
        "{finished}"
    );
    assert!(events.iter().any(|e| e["kind"] == "rollback_started"));
    assert_eq!(clears.load(Ordering::SeqCst), 1, "its chaos was cleared");

    // The process goes on serving, and runs the next execution.
    assert_eq!(app.get("/health").await.status(), 200);
    let fine = format!("{HEADER}spec:\n  phases:\n    - name: quiet\n      duration: 1s\n");
    let accepted: Value = app
        .post("/api/v1/scenarios/execute", json!({"yaml": fine}))
        .await
        .json()
        .await
        .unwrap();
    let next = app
        .wait_finished(accepted["execution_id"].as_str().expect("accepted"))
        .await;
    assert_eq!(next["status"], "completed", "{next}");

    // A suite whose member panics ends too.
    let response = app
        .post(
            "/api/v1/suites",
            json!({"scenarios": [{"yaml": panicking}]}),
        )
        .await;
    assert_eq!(response.status(), 202);
    let suite: Value = response.json().await.unwrap();
    let suite = app
        .wait_suite(suite["suite_id"].as_str().expect("a suite id"))
        .await;
    assert_eq!(suite["status"], "failed", "{suite}");
    app.stop().await;
    target.abort();
}
