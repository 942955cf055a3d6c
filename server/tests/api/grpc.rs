//! The gRPC API (docs/grpc.md) through the generated tonic clients, against the
//! real server on its HTTP port: a library scenario executed and watched to the
//! end (the same events as the WebSocket), its results; a second run stopped; a
//! cancelled or expired watch freeing its subscription; validation at
//! line:col; creating a scenario; errors with their codes and details; health,
//! reflection and metrics.

use std::time::{Duration, Instant};

use futures::StreamExt;
use prost::Message;
use serde_json::Value;
use server::grpc::{
    convert::{self, DIAGNOSTICS_TYPE_URL, ERROR_KIND_KEY},
    proto::{
        execute_scenario_request::Source,
        scenario_execution_service_client::ScenarioExecutionServiceClient,
        scenario_management_service_client::ScenarioManagementServiceClient, CreateScenarioRequest,
        Diagnostics, ExecuteOptions, ExecuteScenarioRequest, ExecutionEvent, ExecutionState,
        ExecutionStatusRequest, ListExecutionsRequest, ListScenariosRequest, ResultsRequest,
        ScenarioSource, StopExecutionRequest, ValidateScenarioRequest, WatchRequest,
    },
    rpc,
};
use tonic::{transport::Channel, Code, Status};

use crate::helpers::{spawn_app, spawn_app_with_sandbox, TestApp, SCENARIO_RUNS};

type Executions = ScenarioExecutionServiceClient<Channel>;
type Management = ScenarioManagementServiceClient<Channel>;

/// A channel to `app`'s HTTP port (gRPC shares it).
async fn channel(app: &TestApp) -> Channel {
    Channel::from_shared(app.base.clone())
        .expect("the app's address is a URI")
        .connect()
        .await
        .expect("gRPC connects to the HTTP port")
}

fn run(scenario: &str, speed: f64) -> ExecuteScenarioRequest {
    ExecuteScenarioRequest {
        source: Some(Source::Scenario(scenario.into())),
        parameters: None,
        options: Some(ExecuteOptions {
            speed,
            ..ExecuteOptions::default()
        }),
    }
}

fn status_of(id: &str) -> ExecutionStatusRequest {
    ExecutionStatusRequest {
        execution_id: id.into(),
    }
}

/// Every message of a watch until it ends by itself.
async fn watch_to_the_end(
    client: &mut Executions,
    id: &str,
    since: Option<u64>,
) -> Vec<ExecutionEvent> {
    let mut stream = client
        .watch_execution(WatchRequest {
            execution_id: id.into(),
            since_seq: since,
        })
        .await
        .expect("the watch starts")
        .into_inner();
    let mut events = Vec::new();
    while let Some(event) = stream.message().await.expect("the stream ends cleanly") {
        events.push(event);
    }
    events
}

/// The error kind a failed call names in its metadata.
fn kind_of(status: &Status) -> &str {
    status
        .metadata()
        .get(ERROR_KIND_KEY)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// Waits (up to 10 s) until the engine has `count` live subscribers.
async fn subscribers_become(app: &TestApp, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while app.engine.subscribers() != count {
        assert!(
            Instant::now() < deadline,
            "subscribers stayed at {}, expected {count}",
            app.engine.subscribers()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_library_scenario_runs_and_its_watch_sends_what_the_websocket_sends_then_its_results() {
    let _turn = SCENARIO_RUNS.lock().await;
    let (app, _sandbox) = spawn_app_with_sandbox().await;
    let channel = channel(&app).await;
    let mut executions = Executions::new(channel.clone());
    let mut management = Management::new(channel);

    let accepted = executions
        .execute_scenario(run("basic-market-disruption", 300.0))
        .await
        .expect("accepted")
        .into_inner();
    assert_eq!(accepted.status(), ExecutionState::Queued);
    assert_eq!(accepted.scenario, "basic-market-disruption");
    let id = accepted.execution_id;
    let active = executions
        .list_active_executions(ListExecutionsRequest {})
        .await
        .expect("listed")
        .into_inner();
    assert!(active.executions.iter().any(|e| e.id == id), "{active:?}");

    // Watched from the start, live: every event once, in order, then the end.
    let events = watch_to_the_end(&mut executions, &id, None).await;
    let seqs: Vec<u64> = events.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (0..events.len() as u64).collect::<Vec<_>>());
    assert_eq!(events[0].kind, "execution_queued");
    let last = events.last().expect("events");
    assert_eq!(last.kind, "execution_finished");
    let Some(server::grpc::proto::execution_event::Detail::ExecutionFinished(finished)) =
        &last.detail
    else {
        panic!("the last event is execution_finished: {last:?}");
    };
    assert_eq!(finished.status(), ExecutionState::Completed);
    assert!(finished.verdict.as_ref().is_some_and(|v| v.passed));

    // The same events as the WebSocket's replay of the finished execution.
    let url = format!(
        "{}/ws/scenario-execution?execution_id={id}",
        app.base.replace("http://", "ws://")
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("websocket");
    let mut over_websocket = Vec::new();
    while let Some(Ok(message)) = socket.next().await {
        let tokio_tungstenite::tungstenite::Message::Text(text) = message else {
            continue;
        };
        let event: app::api::Event = serde_json::from_str(&text).expect("an event");
        let done = event.kind.name() == "execution_finished";
        over_websocket.push(convert::event(event));
        if done {
            break;
        }
    }
    // Both replayed from the store now (live events carry the engine's own
    // floats; the store's JSON may print one digit differently).
    let replayed = watch_to_the_end(&mut executions, &id, None).await;
    assert_eq!(over_websocket.len(), replayed.len());
    for (websocket, grpc) in over_websocket.iter().zip(&replayed) {
        assert_eq!(
            websocket, grpc,
            "gRPC and the WebSocket send the same events"
        );
    }
    let outline = |list: &[ExecutionEvent]| -> Vec<(u64, String)> {
        list.iter().map(|e| (e.seq, e.kind.clone())).collect()
    };
    assert_eq!(outline(&replayed), outline(&events), "live as replayed");

    // Resuming after a seq replays only what follows.
    let tail = watch_to_the_end(&mut executions, &id, Some(seqs.len() as u64 - 3)).await;
    assert_eq!(tail, events[events.len() - 2..]);

    let status = executions
        .get_execution_status(status_of(&id))
        .await
        .expect("status")
        .into_inner();
    assert_eq!(status.status(), ExecutionState::Completed);
    assert_eq!(
        status.progress.as_ref().map(|p| p.assertions_passed),
        Some(5)
    );
    assert_eq!(status.phases.len(), 3);
    assert!(status.finished_at.is_some() && status.created_at.is_some());

    let results = management
        .get_scenario_results(ResultsRequest {
            execution_id: id.clone(),
        })
        .await
        .expect("results")
        .into_inner();
    assert_eq!(results.execution_id, id);
    assert_eq!(results.scenario, "basic-market-disruption");
    assert_eq!(results.status(), ExecutionState::Completed);
    assert!(results.passed);
    assert_eq!(
        (results.assertions_passed, results.assertions_failed),
        (5, 0)
    );
    assert_eq!(results.assertions.len(), 5);
    let report: Value = serde_json::from_str(&results.report_json).expect("the report as JSON");
    assert_eq!(report["execution"]["id"], id.as_str());
    assert_eq!(report["validation_results"]["passed"], 5);
}

#[tokio::test]
async fn a_second_run_is_stopped_and_a_cancelled_or_expired_watch_frees_its_subscription() {
    let (app, _sandbox) = spawn_app_with_sandbox().await;
    let mut executions = Executions::new(channel(&app).await);
    let first = executions
        .execute_scenario(run("basic-market-disruption", 1.0))
        .await
        .expect("first accepted")
        .into_inner()
        .execution_id;
    let second = executions
        .execute_scenario(run("basic-market-disruption", 1.0))
        .await
        .expect("second accepted")
        .into_inner()
        .execution_id;
    let baseline = app.engine.subscribers();

    // A watch that the client drops while nothing happens.
    let mut stream = executions
        .watch_execution(WatchRequest {
            execution_id: second.clone(),
            since_seq: None,
        })
        .await
        .expect("watch")
        .into_inner();
    let first_event = stream.message().await.expect("an event").expect("one");
    assert_eq!(first_event.seq, 0);
    subscribers_become(&app, baseline + 1).await;
    drop(stream);
    subscribers_become(&app, baseline).await;

    // A watch whose deadline passes mid-stream.
    let mut request = tonic::Request::new(WatchRequest {
        execution_id: second.clone(),
        since_seq: None,
    });
    request.set_timeout(Duration::from_millis(400));
    let mut stream = executions
        .watch_execution(request)
        .await
        .expect("watch")
        .into_inner();
    let ended = loop {
        match stream.message().await {
            Ok(Some(_)) => continue,
            Ok(None) => panic!("the watch ended before its deadline"),
            Err(status) => break status,
        }
    };
    assert_eq!(ended.code(), Code::DeadlineExceeded, "{ended:?}");
    drop(stream);
    subscribers_become(&app, baseline).await;

    // Stopping the second run: rollback, then `stopped`, by the caller.
    let stopped = executions
        .stop_execution(StopExecutionRequest {
            execution_id: second.clone(),
        })
        .await
        .expect("stopped")
        .into_inner()
        .execution
        .expect("the execution");
    assert_eq!(stopped.status(), ExecutionState::Stopped);
    assert!(stopped
        .stopped_by
        .as_deref()
        .is_some_and(|by| by.starts_with("local:")));
    let events = watch_to_the_end(&mut executions, &second, None).await;
    assert!(events.iter().any(|e| e.kind == "rollback_started"));
    assert_eq!(
        events.last().map(|e| e.kind.as_str()),
        Some("execution_finished")
    );

    // Stopping it again is a precondition that no longer holds.
    let again = executions
        .stop_execution(StopExecutionRequest {
            execution_id: second,
        })
        .await
        .expect_err("already ended");
    assert_eq!(again.code(), Code::FailedPrecondition);
    assert_eq!(kind_of(&again), "conflict");

    // The first one still runs.
    let first = executions
        .get_execution_status(status_of(&first))
        .await
        .expect("status")
        .into_inner();
    assert!(matches!(
        first.status(),
        ExecutionState::Running | ExecutionState::Queued
    ));
}

const BROKEN: &str =
    "apiVersion: chaos.trading/v1\nkind: Scenario\nmetadata: {name: x}\nspce: {}\n";

#[tokio::test]
async fn scenarios_are_validated_at_line_and_column_created_and_refused_with_their_diagnostics() {
    let app = spawn_app().await;
    let channel = channel(&app).await;
    let mut executions = Executions::new(channel.clone());
    let mut management = Management::new(channel);

    let checked = management
        .validate_scenario(ValidateScenarioRequest {
            yaml: BROKEN.into(),
            strict: false,
            parameters: None,
        })
        .await
        .expect("a broken scenario is an answer")
        .into_inner();
    assert!(!checked.valid);
    assert!(
        checked
            .diagnostics
            .iter()
            .any(|d| d.line == Some(4) && d.column.is_some() && d.hint().contains("spec")),
        "{checked:?}"
    );

    // Executing it: INVALID_ARGUMENT with the diagnostics in the details.
    let refused = executions
        .execute_scenario(ExecuteScenarioRequest {
            source: Some(Source::Yaml(BROKEN.into())),
            parameters: None,
            options: None,
        })
        .await
        .expect_err("refused");
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(kind_of(&refused), "validation");
    let details = rpc::Status::decode(refused.details()).expect("google.rpc.Status");
    assert_eq!(details.code, Code::InvalidArgument as i32);
    assert_eq!(details.details[0].type_url, DIAGNOSTICS_TYPE_URL);
    let diagnostics =
        Diagnostics::decode(details.details[0].value.as_slice()).expect("Diagnostics");
    assert!(diagnostics.diagnostics.iter().any(|d| d.line == Some(4)));

    // Creating one: a new uploaded scenario, listed beside the library.
    let library = app
        .coordinator
        .scenario_definition("basic-market-disruption")
        .await
        .expect("a library scenario")
        .definition;
    let mine = library.replace("basic-market-disruption", "grpc-made");
    let created = management
        .create_scenario(CreateScenarioRequest {
            yaml: mine,
            override_library: false,
        })
        .await
        .expect("created")
        .into_inner();
    assert_eq!(
        (created.scenario_id.as_str(), created.version),
        ("grpc-made", 1)
    );
    assert_eq!(created.kind, "scenario");
    let listed = management
        .list_scenarios(ListScenariosRequest::default())
        .await
        .expect("listed")
        .into_inner()
        .scenarios;
    let source_of = |name: &str| {
        listed
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.source())
            .unwrap_or_else(|| panic!("{name} is listed"))
    };
    assert_eq!(source_of("grpc-made"), ScenarioSource::Custom);
    assert_eq!(
        source_of("basic-market-disruption"),
        ScenarioSource::Library
    );
    let refused = management
        .create_scenario(CreateScenarioRequest {
            yaml: BROKEN.into(),
            override_library: false,
        })
        .await
        .expect_err("nothing saved");
    assert_eq!(refused.code(), Code::InvalidArgument);
}

#[tokio::test]
async fn each_kind_of_mistake_has_its_code_and_the_server_keeps_serving() {
    let app = spawn_app().await;
    let mut executions = Executions::new(channel(&app).await);
    let missing = "00000000-0000-0000-0000-000000000000";
    let cases: Vec<(Result<(), Status>, Code, &str)> = vec![
        (
            executions
                .get_execution_status(status_of(missing))
                .await
                .map(drop),
            Code::NotFound,
            "not_found",
        ),
        (
            executions
                .get_execution_status(status_of("not-a-uuid"))
                .await
                .map(drop),
            Code::NotFound,
            "not_found",
        ),
        (
            executions
                .watch_execution(WatchRequest {
                    execution_id: "not-a-uuid".into(),
                    since_seq: None,
                })
                .await
                .map(drop),
            Code::InvalidArgument,
            "invalid_request",
        ),
        (
            executions
                .execute_scenario(ExecuteScenarioRequest::default())
                .await
                .map(drop),
            Code::InvalidArgument,
            "invalid_request",
        ),
        (
            executions
                .execute_scenario(run("basic-market-disruption", 1e9))
                .await
                .map(drop),
            Code::InvalidArgument,
            "invalid_request",
        ),
        (
            executions
                .execute_scenario(run("nope", 1.0))
                .await
                .map(drop),
            Code::NotFound,
            "not_found",
        ),
        (
            executions
                .execute_scenario(ExecuteScenarioRequest {
                    source: Some(Source::Yaml("a".repeat(1024 * 1024 + 1))),
                    ..ExecuteScenarioRequest::default()
                })
                .await
                .map(drop),
            Code::ResourceExhausted,
            "too_large",
        ),
    ];
    for (i, (outcome, code, kind)) in cases.into_iter().enumerate() {
        let status = outcome.expect_err("refused");
        assert_eq!(status.code(), code, "case {i}: {status:?}");
        assert_eq!(kind_of(&status), kind, "case {i}");
    }
    // Larger than any message the API takes: refused before decoding.
    let huge = executions
        .execute_scenario(ExecuteScenarioRequest {
            source: Some(Source::Yaml("a".repeat(3 * 1024 * 1024))),
            ..ExecuteScenarioRequest::default()
        })
        .await
        .expect_err("refused");
    assert!(
        matches!(huge.code(), Code::ResourceExhausted | Code::OutOfRange),
        "{huge:?}"
    );
    // A path no method has.
    let unknown = tonic_health::pb::health_client::HealthClient::new(channel(&app).await)
        .check(tonic_health::pb::HealthCheckRequest {
            service: "nope".into(),
        })
        .await
        .expect_err("no such service");
    assert_eq!(unknown.code(), Code::NotFound);
    assert_eq!(app.get("/health").await.status(), 200, "still serving");
}

#[tokio::test]
async fn health_reflection_and_metrics_answer_beside_rest() {
    use tonic_health::pb::{
        health_check_response::ServingStatus, health_client::HealthClient, HealthCheckRequest,
    };
    use tonic_reflection::pb::v1::{
        server_reflection_client::ServerReflectionClient,
        server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
        ServerReflectionRequest,
    };
    let app = spawn_app().await;
    let channel = channel(&app).await;
    let mut health = HealthClient::new(channel.clone());
    for service in [
        "",
        "test_coordinator.v1.ScenarioExecutionService",
        "test_coordinator.v1.ScenarioManagementService",
    ] {
        let answer = health
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .expect("checked")
            .into_inner();
        assert_eq!(answer.status(), ServingStatus::Serving, "{service:?}");
    }
    let mut watching = health
        .watch(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .expect("watch")
        .into_inner();
    let first = watching.message().await.expect("a status").expect("one");
    assert_eq!(first.status(), ServingStatus::Serving);

    let mut reflection = ServerReflectionClient::new(channel.clone());
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut answers = reflection
        .server_reflection_info(futures::stream::iter([request]))
        .await
        .expect("reflection")
        .into_inner();
    let answer = answers.message().await.expect("an answer").expect("one");
    let Some(MessageResponse::ListServicesResponse(list)) = answer.message_response else {
        panic!("a list of services: {answer:?}");
    };
    let names: Vec<&str> = list.service.iter().map(|s| s.name.as_str()).collect();
    for name in [
        "test_coordinator.v1.ScenarioExecutionService",
        "test_coordinator.v1.ScenarioManagementService",
        "grpc.health.v1.Health",
    ] {
        assert!(names.contains(&name), "{names:?}");
    }

    let mut executions = Executions::new(channel);
    let _ = executions
        .get_execution_status(status_of("00000000-0000-0000-0000-000000000000"))
        .await;
    let _ = executions
        .list_active_executions(ListExecutionsRequest {})
        .await;
    let metrics = app.get("/metrics").await.text().await.expect("metrics");
    let metrics = app.without_replica_label(&metrics);
    for line in [
        r#"test_coordinator_grpc_requests_total{service="test_coordinator.v1.ScenarioExecutionService",method="GetExecutionStatus",code="NOT_FOUND"} 1"#,
        r#"test_coordinator_grpc_requests_total{service="test_coordinator.v1.ScenarioExecutionService",method="ListActiveExecutions",code="OK"} 1"#,
        r#"test_coordinator_grpc_request_duration_seconds_count{service="test_coordinator.v1.ScenarioExecutionService",method="ListActiveExecutions"} 1"#,
    ] {
        assert!(metrics.contains(line), "{line} in:\n{metrics}");
    }
}

#[tokio::test]
async fn the_server_stops_gracefully_with_streams_open() {
    use tonic_health::pb::{health_client::HealthClient, HealthCheckRequest};
    let app = spawn_app().await;
    let channel = channel(&app).await;
    let mut health = HealthClient::new(channel.clone());
    let mut watching = health
        .watch(HealthCheckRequest::default())
        .await
        .expect("watch")
        .into_inner();
    watching.message().await.expect("a status").expect("one");
    // A watch of an execution that would run for minutes.
    let mut executions = Executions::new(channel);
    let id = executions
        .execute_scenario(run("basic-market-disruption", 1.0))
        .await
        .expect("accepted")
        .into_inner()
        .execution_id;
    let mut events = executions
        .watch_execution(WatchRequest {
            execution_id: id,
            since_seq: None,
        })
        .await
        .expect("watch")
        .into_inner();
    events.message().await.expect("an event").expect("one");

    // Health's watch never ends by itself: the stop must end it.
    tokio::time::timeout(Duration::from_secs(30), app.stop())
        .await
        .expect("the server stops while streams are open");
    // The watch of the run ended too (the run was interrupted, the connection closed).
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        while let Ok(Some(_)) = events.message().await {}
    })
    .await;
    assert!(ended.is_ok(), "the execution's watch ended with the server");
}
