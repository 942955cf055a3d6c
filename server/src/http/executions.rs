//! Executions over REST: start one, read it, pause/resume/skip/stop it, read or
//! follow its events, the history, two executions compared, and the debug timeline. Handlers only
//! translate HTTP to a [`Coordinator`] call and back.

use std::{convert::Infallible, sync::Arc, time::Duration};

use app::api::{
    compare::ExecutionComparison,
    rest::{ActiveExecutions, ExecutionEvents, ExecutionPage, ExecutionTimeline},
    ExecuteRequest, ExecutionStatus,
};
use axum::{
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode},
    response::{
        sse::{Event as SseEvent, KeepAlive, Sse},
        IntoResponse, Response,
    },
    Json,
};
use serde::Deserialize;
use tokio::sync::mpsc;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    error::{bad_request, AppJson, ErrorBody, Result},
    live, query, Caller,
};
use crate::{
    engine::{event::ControlCommand, ExecutionId},
    service::{no_execution, Coordinator},
    state::AppState,
    store::HistoryFilter,
};

/// The routes of this resource, each registered with its OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(start_execution))
        .routes(routes!(active_executions))
        .routes(routes!(execution_status))
        .routes(routes!(stop_execution))
        .routes(routes!(pause_execution))
        .routes(routes!(resume_execution))
        .routes(routes!(skip_phase))
        .routes(routes!(execution_logs))
        .routes(routes!(list_executions))
        .routes(routes!(execution_timeline))
        .routes(routes!(compare_executions))
}

type Coord = State<Arc<Coordinator>>;

#[utoipa::path(post, path = "/api/v1/scenarios/execute", tag = "executions", request_body = ExecuteRequest,
    responses((status = 202, description = "queued", body = app::api::ExecuteResponse), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, description = "does not validate; details.diagnostics", body = ErrorBody), (status = 503, description = "the queue is full (running and queued executions at their bound), or the coordinator is shutting down", body = ErrorBody)))]
async fn start_execution(
    State(c): Coord,
    caller: Caller,
    headers: HeaderMap,
    AppJson(request): AppJson<ExecuteRequest>,
) -> Result<Response> {
    let accepted = c
        .start_execution(request, caller.started_by(&headers))
        .await?;
    Ok((StatusCode::ACCEPTED, Json(accepted)).into_response())
}

#[utoipa::path(get, path = "/api/v1/scenarios/active", tag = "executions", responses((status = 200, description = "executions queued, running or paused", body = ActiveExecutions)))]
async fn active_executions(State(c): Coord) -> Result<Json<ActiveExecutions>> {
    Ok(Json(ActiveExecutions {
        executions: c.active_executions().await?,
    }))
}

#[utoipa::path(get, path = "/api/v1/scenarios/{id}/status", tag = "executions", params(("id" = String, Path, description = "execution id")),
    responses((status = 200, body = app::api::ExecutionDetail), (status = 404, body = ErrorBody)))]
async fn execution_status(
    State(c): Coord,
    Path(id): Path<String>,
) -> Result<Json<app::api::ExecutionDetail>> {
    Ok(Json(c.execution_detail(&id).await?))
}

async fn control(
    c: &Coordinator,
    id: &str,
    command: ControlCommand,
    caller: &Caller,
) -> Result<Json<app::api::ExecutionDetail>> {
    Ok(Json(
        c.control_execution(id, command, caller.0.actor()).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/scenarios/{id}/stop", tag = "executions", params(("id" = String, Path, description = "execution id")),
    responses((status = 200, description = "stopped (rollback ran)", body = app::api::ExecutionDetail), (status = 404, body = ErrorBody), (status = 409, description = "already ended", body = ErrorBody)))]
async fn stop_execution(
    State(c): Coord,
    Path(id): Path<String>,
    caller: Caller,
) -> Result<Json<app::api::ExecutionDetail>> {
    control(&c, &id, ControlCommand::Stop, &caller).await
}

#[utoipa::path(post, path = "/api/v1/scenarios/{id}/pause", tag = "executions", params(("id" = String, Path, description = "execution id")),
    responses((status = 200, body = app::api::ExecutionDetail), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn pause_execution(
    State(c): Coord,
    Path(id): Path<String>,
    caller: Caller,
) -> Result<Json<app::api::ExecutionDetail>> {
    control(&c, &id, ControlCommand::Pause, &caller).await
}

#[utoipa::path(post, path = "/api/v1/scenarios/{id}/resume", tag = "executions", params(("id" = String, Path, description = "execution id")),
    responses((status = 200, body = app::api::ExecutionDetail), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn resume_execution(
    State(c): Coord,
    Path(id): Path<String>,
    caller: Caller,
) -> Result<Json<app::api::ExecutionDetail>> {
    control(&c, &id, ControlCommand::Resume, &caller).await
}

#[utoipa::path(post, path = "/api/v1/scenarios/{id}/skip", tag = "executions", params(("id" = String, Path, description = "execution id")),
    responses((status = 200, body = app::api::ExecutionDetail), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn skip_phase(
    State(c): Coord,
    Path(id): Path<String>,
    caller: Caller,
) -> Result<Json<app::api::ExecutionDetail>> {
    control(&c, &id, ControlCommand::SkipPhase, &caller).await
}

/// Which events of `GET /api/v1/scenarios/{id}/logs`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct LogsQuery {
    /// Only events after this seq.
    since: Option<u64>,
    /// At most this many (default 10,000; 1 to 100,000).
    limit: Option<u32>,
    /// `true` (or `1`): Server-Sent Events until the execution ends.
    #[serde(default, deserialize_with = "query::flag")]
    #[param(value_type = Option<bool>)]
    follow: Option<bool>,
}

/// One Server-Sent Event of `GET /api/v1/scenarios/{id}/logs?follow=true`
/// (for the document only: axum writes the stream).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct LogStreamEvent {
    /// The event as JSON, as the non-streaming answer lists it.
    data: String,
    /// Its kind (`phase_started`, …).
    event: String,
    /// Its seq.
    id: String,
}

/// The stored events, or with `follow=true` Server-Sent Events until the execution ends.
#[utoipa::path(get, path = "/api/v1/scenarios/{id}/logs", tag = "executions",
    params(("id" = String, Path, description = "execution id"), LogsQuery),
    responses((status = 200, description = "the events after `since`; with follow=true, `text/event-stream` of the same events",
        content((ExecutionEvents = "application/json"), (LogStreamEvent = "text/event-stream"))),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn execution_logs(
    State(c): Coord,
    Path(id): Path<String>,
    Query(q): Query<LogsQuery>,
) -> Result<Response> {
    if q.follow != Some(true) {
        let log = c
            .execution_log(&id, q.since, q.limit.unwrap_or(10_000))
            .await?;
        return Ok(Json(log).into_response());
    }
    let execution: ExecutionId = id.parse().map_err(|_| no_execution(&id))?;
    c.execution_status(&id).await?;
    let (tx, rx) = mpsc::channel(256);
    tokio::spawn(live::follow(c.clone(), execution, q.since, tx));
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        let event = rx.recv().await?;
        let sse = SseEvent::default()
            .id(event.seq.to_string())
            .event(event.kind.name())
            .json_data(&event)
            .unwrap_or_else(|_| SseEvent::default().comment("unserialisable event"));
        Some((Ok::<_, Infallible>(sse), rx))
    });
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response())
}

/// The history's filters (`GET /api/v1/executions`); all optional, all must hold.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct HistoryQuery {
    /// Exactly this scenario name.
    scenario: Option<String>,
    /// Part of the scenario's name, any case.
    scenario_contains: Option<String>,
    /// Comma-separated states (`running,paused`).
    status: Option<String>,
    /// RFC 3339, or a day (YYYY-MM-DD) meaning its start.
    since: Option<String>,
    /// Exclusive; RFC 3339 or a day.
    until: Option<String>,
    /// Page size (default 50; 1 to 500).
    limit: Option<u32>,
    /// Rows to skip (default 0).
    offset: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/executions", tag = "executions", params(HistoryQuery),
    responses((status = 200, description = "one page of the history, newest first", body = ExecutionPage), (status = 400, body = ErrorBody)))]
async fn list_executions(
    State(c): Coord,
    Query(q): Query<HistoryQuery>,
) -> Result<Json<ExecutionPage>> {
    let statuses = query::list(q.status.as_deref())
        .iter()
        .map(|s| {
            ExecutionStatus::parse(s).ok_or_else(|| bad_request(format!("unknown status {s:?}")))
        })
        .collect::<Result<Vec<_>>>()?;
    let filter = HistoryFilter {
        scenario: q.scenario,
        scenario_contains: q.scenario_contains,
        statuses,
        since: q.since,
        until: q.until,
        limit: q.limit.unwrap_or(50),
        offset: q.offset.unwrap_or(0),
    };
    let (executions, total) = c.history(filter.clone()).await?;
    Ok(Json(ExecutionPage {
        executions,
        total,
        limit: filter.limit.clamp(1, 500),
        offset: filter.offset,
    }))
}

/// Which execution `GET /debug/execution-timeline` shows.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct TimelineQuery {
    /// Default: the newest active execution.
    execution_id: Option<String>,
}

/// The execution's events as planned vs actual offsets.
#[utoipa::path(get, path = "/debug/execution-timeline", tag = "system", params(TimelineQuery),
    responses((status = 200, description = "one row per event", body = ExecutionTimeline), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn execution_timeline(
    State(c): Coord,
    Query(q): Query<TimelineQuery>,
) -> Result<Json<ExecutionTimeline>> {
    Ok(Json(c.execution_timeline(q.execution_id).await?))
}

/// Which executions `GET /api/v1/executions/compare` compares.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct CompareQuery {
    /// The baseline execution's id.
    a: String,
    /// The id of the execution judged against it.
    b: String,
}

/// Two finished executions side by side: verdicts and criteria, each
/// assertion's time to hold, action latencies, workload figures before, during
/// and after the chaos, recovery time, and both timelines on one axis; every
/// difference as `b − a` with better, worse or the same.
#[utoipa::path(get, path = "/api/v1/executions/compare", tag = "executions", params(CompareQuery),
    responses((status = 200, description = "`b` compared with the baseline `a`", body = ExecutionComparison),
        (status = 400, description = "the same execution twice, or one that has not finished", body = ErrorBody),
        (status = 404, description = "no such execution", body = ErrorBody)))]
async fn compare_executions(
    State(c): Coord,
    Query(q): Query<CompareQuery>,
) -> Result<Json<ExecutionComparison>> {
    Ok(Json(c.compare_executions(&q.a, &q.b).await?))
}
