//! Scenarios run by the real engine against a real sandbox over HTTP.

use app::api::ExecutionStatus;
use server::{engine::event::EventKind, prepare::Source};

use crate::helpers::{spawn_app_with_sandbox, SCENARIO_RUNS};

fn failed_assertions(events: &[server::engine::event::Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::AssertionFinished { kind, result, .. } if !result.passed => {
                Some(format!("{kind}: {}", result.message))
            }
            _ => None,
        })
        .collect()
}

fn passed_assertions(events: &[server::engine::event::Event]) -> usize {
    events
        .iter()
        .filter(|e| matches!(&e.kind, EventKind::AssertionFinished { result, .. } if result.passed))
        .count()
}

#[tokio::test]
async fn basic_market_disruption_passes_against_the_sandbox() {
    let _turn = SCENARIO_RUNS.lock().await;
    let (app, sandbox) = spawn_app_with_sandbox().await;
    let (status, events) = app
        .run(Source::Library("basic-market-disruption".into()), 600.0)
        .await;
    assert_eq!(failed_assertions(&events), Vec::<String>::new());
    assert_eq!(status, ExecutionStatus::Completed);
    assert_eq!(passed_assertions(&events), 5);
    // The seed's engine metrics follow the recorded events.
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let metrics = app.get("/metrics").await.text().await.unwrap();
    let metrics = app.without_replica_label(&metrics);
    for line in [
        r#"test_coordinator_scenarios_executed_total{scenario_name="basic-market-disruption",phase_name="",status="completed""#,
        r#"test_coordinator_assertion_results_total{scenario_name="",phase_name="",status="passed",assertion_type="risk_alert""#,
        r#"test_coordinator_chaos_actions_total{scenario_name="",phase_name="",status="success",assertion_type="",service="exchange-simulator",action_type="inject_latency""#,
        r#"test_coordinator_scenario_duration_seconds_count{scenario_name="basic-market-disruption",phase_name="chaos_injection""#,
        "test_coordinator_system_recovery_time_seconds_count",
        "test_coordinator_chaos_duration_seconds_count",
        "test_coordinator_assertion_validation_time_seconds_count",
        "test_coordinator_scenario_success_rate",
        // The seed's name for decided assertions, with its own two labels.
        r#"test_coordinator_assertions_total{assertion_type="risk_alert",result="passed"}"#,
    ] {
        assert!(metrics.contains(line), "{line} missing from\n{metrics}");
    }
    // Every family, the engine's too, has help text under the name promtool reads.
    assert_eq!(
        server::metrics::families_without_help(&metrics),
        Vec::<String>::new(),
        "{metrics}"
    );
    app.stop().await;
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_wrong_expectation_fails_and_rolls_back_leaving_no_chaos() {
    let _turn = SCENARIO_RUNS.lock().await;
    let (app, sandbox) = spawn_app_with_sandbox().await;
    // Latency is injected, then an assertion that cannot hold (no depeg) fails the phase.
    let yaml = r#"
apiVersion: chaos.trading/v1
kind: Scenario
metadata:
  name: wrong-expectation
spec:
  duration: 20m
  phases:
    - name: chaos
      duration: 20m
      actions:
        - service: exchange-simulator
          action: inject_latency
          parameters:
            delay_ms: 500
            operations: ["place_order"]
      assertions:
        - type: price_divergence
          expect: usdt_depegged
          within: 2m
          parameters:
            symbol: USDT-USD
            min_deviation: 0.2
  rollback:
    on_failure: true
    actions:
      - service: exchange-simulator
        action: clear_all_chaos
"#;
    let (status, events) = app.run(Source::Text(yaml.into()), 600.0).await;
    assert_eq!(status, ExecutionStatus::Failed);
    assert!(events
        .iter()
        .any(|e| matches!(e.kind, EventKind::RollbackFinished { ok: true })));
    let exchange = &app.config.services["exchange-simulator"];
    let status: serde_json::Value = app
        .client
        .get(format!("{}chaos/status", exchange.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        status["active"],
        serde_json::json!([]),
        "rollback cleared the chaos: {status}"
    );
    app.stop().await;
    sandbox.shutdown().await;
}
