//! A coordinator killed with SIGKILL mid-phase: at the next start its execution
//! is marked interrupted, its rollback runs, and nothing recorded is lost.

use std::{process::Command, time::Duration};

use app::api::ExecutionStatus;
use server::{engine::event::EventKind, store::Store};

use crate::helpers::{spawn_app_with, start_sandbox};

#[tokio::test]
async fn a_killed_execution_is_interrupted_and_rolled_back_at_the_next_start() {
    let (sandbox, mut settings) = start_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("crash.db");
    let binary = std::env::var("TEST_COORDINATOR_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_test-coordinator").to_owned());
    let mut command = Command::new(binary);
    command
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .args([
            "execute",
            "--scenario",
            "basic-market-disruption",
            "--speed",
            "60",
        ])
        .env("TEST_COORDINATOR_DATABASE", &database)
        // A short lease, so the restart may take the run over after a second.
        .env("OWNER_LEASE", "1s")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    for (name, service) in &settings.services {
        command.env(server::config::service_url_variable(name), &service.url);
    }
    command.envs(crate::helpers::proxy_env(&settings));
    let mut child = command.spawn().unwrap();

    // Wait until the chaos phase has injected latency (after the 5-minute
    // baseline: 5 s at speed 60), polling the exchange's chaos status.
    let client = reqwest::Client::new();
    let exchange = settings.services["exchange-simulator"].url.clone();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        assert!(
            tokio::time::Instant::now() < deadline,
            "chaos was never injected"
        );
        let status: serde_json::Value = client
            .get(format!("{}/chaos/status", exchange.trim_end_matches('/')))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if status["active"].as_array().is_some_and(|a| !a.is_empty()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    child.kill().unwrap(); // SIGKILL: no rollback, no goodbye
    child.wait().unwrap();

    let store = Store::open(&database).await.unwrap();
    let executions = store.list_executions(10).await.unwrap();
    assert_eq!(executions.len(), 1);
    assert_eq!(executions[0].status, "running", "the kill left it running");
    let id: server::engine::ExecutionId = executions[0].id.parse().unwrap();
    let before = store.list_events(id, None, 10_000).await.unwrap();
    assert!(before
        .iter()
        .any(|e| matches!(e.kind, EventKind::ActionFinished { .. })));
    store.close().await;

    // Restart: the coordinator recovers it in the background once the dead
    // run's lease has run out.
    settings.test_coordinator.database = database.clone();
    let app = spawn_app_with(settings).await;
    let store = Store::open(&database).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while store.execution_status(id).await.unwrap() != Some(ExecutionStatus::Interrupted) {
        assert!(tokio::time::Instant::now() < deadline, "never recovered");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let after = store.list_events(id, None, 10_000).await.unwrap();
    assert_eq!(
        &after[..before.len()],
        &before[..],
        "every event recorded before the kill is kept"
    );
    assert!(after[before.len()..]
        .iter()
        .any(|e| matches!(e.kind, EventKind::RollbackFinished { ok: true })));
    let status: serde_json::Value = client
        .get(format!("{}/chaos/status", exchange.trim_end_matches('/')))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        status["active"],
        serde_json::json!([]),
        "the rollback cleared the chaos"
    );
    app.stop().await;
    sandbox.shutdown().await;
}
