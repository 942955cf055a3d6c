//! The REST API at the seed's paths (DESIGN.md §8), plus history, controls,
//! catalog, services and clear-chaos in the same style. Handlers only translate
//! HTTP to a [`Coordinator`] call and back.

use std::{collections::BTreeMap, convert::Infallible, sync::Arc, time::Duration};

use app::api::{ApiError, ErrorKind, ExecuteRequest, ExecutionStatus, ValidateRequest};
use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    response::{
        sse::{Event as SseEvent, KeepAlive, Sse},
        IntoResponse, Response,
    },
    routing::{get, post},
    Json, Router,
};
use serde_json::{json, Value};
use tokio::sync::mpsc;

use super::{
    error::{AppJson, HttpError, Result},
    live,
};
use crate::{
    engine::{event::ControlCommand, ExecutionId, StartedBy},
    service::Coordinator,
    state::AppState,
    store::HistoryFilter,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/scenarios/execute", post(start_execution))
        .route("/api/v1/scenarios/active", get(active_executions))
        .route("/api/v1/scenarios/available", get(available_scenarios))
        .route("/api/v1/scenarios/validate", post(validate_scenario))
        .route("/api/v1/scenarios/{id}/status", get(execution_status))
        .route("/api/v1/scenarios/{id}/stop", post(stop_execution))
        .route("/api/v1/scenarios/{id}/pause", post(pause_execution))
        .route("/api/v1/scenarios/{id}/resume", post(resume_execution))
        .route("/api/v1/scenarios/{id}/skip", post(skip_phase))
        .route("/api/v1/scenarios/{id}/logs", get(execution_logs))
        .route(
            "/api/v1/scenarios/{id}/definition",
            get(scenario_definition),
        )
        .route("/api/v1/executions", get(list_executions))
        .route("/api/v1/system/state", get(system_state))
        .route(
            "/api/v1/metrics/scenario-performance",
            get(scenario_performance),
        )
        .route("/api/v1/catalog", get(catalog))
        .route("/api/v1/services", get(list_services))
        .route("/api/v1/services/clear-chaos", post(clear_chaos))
        .route("/debug/execution-timeline", get(execution_timeline))
}

type Coord = State<Arc<Coordinator>>;

async fn start_execution(
    State(c): Coord,
    AppJson(request): AppJson<ExecuteRequest>,
) -> Result<Response> {
    let accepted = c.start_execution(request, StartedBy::Api).await?;
    Ok((StatusCode::ACCEPTED, Json(accepted)).into_response())
}

async fn active_executions(State(c): Coord) -> Result<Json<Value>> {
    Ok(Json(json!({ "executions": c.active_executions().await? })))
}

/// `?category=&tag=&q=`
async fn available_scenarios(
    State(s): State<AppState>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Result<Json<Value>> {
    let text = q.get("q").map(|t| t.to_lowercase());
    let list: Vec<Value> = crate::library::scan(&s.config)
        .into_iter()
        .filter(|f| q.get("category").is_none_or(|c| f.category.as_deref() == Some(c.as_str())))
        .filter(|f| q.get("tag").is_none_or(|t| f.tags.iter().any(|x| x == t)))
        .filter(|f| {
            text.as_ref().is_none_or(|t| {
                f.name.to_lowercase().contains(t) || f.description.as_deref().unwrap_or("").to_lowercase().contains(t)
            })
        })
        .map(|f| json!({ "name": f.name, "kind": f.kind, "category": f.category, "description": f.description, "tags": f.tags, "source": "library" }))
        .collect();
    Ok(Json(json!({ "scenarios": list })))
}

async fn validate_scenario(
    State(c): Coord,
    AppJson(request): AppJson<ValidateRequest>,
) -> Result<Json<app::api::ValidateResponse>> {
    Ok(Json(c.validate_scenario(request).await?))
}

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

async fn stop_execution(
    State(c): Coord,
    Path(id): Path<String>,
) -> Result<Json<app::api::ExecutionDetail>> {
    control(&c, &id, ControlCommand::Stop).await
}

async fn pause_execution(
    State(c): Coord,
    Path(id): Path<String>,
) -> Result<Json<app::api::ExecutionDetail>> {
    control(&c, &id, ControlCommand::Pause).await
}

async fn resume_execution(
    State(c): Coord,
    Path(id): Path<String>,
) -> Result<Json<app::api::ExecutionDetail>> {
    control(&c, &id, ControlCommand::Resume).await
}

async fn skip_phase(
    State(c): Coord,
    Path(id): Path<String>,
) -> Result<Json<app::api::ExecutionDetail>> {
    control(&c, &id, ControlCommand::SkipPhase).await
}

/// `?since=SEQ&limit=N`, or `?follow=true` for Server-Sent Events until the execution ends.
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

async fn scenario_definition(State(c): Coord, Path(id): Path<String>) -> Result<Json<Value>> {
    Ok(Json(c.scenario_definition(&id).await?))
}

/// `?scenario=&status=a,b&since=&until=&limit=&offset=`
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

async fn system_state(State(c): Coord) -> Result<Json<Value>> {
    Ok(Json(c.system_state().await?))
}

async fn scenario_performance(State(c): Coord) -> Result<Json<Value>> {
    Ok(Json(c.scenario_performance().await?))
}

async fn catalog(State(c): Coord) -> Json<app::scenario::catalog::Catalog> {
    Json(c.catalog())
}

async fn list_services(State(s): State<AppState>) -> Json<Value> {
    let services: Vec<app::api::ServiceInfo> =
        s.config.services.values().map(|s| s.info()).collect();
    Json(json!({ "services": services }))
}

#[derive(serde::Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct ClearRequest {
    service: Option<String>,
    all: bool,
}

async fn clear_chaos(
    State(c): Coord,
    AppJson(request): AppJson<ClearRequest>,
) -> Result<Json<Value>> {
    if request.service.is_none() && !request.all {
        return Err(bad_request("give `service` or `all: true`"));
    }
    Ok(Json(c.clear_chaos(request.service.as_deref()).await?))
}

/// `?execution_id=ID`: the execution's events as planned vs actual offsets.
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

fn bad_request(message: impl Into<String>) -> HttpError {
    HttpError(ApiError::new(ErrorKind::InvalidRequest, message))
}
