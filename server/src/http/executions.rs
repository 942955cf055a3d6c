//! Executions over REST: start one, read it, pause/resume/skip/stop it, read or
//! follow its events, the history, and the debug timeline. Handlers only
//! translate HTTP to a [`Coordinator`] call and back.

use std::{collections::BTreeMap, convert::Infallible, time::Duration};

use app::api::{ApiError, ErrorKind, ExecuteRequest, ExecutionStatus};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use tokio::sync::mpsc;

use super::live;
use crate::{
    engine::{event::ControlCommand, ExecutionId, StartedBy},
    store::HistoryFilter,
};
use std::sync::Arc;

use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use serde_json::{json, Value};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::{bad_request, AppJson, ErrorBody, HttpError, Result};
use crate::{service::Coordinator, state::AppState};

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
}

type Coord = State<Arc<Coordinator>>;

#[utoipa::path(post, path = "/api/v1/scenarios/execute", tag = "executions", request_body = ExecuteRequest,
    responses((status = 202, description = "queued", body = app::api::ExecuteResponse), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, description = "does not validate; details.diagnostics", body = ErrorBody)))]
async fn start_execution(
    State(c): Coord,
    AppJson(request): AppJson<ExecuteRequest>,
) -> Result<Response> {
    let accepted = c.start_execution(request, StartedBy::Api).await?;
    Ok((StatusCode::ACCEPTED, Json(accepted)).into_response())
}

#[utoipa::path(get, path = "/api/v1/scenarios/active", tag = "executions", responses((status = 200, description = "`{executions: [ExecutionSummary]}` queued, running or paused", body = Object)))]
async fn active_executions(State(c): Coord) -> Result<Json<Value>> {
    Ok(Json(json!({ "executions": c.active_executions().await? })))
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
) -> Result<Json<app::api::ExecutionDetail>> {
    Ok(Json(c.control_execution(id, command).await?))
}

#[utoipa::path(post, path = "/api/v1/scenarios/{id}/stop", tag = "executions", params(("id" = String, Path, description = "execution id")),
    responses((status = 200, description = "stopped (rollback ran)", body = app::api::ExecutionDetail), (status = 404, body = ErrorBody), (status = 409, description = "already ended", body = ErrorBody)))]
async fn stop_execution(
    State(c): Coord,
    Path(id): Path<String>,
) -> Result<Json<app::api::ExecutionDetail>> {
    control(&c, &id, ControlCommand::Stop).await
}

#[utoipa::path(post, path = "/api/v1/scenarios/{id}/pause", tag = "executions", params(("id" = String, Path, description = "execution id")),
    responses((status = 200, body = app::api::ExecutionDetail), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn pause_execution(
    State(c): Coord,
    Path(id): Path<String>,
) -> Result<Json<app::api::ExecutionDetail>> {
    control(&c, &id, ControlCommand::Pause).await
}

#[utoipa::path(post, path = "/api/v1/scenarios/{id}/resume", tag = "executions", params(("id" = String, Path, description = "execution id")),
    responses((status = 200, body = app::api::ExecutionDetail), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn resume_execution(
    State(c): Coord,
    Path(id): Path<String>,
) -> Result<Json<app::api::ExecutionDetail>> {
    control(&c, &id, ControlCommand::Resume).await
}

#[utoipa::path(post, path = "/api/v1/scenarios/{id}/skip", tag = "executions", params(("id" = String, Path, description = "execution id")),
    responses((status = 200, body = app::api::ExecutionDetail), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn skip_phase(
    State(c): Coord,
    Path(id): Path<String>,
) -> Result<Json<app::api::ExecutionDetail>> {
    control(&c, &id, ControlCommand::SkipPhase).await
}

/// `?since=SEQ&limit=N`, or `?follow=true` for Server-Sent Events until the execution ends.
#[utoipa::path(get, path = "/api/v1/scenarios/{id}/logs", tag = "executions",
    params(("id" = String, Path, description = "execution id"), ("since" = Option<u64>, Query, description = "only events after this seq"), ("limit" = Option<u32>, Query), ("follow" = Option<bool>, Query, description = "Server-Sent Events until the execution ends")),
    responses((status = 200, description = "`{execution_id, events: [Event]}`, or `text/event-stream` with follow=true", body = Object), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn execution_logs(
    State(c): Coord,
    Path(id): Path<String>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Result<Response> {
    let since = match q.get("since") {
        Some(v) => Some(
            v.parse::<u64>()
                .map_err(|_| bad_request(format!("since must be a sequence number, not {v:?}")))?,
        ),
        None => None,
    };
    let follow = q.get("follow").is_some_and(|v| v == "true" || v == "1");
    if !follow {
        let limit = match q.get("limit") {
            Some(v) => v
                .parse()
                .map_err(|_| bad_request(format!("limit must be a whole number, not {v:?}")))?,
            None => 10_000,
        };
        let events = c.execution_events(&id, since, limit).await?;
        return Ok(Json(json!({ "execution_id": id, "events": events })).into_response());
    }
    let execution: ExecutionId = id.parse().map_err(|_| {
        HttpError(ApiError::new(
            ErrorKind::NotFound,
            format!("no execution {id}"),
        ))
    })?;
    c.execution_status(&id).await?;
    let (tx, rx) = mpsc::channel(256);
    tokio::spawn(live::follow(c.clone(), execution, since, tx));
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

/// `?scenario=&scenario_contains=&status=a,b&since=&until=&limit=&offset=`
#[utoipa::path(get, path = "/api/v1/executions", tag = "executions",
    params(("scenario" = Option<String>, Query), ("scenario_contains" = Option<String>, Query, description = "part of the scenario's name, any case"), ("status" = Option<String>, Query, description = "comma-separated states"), ("since" = Option<String>, Query, description = "RFC 3339, or a day (YYYY-MM-DD) meaning its start"), ("until" = Option<String>, Query, description = "exclusive; RFC 3339 or a day"), ("limit" = Option<u32>, Query), ("offset" = Option<u32>, Query)),
    responses((status = 200, description = "`{executions, total, limit, offset}`", body = Object), (status = 400, body = ErrorBody)))]
async fn list_executions(
    State(c): Coord,
    Query(q): Query<BTreeMap<String, String>>,
) -> Result<Json<Value>> {
    let number = |key: &str, default: u32| -> Result<u32> {
        match q.get(key) {
            Some(v) => v
                .parse()
                .map_err(|_| bad_request(format!("{key} must be a whole number, not {v:?}"))),
            None => Ok(default),
        }
    };
    let statuses = match q.get("status") {
        Some(list) => list
            .split(',')
            .map(|s| {
                ExecutionStatus::parse(s.trim())
                    .ok_or_else(|| bad_request(format!("unknown status {s:?}")))
            })
            .collect::<Result<Vec<_>>>()?,
        None => Vec::new(),
    };
    let filter = HistoryFilter {
        scenario: q.get("scenario").cloned(),
        scenario_contains: q.get("scenario_contains").cloned(),
        statuses,
        since: q.get("since").cloned(),
        until: q.get("until").cloned(),
        limit: number("limit", 50)?,
        offset: number("offset", 0)?,
    };
    let (executions, total) = c.history(filter.clone()).await?;
    Ok(Json(
        json!({ "executions": executions, "total": total, "limit": filter.limit.clamp(1, 500), "offset": filter.offset }),
    ))
}

/// `?execution_id=ID`: the execution's events as planned vs actual offsets.
#[utoipa::path(get, path = "/debug/execution-timeline", tag = "system", params(("execution_id" = Option<String>, Query, description = "default: the newest active execution")),
    responses((status = 200, description = "`{execution_id, timeline: [{seq, at, kind, phase, offset_ms, planned_ms, skew_ms}]}`", body = Object), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn execution_timeline(
    State(c): Coord,
    Query(q): Query<BTreeMap<String, String>>,
) -> Result<Json<Value>> {
    let id = match q.get("execution_id") {
        Some(id) => id.clone(),
        None => match c.active_executions().await?.first() {
            Some(e) => e.id.clone(),
            None => return Err(bad_request("give ?execution_id= (no execution is running)")),
        },
    };
    let events = c.execution_events(&id, None, 100_000).await?;
    let rows: Vec<Value> = events
        .iter()
        .map(|e| {
            json!({
                "seq": e.seq,
                "at": e.at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
                "kind": e.kind.name(),
                "phase": e.phase,
                "offset_ms": e.offset_ms,
                "planned_ms": e.planned_ms,
                "skew_ms": e.offset_ms.zip(e.planned_ms).map(|(a, p)| a as i64 - p as i64),
            })
        })
        .collect();
    Ok(Json(json!({ "execution_id": id, "timeline": rows })))
}
