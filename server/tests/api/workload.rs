//! Workloads driven over real HTTP (DESIGN.md §7): the open model against a
//! target that stalls, and the figures moving the right way against the sandbox.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{extract::State, routing::post, Router};
use server::{
    config::Settings,
    engine::{
        event::{Event, EventKind},
        workload::WorkloadSummary,
    },
    prepare::Source,
};

use super::helpers::{spawn_app_with, start_sandbox, TestApp, SCENARIO_RUNS};

fn summary(events: &[Event]) -> WorkloadSummary {
    events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::WorkloadSummary { summary } => Some((**summary).clone()),
            _ => None,
        })
        .expect("the run recorded a workload summary")
}

fn results(events: &[Event]) -> Vec<(String, bool, String)> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::AssertionFinished { expect, result, .. } => {
                Some((expect.clone(), result.passed, result.message.clone()))
            }
            _ => None,
        })
        .collect()
}

/// A target that answers at once, except that `POST /stall` makes every request
/// arriving in the next 2 s wait until those 2 s are over.
async fn stalling_target() -> String {
    type Stall = Arc<Mutex<Option<Instant>>>;
    async fn stall(State(until): State<Stall>) -> &'static str {
        *until.lock().unwrap() = Some(Instant::now() + Duration::from_secs(2));
        "stalling"
    }
    async fn work(State(until): State<Stall>) -> &'static str {
        let wait = until
            .lock()
            .unwrap()
            .map(|until| until.saturating_duration_since(Instant::now()));
        if let Some(wait) = wait.filter(|w| !w.is_zero()) {
            tokio::time::sleep(wait).await;
        }
        "done"
    }
    let app = Router::new()
        .route("/stall", post(stall))
        .route("/work", post(work))
        .with_state(Stall::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}")
}

#[tokio::test]
async fn a_stalled_target_shows_in_p99_not_in_fewer_requests() {
    let url = stalling_target().await;
    let mut settings = Settings::default();
    settings.services.insert(
        "target".into(),
        serde_json::from_value(serde_json::json!({"url": url, "health_endpoint": "/work"}))
            .unwrap(),
    );
    let app = spawn_app_with(settings).await;
    let scenario = r#"
apiVersion: chaos.trading/v1
kind: Scenario
metadata: {name: stall}
spec:
  workload:
    streams:
      - {name: work, service: target, method: POST, path: /work, rate: 100, timeout: 5s}
  phases:
    - {name: before, duration: 3s}
    - name: stall
      duration: 3s
      actions:
        - {service: target, action: http, parameters: {method: POST, path: /stall}}
    - {name: after, duration: 3s}
"#;
    let (_, events) = app.run(Source::Text(scenario.into()), 1.0).await;
    let summary = summary(&events);
    let phases: Vec<_> = summary.phases.iter().map(|p| &p.figures).collect();
    // Open model: 100/s went out on schedule through the stall — no fewer requests…
    for (phase, figures) in phases.iter().enumerate() {
        assert!(
            (295..=305).contains(&figures.requests),
            "phase {phase} sent {} requests",
            figures.requests
        );
    }
    assert_eq!(summary.total.failures, 0, "{:?}", summary.total);
    // …and the stall is in the latencies, measured from when each was due.
    assert!(phases[0].p99_ms < 500.0, "{:?}", phases[0]);
    assert!(
        phases[1].p99_ms > 1_500.0,
        "the stall shows in p99: {:?}",
        phases[1]
    );
    assert!(phases[1].max_ms > 1_900.0, "{:?}", phases[1]);
    assert!(
        phases[1].p50_ms > 300.0,
        "most of the phase waited: {:?}",
        phases[1]
    );
    assert!(phases[2].p99_ms < 500.0, "{:?}", phases[2]);
    // The lateness was the target's: the coordinator still sent each request
    // on time (its own timing error is measured apart, for every request sent).
    assert!(
        summary.send_timing.max_ms > 0.0,
        "{:?}",
        summary.send_timing
    );
    assert!(
        summary.send_timing.p99_ms < 100.0,
        "the generator kept to schedule through the stall: {:?}",
        summary.send_timing
    );
    app.stop().await;
}

async fn sandbox_app() -> (TestApp, sandbox::Sandbox) {
    let (sandbox, settings) = start_sandbox().await;
    (spawn_app_with(settings).await, sandbox)
}

const ORDERS: &str = r#"
  workload:
    streams:
      - name: orders
        service: exchange-simulator
        method: POST
        path: /api/v1/orders
        body: {account: load, symbol: BTC-USD, side: buy, type: market, quantity: 0.001, client_order_id: "${execution_id}-${seq}"}
        rate: 40
        timeout: 2s
    steady_state: {p95_latency_ms: 150, failure_rate: 0.005, for: 5s}
"#;

#[tokio::test]
async fn injected_latency_raises_p95_during_the_chaos_only() {
    let _turn = SCENARIO_RUNS.lock().await;
    let (app, _sandbox) = sandbox_app().await;
    let scenario = format!(
        r#"
apiVersion: chaos.trading/v1
kind: Scenario
metadata: {{name: latency}}
spec:
{ORDERS}
  phases:
    - {{name: baseline, duration: 6s}}
    - name: chaos
      duration: 6s
      actions:
        - {{service: exchange-simulator, action: inject_latency, parameters: {{delay_ms: 400, operations: [place_order]}}}}
      assertions:
        - {{type: metric, expect: "p95_latency_ms >= 300", parameters: {{window: 2s}}}}
    - name: recovery
      duration: 8s
      actions:
        - {{service: exchange-simulator, action: clear_chaos}}
      assertions:
        - {{type: metric, expect: "recovery_time <= 3s"}}
"#
    );
    let (status, events) = app.run(Source::Text(scenario), 1.0).await;
    let summary = summary(&events);
    let p95: Vec<f64> = summary.phases.iter().map(|p| p.figures.p95_ms).collect();
    assert!(p95[0] < 150.0, "baseline p95 {p95:?}");
    assert!(p95[1] > 300.0, "chaos p95 {p95:?}");
    assert!(p95[2] < 150.0, "after the clear p95 {p95:?}");
    assert!(summary.before.p95_ms < 150.0 && summary.during.p95_ms > 300.0);
    assert_eq!(summary.total.failures, 0, "latency is not failure");
    let recovery = summary.recovery.expect("recovery measured");
    assert!(
        recovery.recovery_time_ms.is_some_and(|ms| ms <= 3_000),
        "{recovery:?}"
    );
    assert!(
        results(&events).iter().all(|(_, passed, _)| *passed),
        "{:#?}",
        results(&events)
    );
    assert_eq!(status, app::api::ExecutionStatus::Completed);
}

#[tokio::test]
async fn downtime_fails_nearly_everything_during_and_recovers_within_the_sla_after() {
    let _turn = SCENARIO_RUNS.lock().await;
    let (app, _sandbox) = sandbox_app().await;
    let scenario = format!(
        r#"
apiVersion: chaos.trading/v1
kind: Scenario
metadata: {{name: downtime}}
spec:
{ORDERS}
  phases:
    - {{name: baseline, duration: 30s}}
    - name: down
      duration: 60s
      actions:
        - {{service: exchange-simulator, action: simulate_downtime, parameters: {{duration: 60s}}}}
      assertions:
        - {{type: metric, expect: "failure_rate between 0.95 and 1.0"}}
    - name: recovery
      duration: 60s
      actions:
        - {{service: exchange-simulator, action: clear_chaos}}
      assertions:
        - {{type: metric, expect: "recovery_time <= 30s"}}
        - {{type: metric, expect: "failure_rate <= 0.5%", within: 30s, parameters: {{window: 10s}}}}
  success_criteria: [all_phases_completed, system_recovered_within_sla]
"#
    );
    let (status, events) = app.run(Source::Text(scenario), 10.0).await;
    let summary = summary(&events);
    assert!(summary.before.failure_rate < 0.01, "{:?}", summary.before);
    assert!(summary.during.failure_rate > 0.95, "{:?}", summary.during);
    assert!(
        summary.during.server_errors > 0,
        "503s: {:?}",
        summary.during
    );
    assert!(summary.after.failure_rate < 0.01, "{:?}", summary.after);
    let chaos = summary.chaos.expect("chaos window");
    assert_eq!(chaos.cleared_ms / 1000, 90, "{chaos:?}");
    let recovery = summary.recovery.clone().expect("recovery");
    assert!(recovery.detected, "{recovery:?}");
    assert!(recovery.recovery_time_ms.is_some_and(|ms| ms <= 30_000));
    assert_eq!(recovery.services[0].service, "exchange-simulator");
    assert_eq!(
        status,
        app::api::ExecutionStatus::Completed,
        "{:#?}",
        results(&events)
    );

    // The report carries the figures in N1V1's terms…
    let id = events[0].execution_id;
    let report: serde_json::Value = app
        .get(&format!("/api/v1/scenarios/{id}/report?format=json"))
        .await
        .json()
        .await
        .unwrap();
    let n1v1 = &report["workload"]["n1v1"];
    assert!(
        n1v1["chaos_failure_rate"].as_f64().unwrap() > 95.0,
        "{n1v1}"
    );
    assert_eq!(n1v1["recovery_detected"], true);
    assert!(report["workload"]["series"].as_array().unwrap().len() > 10);
    let html = app
        .get(&format!("/api/v1/scenarios/{id}/report?format=html"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("class=\"wl-recovery\""));
    // …and /metrics exports the recovery time per service.
    let metrics = app.get("/metrics").await.text().await.unwrap();
    let line = metrics
        .lines()
        .find(|l| {
            l.starts_with("test_coordinator_system_recovery_time_seconds_count")
                && l.contains("scenario_name=\"downtime\"")
                && l.contains("service=\"exchange-simulator\"")
        })
        .unwrap_or_else(|| panic!("no recovery time for the service in\n{metrics}"));
    assert!(line.ends_with(" 1"), "{line}");
}
