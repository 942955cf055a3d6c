//! Executions have owners (issue 13): a `serve` started during a live CLI run
//! leaves it alone; a killed CLI run is recovered by `recover` (or `status`)
//! once its lease runs out; Ctrl-C on `execute` rolls back and exits 1; and a
//! recovery that hangs on a service does not hold up `/health`; a killed CLI
//! run that asked for `--on-owner-loss resume` goes on under `serve`.

use std::{
    process::{Child, Command, Stdio},
    time::Duration,
};

use app::api::ExecutionStatus;
use server::{
    config::Settings,
    engine::{event::EventKind, ExecutionId},
    store::Store,
};

use crate::helpers::{spawn_app_with, start_sandbox};

/// `test-coordinator` run from the clone, on `database`, against `settings`'
/// services. `TEST_COORDINATOR_BIN` may name a copy of the binary (a shared
/// target directory may hold another build by the time the test runs).
fn coordinator(settings: &Settings, database: &std::path::Path) -> Command {
    let binary = std::env::var("TEST_COORDINATOR_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_test-coordinator").to_owned());
    let mut command = Command::new(binary);
    command
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .env("TEST_COORDINATOR_DATABASE", database)
        // A short lease, so a killed run is anyone's after a second.
        .env("OWNER_LEASE", "1s");
    for (name, service) in &settings.services {
        command.env(server::config::service_url_variable(name), &service.url);
    }
    command.envs(crate::helpers::proxy_env(settings));
    command
}

/// A local `execute` of basic-market-disruption at speed 60 (chaos from 5 s on).
fn spawn_execute(settings: &Settings, database: &std::path::Path) -> Child {
    spawn_execute_with_lease(settings, database, "1s")
}

/// [`spawn_execute`] holding its runs with `lease`: a run that must stay live
/// takes a long one, since a loaded machine can delay a 1-s lease's renewal
/// (every 333 ms) past its end, and the run would rightly be recovered.
fn spawn_execute_with_lease(settings: &Settings, database: &std::path::Path, lease: &str) -> Child {
    coordinator(settings, database)
        .env("OWNER_LEASE", lease)
        .args([
            "execute",
            "--scenario",
            "basic-market-disruption",
            "--speed",
            "60",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

async fn active_chaos(exchange: &str) -> serde_json::Value {
    reqwest::get(format!("{}/chaos/status", exchange.trim_end_matches('/')))
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap()["active"]
        .clone()
}

/// Waits until the exchange has chaos injected.
async fn wait_for_chaos(exchange: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while active_chaos(exchange)
        .await
        .as_array()
        .is_none_or(|a| a.is_empty())
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "chaos was never injected"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Runs a CLI command to its end without blocking this runtime, which serves
/// the in-process sandbox the command calls.
async fn run(command: Command) -> std::process::Output {
    tokio::process::Command::from(command)
        .output()
        .await
        .unwrap()
}

/// The only execution in `database`.
async fn only_execution(database: &std::path::Path) -> (Store, ExecutionId) {
    let store = Store::open(database).await.unwrap();
    let executions = store.list_executions(10).await.unwrap();
    assert_eq!(executions.len(), 1);
    let id = executions[0].id.parse().unwrap();
    (store, id)
}

/// Seqs 0, 1, 2, … with exactly one `execution_finished`, last.
async fn assert_one_clean_log(store: &Store, id: ExecutionId) -> Vec<EventKind> {
    let events = store.list_events(id, None, 100_000).await.unwrap();
    let seqs: Vec<u64> = events.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (0..events.len() as u64).collect::<Vec<_>>());
    let finished = events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::ExecutionFinished { .. }))
        .count();
    assert_eq!(finished, 1, "exactly one execution_finished");
    events.into_iter().map(|e| e.kind).collect()
}

fn interrupt(child: &Child) {
    let pid = i32::try_from(child.id()).unwrap();
    // SAFETY: sending a signal to our own child, whose pid we hold.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
}

#[tokio::test]
async fn ctrl_c_on_a_local_execute_rolls_back_and_exits_1_without_a_panic() {
    let (sandbox, settings) = start_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("c.db");
    let exchange = settings.services["exchange-simulator"].url.clone();
    let child = spawn_execute(&settings, &database);
    wait_for_chaos(&exchange).await;

    interrupt(&child);
    let output = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert_eq!(active_chaos(&exchange).await, serde_json::json!([]));
    let (store, id) = only_execution(&database).await;
    assert_eq!(
        store.execution_status(id).await.unwrap(),
        Some(ExecutionStatus::Interrupted)
    );
    assert_one_clean_log(&store, id).await;
    store.close().await;
    sandbox.shutdown().await;
}

#[tokio::test]
async fn serve_started_during_a_live_cli_run_leaves_it_alone() {
    let (sandbox, mut settings) = start_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("shared.db");
    let exchange = settings.services["exchange-simulator"].url.clone();
    let child = spawn_execute_with_lease(&settings, &database, "30s");
    wait_for_chaos(&exchange).await;
    let chaos = active_chaos(&exchange).await;

    // `serve` on the same database, while the CLI run is live.
    settings.test_coordinator.database = database.clone();
    let app = spawn_app_with(settings).await;
    let recovered = app.engine.recover_orphans().await.unwrap();
    assert!(
        recovered.is_empty(),
        "serve took over a live run: {recovered:?}"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        active_chaos(&exchange).await,
        chaos,
        "the live run's chaos stays"
    );
    let (store, id) = only_execution(&database).await;
    assert_eq!(
        store.execution_status(id).await.unwrap(),
        Some(ExecutionStatus::Running)
    );

    // The CLI run ends by itself (Ctrl-C): it alone wrote its log.
    interrupt(&child);
    let output = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let kinds = assert_one_clean_log(&store, id).await;
    assert!(
        !kinds
            .iter()
            .any(|k| matches!(k, EventKind::RecoveryStarted { .. })),
        "serve recovered nothing"
    );
    assert!(kinds.iter().any(|k| matches!(
        k,
        EventKind::RollbackStarted {
            reason: server::engine::event::RollbackReason::Shutdown,
            ..
        }
    )));
    store.close().await;
    app.stop().await;
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_killed_cli_run_is_recovered_by_recover_and_status_shows_it_interrupted() {
    let (sandbox, settings) = start_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("killed.db");
    let exchange = settings.services["exchange-simulator"].url.clone();
    let mut child = spawn_execute(&settings, &database);
    wait_for_chaos(&exchange).await;
    child.kill().unwrap(); // SIGKILL: no rollback, no goodbye
    child.wait().unwrap();
    let (store, id) = only_execution(&database).await;
    assert_eq!(
        store.execution_status(id).await.unwrap(),
        Some(ExecutionStatus::Running),
        "the kill left it running"
    );
    store.close().await;

    // `recover` takes it over once the dead run's 1 s lease has run out.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let recovered = loop {
        let mut recover = coordinator(&settings, &database);
        recover.args(["recover", "--json"]);
        let output = run(recover).await;
        assert!(output.status.success(), "{output:?}");
        let out: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        if out["recovered"].as_array().is_some_and(|r| !r.is_empty()) {
            break out;
        }
        assert!(tokio::time::Instant::now() < deadline, "never recovered");
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert_eq!(recovered["recovered"][0]["execution_id"], id.to_string());
    assert_eq!(recovered["recovered"][0]["was"], "running");
    assert!(recovered.to_string().contains("interrupted"), "{recovered}");
    assert_eq!(recovered["recovered"][0]["status"], "interrupted");
    assert!(recovered["recovered"][0]["previous_owner"]
        .as_str()
        .is_some_and(|o| o.starts_with("execute (pid")));
    assert_eq!(
        active_chaos(&exchange).await,
        serde_json::json!([]),
        "chaos cleared"
    );

    let mut status = coordinator(&settings, &database);
    status.args(["status", "--execution-id", &id.to_string()]);
    let status = run(status).await;
    let text = String::from_utf8_lossy(&status.stdout);
    assert!(text.contains("interrupted"), "{text}{status:?}");
    let (store, _) = only_execution(&database).await;
    let kinds = assert_one_clean_log(&store, id).await;
    assert!(kinds
        .iter()
        .any(|k| matches!(k, EventKind::RecoveryStarted { .. })));
    assert!(kinds
        .iter()
        .any(|k| matches!(k, EventKind::RollbackFinished { ok: true })));
    store.close().await;
    sandbox.shutdown().await;
}

#[tokio::test]
async fn status_recovers_a_killed_cli_run_by_itself() {
    let (sandbox, settings) = start_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("status.db");
    let exchange = settings.services["exchange-simulator"].url.clone();
    let mut child = spawn_execute(&settings, &database);
    wait_for_chaos(&exchange).await;
    child.kill().unwrap();
    child.wait().unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await; // the 1 s lease runs out

    let mut status = coordinator(&settings, &database);
    status.args(["status", "--json"]);
    let output = run(status).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("recovering execution"), "{stderr}");
    let listed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        listed["executions"],
        serde_json::json!([]),
        "the dead run is no longer listed as running"
    );
    assert_eq!(active_chaos(&exchange).await, serde_json::json!([]));
    let (store, id) = only_execution(&database).await;
    assert_eq!(
        store.execution_status(id).await.unwrap(),
        Some(ExecutionStatus::Interrupted)
    );
    store.close().await;
    sandbox.shutdown().await;
}

/// Accepts connections and never answers.
async fn hanging_service() -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    (url, task)
}

#[tokio::test]
async fn health_answers_while_a_recovery_hangs_on_a_service() {
    let (url, hanging) = hanging_service().await;
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("hang.db");
    let mut settings = Settings::default();
    let exchange = settings.services.get_mut("exchange-simulator").unwrap();
    exchange.url = url;
    exchange.timeout = "60s".into();

    // A run whose process died mid-chaos, on the exchange that now hangs.
    let config = settings.clone().validate().unwrap();
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../scenarios/basic-market-disruption.yaml"
    ))
    .unwrap();
    let (plan, _, diagnostics) = server::prepare::check(
        &text,
        None,
        &server::catalog::offline(&config),
        server::prepare::PrepareOptions::default(),
    );
    let plan = plan.unwrap_or_else(|| panic!("{diagnostics:#?}"));
    let store = Store::open(&database).await.unwrap();
    let dead = server::engine::owner::Owner {
        id: server::engine::owner::OwnerId::new(),
        command: "execute".into(),
        host: "here".into(),
        pid: 1,
        lease: Duration::ZERO,
    };
    let id = ExecutionId::new();
    store
        .insert_execution(
            &server::engine::NewExecution {
                id,
                plan: std::sync::Arc::new(plan),
                definition: text,
                parameters: None,
                scenario_id: None,
                options: server::engine::RunOptions::default(),
                started_by: server::engine::StartedBy::new(
                    server::engine::Channel::Cli,
                    "local:test",
                ),
            },
            &dead,
        )
        .await
        .unwrap();
    let event = |seq, kind| server::engine::event::Event {
        execution_id: id,
        seq,
        at: time::OffsetDateTime::now_utc(),
        offset_ms: None,
        planned_ms: None,
        phase: None,
        kind,
    };
    let queued = EventKind::ExecutionQueued {
        scenario: "basic-market-disruption".into(),
        category: None,
    };
    let started = EventKind::ExecutionStarted {
        speed: 1.0,
        dry_run: false,
    };
    store
        .append_events(
            dead.id,
            &[
                (event(0, queued), Some(ExecutionStatus::Queued)),
                (event(1, started), Some(ExecutionStatus::Running)),
            ],
        )
        .await
        .unwrap();
    store.close().await;

    settings.test_coordinator.database = database.clone();
    let app = spawn_app_with(settings).await;
    let store = Store::open(&database).await.unwrap();
    // The recovery has begun: its rollback is waiting on the hanging exchange.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let events = store.list_events(id, None, 100).await.unwrap();
        if events
            .iter()
            .any(|e| matches!(e.kind, EventKind::ActionStarted { .. }))
        {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "recovery never began"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let health = app.get("/health").await;
    assert_eq!(health.status(), 200);
    let detail: serde_json::Value = app
        .get(&format!("/api/v1/scenarios/{id}/logs"))
        .await
        .json()
        .await
        .unwrap();
    let kinds: Vec<&str> = detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert!(
        kinds.contains(&"recovery_started"),
        "shown as recovering: {kinds:?}"
    );
    assert!(
        !kinds.contains(&"execution_finished"),
        "/health answered while the recovery still hangs: {kinds:?}"
    );
    store.close().await;
    app.stop().await;
    hanging.abort();
}

#[tokio::test]
async fn a_killed_cli_run_that_asked_to_resume_goes_on_under_serve_from_its_phase() {
    let (sandbox, mut settings) = start_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("resumed.db");
    let exchange = settings.services["exchange-simulator"].url.clone();
    // Speed 120: baseline 2.5 s, chaos_injection 10 s, recovery 2.5 s.
    let mut child = coordinator(&settings, &database)
        .args([
            "execute",
            "--scenario",
            "basic-market-disruption",
            "--speed",
            "120",
            "--on-owner-loss",
            "resume",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_chaos(&exchange).await;
    child.kill().unwrap(); // SIGKILL, inside chaos_injection
    child.wait().unwrap();
    let (store, id) = only_execution(&database).await;
    store.close().await;

    // `serve` on the same database takes it over once the 1 s lease has run
    // out, rolls its chaos back and runs it on from chaos_injection's start.
    settings.test_coordinator.database = database.clone();
    let app = spawn_app_with(settings).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let detail = loop {
        let detail: serde_json::Value =
            reqwest::get(format!("{}/api/v1/scenarios/{id}/status", app.base))
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
        if detail["status"] != "running" && detail["status"] != "paused" {
            break detail;
        }
        assert!(tokio::time::Instant::now() < deadline, "{detail}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(detail["status"], "completed", "{detail}");
    assert_eq!(detail["options"]["on_owner_loss"], "resume", "{detail}");
    let (store, _) = only_execution(&database).await;
    let kinds = assert_one_clean_log(&store, id).await;
    let phases: Vec<&str> = kinds
        .iter()
        .filter_map(|k| match k {
            EventKind::PhaseStarted { name, .. } => Some(name.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(
        phases,
        ["baseline", "chaos_injection", "chaos_injection", "recovery"],
        "chaos_injection ran again from its start, baseline did not"
    );
    let recovery = kinds
        .iter()
        .position(|k| matches!(k, EventKind::RecoveryStarted { .. }))
        .expect("recovered");
    assert!(matches!(
        &kinds[recovery + 1..],
        [EventKind::RollbackStarted { .. }, ..]
    ));
    assert!(kinds.iter().any(|k| matches!(
        k,
        EventKind::ResumedOnNewOwner { name, resumption: 1, .. } if name == "chaos_injection"
    )));
    store.close().await;
    app.stop().await;
    sandbox.shutdown().await;
}
