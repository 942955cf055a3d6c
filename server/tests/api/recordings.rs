//! Recordings and replays (issue 19) against a real sandbox: hand-made
//! injections and clears are recorded with their times and the health
//! changes they cause, exported as JSON and YAML, imported, and replayed at
//! speed 10 (the sandbox sees the events at the recording's offsets ÷ 10,
//! within ±5 ms) and `fast` (in order, no waits). Loops, the event filter,
//! pause/resume/stop, save-as-scenario and a `kill -9` mid-replay.

use std::{
    process::{Child, Command, Stdio},
    time::Duration,
};

use app::api::{
    recording::{
        RecordedEventType, RecordingDetail, RecordingDocument, RecordingScenario, RecordingView,
        ReplayStatus, ReplayView,
    },
    ExecutionStatus, ValidateResponse,
};
use serde_json::{json, Value};
use time::OffsetDateTime;
use tokio::time::Instant;

use crate::helpers::{spawn_app_with_sandbox, start_sandbox, TestApp};

const EXCHANGE: &str = "exchange-simulator";

/// A recording exported elsewhere an hour ago: latency on the exchange at
/// 0 s, cleared `clear_ms` later, `total_ms` long.
fn latency_then_clear(name: &str, clear_ms: i64, total_ms: i64) -> Value {
    let start = OffsetDateTime::now_utc() - time::Duration::hours(1);
    let at = |ms: i64| {
        (start + time::Duration::milliseconds(ms))
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    json!({
        "scenario": {"name": name},
        "events": [
            {"timestamp": at(0), "event_type": {"type": "ChaosInjected", "service": EXCHANGE,
                "action": "inject_latency", "parameters": {"delay_ms": 100}}, "metadata": {}},
            {"timestamp": at(clear_ms), "event_type": {"type": "ChaosCleared", "service": EXCHANGE}}
        ],
        "recording_started": at(0),
        "recording_ended": at(total_ms),
        "total_duration_ms": total_ms
    })
}

async fn post(app: &TestApp, path: &str, body: Value) -> (u16, Value) {
    let response = app
        .client
        .post(format!("{}{path}", app.base))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn get<T: serde::de::DeserializeOwned>(app: &TestApp, path: &str) -> T {
    let response = app.get(path).await;
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    response.json().await.unwrap()
}

fn read<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value.clone()).unwrap_or_else(|e| panic!("{e}: {value}"))
}

async fn inject(app: &TestApp, service: &str, action: &str, parameters: Value) {
    let (status, body) = post(
        app,
        &format!("/api/v1/services/{service}/chaos"),
        json!({"action": action, "parameters": parameters}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

async fn clear(app: &TestApp, service: &str) {
    let (status, body) = post(
        app,
        "/api/v1/services/clear-chaos",
        json!({"service": service}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

/// Waits until the replay's execution has ended; its final view.
async fn finished(app: &TestApp, execution_id: &str) -> ReplayView {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let view: ReplayView = get(app, &format!("/api/v1/replays/{execution_id}")).await;
        if view.status.is_finished() {
            return view;
        }
        assert!(
            Instant::now() < deadline,
            "the replay never ended: {view:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The chaos the sandbox saw for one execution: (wall time, kind, service).
async fn audit(sandbox_audit: &str, execution_id: &str) -> Vec<(OffsetDateTime, String, String)> {
    let body: Value = reqwest::get(format!(
        "{sandbox_audit}/api/v1/events?correlation_id={execution_id}&limit=10000"
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let mut events: Vec<(OffsetDateTime, String, String)> = body["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| matches!(e["kind"].as_str(), Some("chaos_injected" | "chaos_cleared")))
        .map(|e| {
            (
                OffsetDateTime::parse(
                    e["at"].as_str().unwrap(),
                    &time::format_description::well_known::Rfc3339,
                )
                .unwrap(),
                e["kind"].as_str().unwrap().to_owned(),
                e["service"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    events.sort_by_key(|(at, _, _)| *at);
    events
}

/// The kinds the sandbox would log for the recorded replayable events.
fn expected_kinds(document: &RecordingDocument) -> Vec<(String, String)> {
    document
        .events
        .iter()
        .filter_map(|e| match &e.event_type {
            RecordedEventType::ChaosInjected { service, .. } => {
                Some(("chaos_injected".to_owned(), service.clone()))
            }
            RecordedEventType::ChaosCleared { service } => {
                Some(("chaos_cleared".to_owned(), service.clone()))
            }
            _ => None,
        })
        .collect()
}

/// Records a small game day by hand on the exchange: latency, downtime (the
/// health probe sees it go down), a clear (and it come back).
async fn record_game_day(app: &TestApp) -> RecordingDetail {
    let (status, body) = post(
        app,
        "/api/chaos/recording/start",
        json!({"scenario_name": "game day", "services": [EXCHANGE]}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let started: RecordingView = read(body);
    // A second one is refused while it captures.
    let (status, _) = post(app, "/api/v1/recordings", json!({})).await;
    assert_eq!(status, 409);

    inject(app, EXCHANGE, "inject_latency", json!({"delay_ms": 200})).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    inject(app, EXCHANGE, "simulate_downtime", json!({})).await;
    // Long enough for the 1-s health probe to see it down.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    clear(app, EXCHANGE).await;
    // A service outside the filter is not recorded.
    inject(
        app,
        "custodian-simulator",
        "fail_settlements",
        json!({"rate": 0.1}),
    )
    .await;
    clear(app, "custodian-simulator").await;
    tokio::time::sleep(Duration::from_millis(1_500)).await;

    let status: ReplayStatus = get(app, "/api/chaos/replay/status").await;
    assert_eq!(status.replay, None);
    let (code, body) = post(app, "/api/chaos/recording/stop", json!({})).await;
    assert_eq!(code, 200, "{body}");
    let stopped: RecordingView = read(body);
    assert_eq!(stopped.id, started.id);
    get(app, &format!("/api/v1/recordings/{}", started.id)).await
}

#[tokio::test]
async fn a_recorded_game_day_exports_imports_and_replays_at_speed_10_and_fast() {
    let _turn = crate::helpers::SCENARIO_RUNS.lock().await;
    let (app, sandbox) = spawn_app_with_sandbox().await;
    let audit_base = app.config.services["audit-correlator"]
        .url
        .as_str()
        .trim_end_matches('/')
        .to_owned();

    let detail = record_game_day(&app).await;
    let types: Vec<&str> = detail
        .events
        .iter()
        .map(|e| e.event_type.type_name())
        .collect();
    assert_eq!(
        types,
        [
            "ChaosInjected",
            "ChaosInjected",
            "ServiceHealthChanged",
            "ChaosCleared",
            "ServiceHealthChanged"
        ],
        "{:#?}",
        detail.events
    );
    assert!(detail
        .events
        .iter()
        .all(|e| e.event_type.service() == EXCHANGE && e.metadata.contains_key("source")));
    assert!(matches!(
        detail.events[2].event_type,
        RecordedEventType::ServiceHealthChanged {
            healthy: false,
            status: Some(503),
            ..
        }
    ));

    // Export in both formats (seed 004's shape), the same document.
    let (code, exported) = post(
        &app,
        "/api/chaos/recording/export",
        json!({"format": "json"}),
    )
    .await;
    assert_eq!(code, 200);
    let document: RecordingDocument = read(exported);
    assert_eq!(document.events, detail.events);
    assert_eq!(document.scenario.name, "game day");
    let yaml = app
        .get(&format!(
            "/api/v1/recordings/{}/export?format=yaml",
            detail.recording.id
        ))
        .await;
    assert_eq!(yaml.headers()["content-type"], "application/yaml");
    let from_yaml: RecordingDocument = serde_yaml::from_str(&yaml.text().await.unwrap()).unwrap();
    assert_eq!(from_yaml, document);
    // The seed's `path` is refused: the server writes no files.
    let (code, body) = post(
        &app,
        "/api/chaos/recording/export",
        json!({"path": "/tmp/x.json"}),
    )
    .await;
    assert_eq!(code, 400, "{body}");

    // Import it back: the same events under a new id.
    let (code, body) = post(
        &app,
        "/api/v1/recordings/import",
        serde_json::to_value(&document).unwrap(),
    )
    .await;
    assert_eq!(code, 201, "{body}");
    let imported: RecordingView = read(body);
    let imported_detail: RecordingDetail =
        get(&app, &format!("/api/v1/recordings/{}", imported.id)).await;
    assert_eq!(imported_detail.events, document.events);

    // Replay at speed 10: the sandbox sees each event at its offset ÷ 10.
    let (code, body) = post(
        &app,
        "/api/chaos/replay/start",
        json!({"recording_id": imported.id, "speed": 10}),
    )
    .await;
    assert_eq!(code, 202, "{body}");
    let replay: ReplayView = read(body);
    assert_eq!(replay.total_events, 3);
    let done = finished(&app, &replay.execution_id).await;
    assert_eq!(done.status, ExecutionStatus::Completed, "{done:?}");
    assert_eq!((done.current_event, done.progress), (3, 1.0));
    let seen = audit(&audit_base, &replay.execution_id).await;
    let kinds: Vec<(String, String)> = seen
        .iter()
        .map(|(_, k, s)| (k.clone(), s.clone()))
        .collect();
    assert_eq!(kinds, expected_kinds(&document));
    let recorded: Vec<OffsetDateTime> = document
        .events
        .iter()
        .filter(|e| e.event_type.is_replayed())
        .map(|e| e.timestamp)
        .collect();
    for i in 1..recorded.len() {
        let want = (recorded[i] - recorded[0]).as_seconds_f64() * 1000.0 / 10.0;
        let got = (seen[i].0 - seen[0].0).as_seconds_f64() * 1000.0;
        assert!(
            (got - want).abs() <= 5.0,
            "event {i} reached the sandbox {got:.1} ms after the first; the recording ÷ 10 says {want:.1} ms"
        );
    }

    // Fast: the same events in the same order, no waits.
    let (code, body) = post(
        &app,
        "/api/v1/replays",
        json!({"recording_id": imported.id, "speed": "fast"}),
    )
    .await;
    assert_eq!(code, 202, "{body}");
    let fast: ReplayView = read(body);
    assert_eq!(fast.speed, "fast");
    assert_eq!(
        finished(&app, &fast.execution_id).await.status,
        ExecutionStatus::Completed
    );
    let seen = audit(&audit_base, &fast.execution_id).await;
    let kinds: Vec<(String, String)> = seen
        .iter()
        .map(|(_, k, s)| (k.clone(), s.clone()))
        .collect();
    assert_eq!(kinds, expected_kinds(&document));
    let spread = (seen[seen.len() - 1].0 - seen[0].0).as_seconds_f64();
    assert!(spread < 1.0, "a fast replay waited {spread} s");

    // Both replays are listed with the recording.
    let detail: RecordingDetail = get(&app, &format!("/api/v1/recordings/{}", imported.id)).await;
    assert_eq!(detail.replays.len(), 2);
    app.stop().await;
    sandbox.shutdown().await;
}

#[tokio::test]
async fn loops_filters_pause_resume_stop_and_save_as_scenario() {
    let _turn = crate::helpers::SCENARIO_RUNS.lock().await;
    let (app, sandbox) = spawn_app_with_sandbox().await;
    let audit_base = app.config.services["audit-correlator"]
        .url
        .as_str()
        .trim_end_matches('/')
        .to_owned();
    let exchange = app.config.services[EXCHANGE]
        .url
        .as_str()
        .trim_end_matches('/')
        .to_owned();
    // Latency at 0 s, cleared at 60 s, as another site exported it.
    let document = latency_then_clear("slow exchange", 60_000, 61_000);

    // Loop twice, fast: every event twice, in order.
    let (code, body) = post(
        &app,
        "/api/v1/replays",
        json!({"recording": document, "speed": "fast", "loop_replay": true, "max_iterations": 2}),
    )
    .await;
    assert_eq!(code, 202, "{body}");
    let looped: ReplayView = read(body);
    let done = finished(&app, &looped.execution_id).await;
    assert_eq!(
        (done.status, done.iterations, done.current_event),
        (ExecutionStatus::Completed, 2, 4)
    );
    let kinds: Vec<String> = audit(&audit_base, &looped.execution_id)
        .await
        .into_iter()
        .map(|(_, k, _)| k)
        .collect();
    assert_eq!(
        kinds,
        [
            "chaos_injected",
            "chaos_cleared",
            "chaos_injected",
            "chaos_cleared"
        ]
    );
    let recording_id = looped.recording_id.clone();

    // The filter: only the injection; the leftover chaos is still cleared.
    let (code, body) = post(
        &app,
        "/api/v1/replays",
        json!({"recording_id": recording_id, "speed": "fast", "event_types": ["ChaosInjected"]}),
    )
    .await;
    assert_eq!(code, 202, "{body}");
    let filtered: ReplayView = read(body);
    assert_eq!(filtered.total_events, 1);
    assert_eq!(
        finished(&app, &filtered.execution_id).await.status,
        ExecutionStatus::Completed
    );
    let (code, body) = post(
        &app,
        "/api/v1/replays",
        json!({"recording_id": recording_id, "event_types": ["Latency"]}),
    )
    .await;
    assert_eq!(code, 400, "{body}");

    // Realtime with pause, resume and stop through the seed's paths.
    let (code, body) = post(
        &app,
        "/api/chaos/replay/start",
        json!({"recording_id": recording_id}),
    )
    .await;
    assert_eq!(code, 202, "{body}");
    let live: ReplayView = read(body);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let view: ReplayView = get(&app, &format!("/api/v1/replays/{}", live.execution_id)).await;
        if view.current_event == 1 {
            break;
        }
        assert!(Instant::now() < deadline, "the first event was never sent");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (code, body) = post(&app, "/api/chaos/replay/pause", json!({})).await;
    assert_eq!(code, 200, "{body}");
    assert!(read::<ReplayView>(body).is_paused);
    let status: ReplayStatus = get(&app, "/api/chaos/replay/status").await;
    assert_eq!(status.replay.unwrap().execution_id, live.execution_id);
    let (code, body) = post(&app, "/api/chaos/replay/resume", json!({})).await;
    assert_eq!(code, 200, "{body}");
    assert!(read::<ReplayView>(body).is_playing);
    let (code, body) = post(&app, "/api/chaos/replay/stop", json!({})).await;
    assert_eq!(code, 200, "{body}");
    let stopped = finished(&app, &live.execution_id).await;
    assert_eq!(stopped.status, ExecutionStatus::Stopped);
    // Its rollback cleared the latency the replay injected.
    let chaos: Value = reqwest::get(format!("{exchange}/chaos/status"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(chaos["active"], json!([]), "{chaos}");
    let (code, _) = post(&app, "/api/chaos/replay/stop", json!({})).await;
    assert_eq!(code, 409, "nothing is under way any more");

    // Save as scenario: it validates, and running it makes the replay's calls.
    let (code, body) = post(
        &app,
        &format!("/api/v1/recordings/{recording_id}/scenario"),
        json!({"skip_initial_delay": true}),
    )
    .await;
    assert_eq!(code, 200, "{body}");
    let saved: RecordingScenario = read(body);
    assert_eq!((saved.name.as_str(), saved.actions), ("slow-exchange", 2));
    let (code, body) = post(
        &app,
        "/api/v1/scenarios/validate",
        json!({"yaml": saved.yaml}),
    )
    .await;
    assert_eq!(code, 200, "{body}");
    assert!(read::<ValidateResponse>(body).valid);
    let (code, body) = post(
        &app,
        "/api/v1/scenarios/execute",
        json!({"yaml": saved.yaml, "options": {"speed": 1000.0}}),
    )
    .await;
    assert_eq!(code, 202, "{body}");
    let execution = body["execution_id"].as_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let detail: Value = get(&app, &format!("/api/v1/scenarios/{execution}/status")).await;
        if detail["status"] == "completed" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the saved scenario never completed: {detail}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let from_scenario: Vec<(String, String)> = audit(&audit_base, &execution)
        .await
        .into_iter()
        .map(|(_, k, s)| (k, s))
        .collect();
    let from_replay: Vec<(String, String)> = audit(&audit_base, &looped.execution_id)
        .await
        .into_iter()
        .take(2)
        .map(|(_, k, s)| (k, s))
        .collect();
    assert_eq!(from_scenario, from_replay);
    app.stop().await;
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_recording_captures_what_executions_do_and_bad_input_is_a_4xx() {
    let (app, sandbox) = spawn_app_with_sandbox().await;
    let (code, body) = post(&app, "/api/v1/recordings", json!({"name": "runs"})).await;
    assert_eq!(code, 201, "{body}");
    let recording: RecordingView = read(body);
    let yaml = format!(
        r#"apiVersion: chaos.trading/v1
kind: Scenario
metadata: {{name: "one-blip"}}
spec:
  phases:
    - name: "blip"
      duration: "2s"
      actions:
        - service: "{EXCHANGE}"
          action: "inject_latency"
          parameters: {{delay_ms: 50}}
    - name: "calm"
      duration: "1s"
      actions:
        - service: "{EXCHANGE}"
          action: "clear_chaos"
"#
    );
    let (code, body) = post(
        &app,
        "/api/v1/scenarios/execute",
        json!({"yaml": yaml, "options": {"speed": 100.0}}),
    )
    .await;
    assert_eq!(code, 202, "{body}");
    let execution = body["execution_id"].as_str().unwrap().to_owned();
    // A dry run calls nothing, so it records nothing.
    let (code, _) = post(
        &app,
        "/api/v1/scenarios/execute",
        json!({"yaml": yaml, "options": {"speed": 100.0, "dry_run": true}}),
    )
    .await;
    assert_eq!(code, 202);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let detail: Value = get(&app, &format!("/api/v1/scenarios/{execution}/status")).await;
        if detail["status"] == "completed" {
            break;
        }
        assert!(Instant::now() < deadline, "{detail}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (code, body) = post(
        &app,
        &format!("/api/v1/recordings/{}/stop", recording.id),
        json!({}),
    )
    .await;
    assert_eq!(code, 200, "{body}");
    let detail: RecordingDetail = get(&app, &format!("/api/v1/recordings/{}", recording.id)).await;
    let made: Vec<(&str, Option<&String>)> = detail
        .events
        .iter()
        .filter(|e| e.event_type.is_replayed())
        .map(|e| (e.event_type.type_name(), e.metadata.get("execution_id")))
        .collect();
    assert_eq!(
        made,
        [
            ("ChaosInjected", Some(&execution)),
            ("ChaosCleared", Some(&execution))
        ]
    );

    // Client mistakes: a 4xx naming the field, and nothing stored.
    for (path, body, code) in [
        ("/api/v1/recordings", json!({"services": ["nope"]}), 400),
        ("/api/v1/recordings", json!({"max_events": 0}), 400),
        ("/api/v1/recordings", json!({"max_events": 100_001}), 400),
        ("/api/v1/recordings", json!({"name": ""}), 400),
        ("/api/v1/recordings/nope/stop", json!({}), 404),
        ("/api/v1/replays", json!({"recording_id": "nope"}), 404),
        ("/api/v1/replays", json!({}), 400),
        (
            "/api/v1/replays",
            json!({"recording_id": recording.id, "speed": 0}),
            400,
        ),
        (
            "/api/v1/replays",
            json!({"recording_id": recording.id, "max_iterations": 3}),
            400,
        ),
        (
            "/api/v1/replays",
            json!({"recording_id": recording.id, "path": "/etc/passwd"}),
            400,
        ),
        ("/api/chaos/replay/pause", json!({}), 409),
        ("/api/chaos/recording/stop", json!({}), 409),
    ] {
        let (status, answer) = post(&app, path, body.clone()).await;
        assert_eq!(status, code, "{path} {body}: {answer}");
    }
    let early = json!({
        "scenario": {"name": "bad"},
        "events": [{"timestamp": "2020-01-01T00:00:00Z",
                    "event_type": {"type": "ChaosCleared", "service": EXCHANGE}}],
        "recording_started": "2021-01-01T00:00:00Z",
        "total_duration_ms": 1
    });
    let (status, answer) = post(&app, "/api/v1/recordings/import", early).await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(
        answer["error"]["details"]["field"], "events[0].timestamp",
        "{answer}"
    );
    // A recording of a service this coordinator lacks validates nowhere here.
    let elsewhere = json!({
        "scenario": {"name": "elsewhere"},
        "events": [{"timestamp": "2021-01-01T00:00:01Z",
                    "event_type": {"type": "ChaosCleared", "service": "their-db"}}],
        "recording_started": "2021-01-01T00:00:00Z",
        "total_duration_ms": 2000
    });
    let (status, answer) = post(
        &app,
        "/api/v1/replays",
        json!({"recording": elsewhere, "speed": "fast"}),
    )
    .await;
    assert_eq!(status, 422, "{answer}");
    let list: app::api::recording::RecordingList = get(&app, "/api/v1/recordings").await;
    // The runs recording and the import the refused replay stored.
    assert_eq!(list.recordings.len(), 2);
    app.stop().await;
    sandbox.shutdown().await;
}

/// A `serve` child on a free port with the sandbox's URLs; killed when dropped.
struct Serve {
    child: Child,
    base: String,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn serve(
    settings: &server::config::Settings,
    database: &std::path::Path,
    log: &std::path::Path,
) -> Serve {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let binary = std::env::var("TEST_COORDINATOR_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_test-coordinator").to_owned());
    let mut command = Command::new(binary);
    command
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .args(["serve", "--no-sandbox", "--port", &port.to_string()])
        .arg("--database")
        .arg(database)
        .env_remove("TEST_COORDINATOR_AUTH_MODE")
        .env("OWNER_LEASE", "1s")
        .env("TEST_COORDINATOR_LOG_LEVEL", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::from(log.try_clone().unwrap()))
        .stderr(Stdio::from(log));
    for (name, service) in &settings.services {
        command.env(server::config::service_url_variable(name), &service.url);
    }
    // The default proxy and its chaos API on free ports, so tests run side by side.
    command
        .env("TEST_COORDINATOR_PROXY_ADMIN", "127.0.0.1:0")
        .env("MARKET_DATA_PROXY_LISTEN", "127.0.0.1:0");
    let serve = Serve {
        child: command.spawn().unwrap(),
        base: format!("http://127.0.0.1:{port}"),
    };
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !client
        .get(format!("{}/health", serve.base))
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
    {
        assert!(Instant::now() < deadline, "serve never answered");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    serve
}

#[tokio::test]
async fn a_replay_killed_mid_way_is_interrupted_and_its_chaos_cleared_at_the_restart() {
    let (sandbox, settings) = start_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("replay-crash.db");
    let exchange = settings.services[EXCHANGE]
        .url
        .trim_end_matches('/')
        .to_owned();
    let log = dir.path().join("serve.log");
    let first = serve(&settings, &database, &log).await;
    let client = reqwest::Client::new();
    let document = latency_then_clear("held latency", 600_000, 600_000);
    let replay: ReplayView = client
        .post(format!("{}/api/v1/replays", first.base))
        .json(&json!({"recording": document}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let chaos = || async {
        let status: Value = client
            .get(format!("{exchange}/chaos/status"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        status["active"].as_array().map_or(0, Vec::len)
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while chaos().await == 0 {
        assert!(Instant::now() < deadline, "the replay never injected");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(first); // SIGKILL: no rollback, no goodbye
    assert_eq!(chaos().await, 1, "the kill left the chaos in place");

    let second = serve(&settings, &database, &log).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let view = loop {
        let view: ReplayView = client
            .get(format!(
                "{}/api/v1/replays/{}",
                second.base, replay.execution_id
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if view.status.is_finished() {
            break view;
        }
        assert!(
            Instant::now() < deadline,
            "never recovered: {view:?}\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(view.status, ExecutionStatus::Interrupted);
    assert_eq!(chaos().await, 0, "the recovery's rollback cleared it");
    drop(second);
    sandbox.shutdown().await;
}
