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
    Json,
};
use serde_json::{json, Value};
use tokio::sync::mpsc;
use utoipa_axum::{router::OpenApiRouter, routes};

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

/// The API's routes, each registered with its OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(start_execution))
        .routes(routes!(active_executions))
        .routes(routes!(available_scenarios))
        .routes(routes!(validate_scenario))
        .routes(routes!(execution_status))
        .routes(routes!(stop_execution))
        .routes(routes!(pause_execution))
        .routes(routes!(resume_execution))
        .routes(routes!(skip_phase))
        .routes(routes!(execution_logs))
        .routes(routes!(scenario_definition, archive_scenario))
        .routes(routes!(upload_scenario))
        .routes(routes!(scenario_versions))
        .routes(routes!(list_templates))
        .routes(routes!(render_template))
        .routes(routes!(list_executions))
        .routes(routes!(system_state))
        .routes(routes!(scenario_performance))
        .routes(routes!(catalog))
        .routes(routes!(list_services))
        .routes(routes!(clear_chaos))
        .routes(routes!(execution_timeline))
        .routes(routes!(execution_report))
        .routes(routes!(reports_summary))
}

/// The error body every 4xx/5xx answer carries.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ErrorBody {
    /// What went wrong.
    error: ApiError,
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

/// `?category=&tag=&q=`
#[utoipa::path(get, path = "/api/v1/scenarios/available", tag = "scenarios",
    params(("category" = Option<String>, Query), ("tag" = Option<String>, Query), ("q" = Option<String>, Query, description = "text in name or description")),
    responses((status = 200, description = "`{scenarios: [...]}`", body = Object)))]
async fn available_scenarios(
    State(s): State<AppState>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Result<Json<Value>> {
    let text = q.get("q").map(|t| t.to_lowercase());
    let matches = |name: &str, description: Option<&str>| {
        text.as_ref().is_none_or(|t| {
            name.to_lowercase().contains(t) || description.unwrap_or("").to_lowercase().contains(t)
        })
    };
    let uploaded: Vec<Value> = s
        .coordinator
        .uploaded_scenarios()
        .await?
        .into_iter()
        .filter(|u| q.get("category").is_none_or(|c| u.category.as_deref() == Some(c.as_str())))
        .filter(|_| !q.contains_key("tag"))
        .filter(|u| matches(&u.id, u.description.as_deref()))
        .map(|u| json!({ "name": u.id, "kind": if u.kind == "template" { "Template" } else { "Scenario" }, "category": u.category, "description": u.description, "tags": [], "source": "custom", "version": u.version }))
        .collect();
    let mut list: Vec<Value> = crate::library::scan(&s.config)
        .into_iter()
        .filter(|f| q.get("category").is_none_or(|c| f.category.as_deref() == Some(c.as_str())))
        .filter(|f| q.get("tag").is_none_or(|t| f.tags.iter().any(|x| x == t)))
        .filter(|f| matches(&f.name, f.description.as_deref()))
        .map(|f| json!({ "name": f.name, "kind": f.kind, "category": f.category, "description": f.description, "tags": f.tags, "source": "library" }))
        .collect();
    list.extend(uploaded);
    Ok(Json(json!({ "scenarios": list })))
}

#[utoipa::path(post, path = "/api/v1/scenarios/validate", tag = "scenarios", request_body = ValidateRequest,
    responses((status = 200, body = app::api::ValidateResponse), (status = 400, body = ErrorBody), (status = 413, body = ErrorBody)))]
async fn validate_scenario(
    State(c): Coord,
    AppJson(request): AppJson<ValidateRequest>,
) -> Result<Json<app::api::ValidateResponse>> {
    Ok(Json(c.validate_scenario(request).await?))
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

#[utoipa::path(get, path = "/api/v1/scenarios/{id}/definition", tag = "scenarios",
    params(("id" = String, Path, description = "uploaded scenario id, or library scenario or template name"), ("version" = Option<i64>, Query, description = "an uploaded scenario's version (default: latest)")),
    responses((status = 200, description = "`{name, kind, category, description, source, version?, definition}`", body = Object), (status = 404, body = ErrorBody)))]
async fn scenario_definition(
    State(c): Coord,
    Path(id): Path<String>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Result<Json<Value>> {
    let version = match q.get("version") {
        Some(v) => Some(
            v.parse()
                .map_err(|_| bad_request(format!("version must be a whole number, not {v:?}")))?,
        ),
        None => None,
    };
    Ok(Json(c.scenario_definition_version(&id, version).await?))
}

/// Archives an uploaded scenario: hidden from the library, versions and history kept.
#[utoipa::path(delete, path = "/api/v1/scenarios/{id}/definition", tag = "scenarios", params(("id" = String, Path, description = "uploaded scenario id")),
    responses((status = 204, description = "archived"), (status = 404, body = ErrorBody)))]
async fn archive_scenario(State(c): Coord, Path(id): Path<String>) -> Result<StatusCode> {
    c.archive_scenario(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"yaml": "apiVersion: chaos.trading/v1\nkind: Scenario\nmetadata: {name: api-example}\nspec:\n  phases:\n    - {name: wait, duration: 1m}\n"}))]
#[serde(deny_unknown_fields)]
struct UploadRequest {
    /// The scenario or template text (YAML or JSON); its `metadata.name` is its
    /// id: 1 to 64 of `a-z`, `0-9`, `-`, `_`, starting with a letter or digit.
    yaml: String,
    /// Save even though a library scenario has this name, replacing it in
    /// listings (default false: 409). Logged.
    #[serde(default)]
    override_library: bool,
}

/// Creates an uploaded scenario, or a new version of one (earlier versions are kept).
#[utoipa::path(post, path = "/api/v1/scenarios/upload", tag = "scenarios", request_body = UploadRequest,
    responses((status = 201, description = "`{scenario_id, version, kind, warnings}`", body = Object), (status = 400, body = ErrorBody), (status = 409, description = "a case variant of an uploaded id, or a library name without override_library", body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, description = "does not validate, or metadata.name is not an id", body = ErrorBody)))]
async fn upload_scenario(
    State(c): Coord,
    AppJson(request): AppJson<UploadRequest>,
) -> Result<Response> {
    let saved = c
        .upload_scenario(&request.yaml, request.override_library)
        .await?;
    Ok((StatusCode::CREATED, Json(saved)).into_response())
}

#[utoipa::path(get, path = "/api/v1/scenarios/{id}/versions", tag = "scenarios", params(("id" = String, Path, description = "uploaded scenario id")),
    responses((status = 200, description = "`{scenario_id, versions: [{version, definition, created_at}]}`", body = Object), (status = 404, body = ErrorBody)))]
async fn scenario_versions(State(c): Coord, Path(id): Path<String>) -> Result<Json<Value>> {
    Ok(Json(c.scenario_versions(&id).await?))
}

#[utoipa::path(get, path = "/api/v1/templates", tag = "scenarios", responses((status = 200, description = "`{templates: [...]}`", body = Object)))]
async fn list_templates(State(s): State<AppState>) -> Json<Value> {
    let list: Vec<Value> = crate::library::scan(&s.config)
        .into_iter()
        .filter(|f| f.kind == "Template")
        .map(|f| json!({ "name": f.name, "category": f.category, "description": f.description, "tags": f.tags }))
        .collect();
    Json(json!({ "templates": list }))
}

#[utoipa::path(post, path = "/api/v1/templates/{id}/render", tag = "scenarios", params(("id" = String, Path, description = "template name")),
    request_body(content = Object, description = "`{parameters: {name: value}}`"),
    responses((status = 200, description = "`{template, valid, rendered, diagnostics, plan}`", body = Object), (status = 404, body = ErrorBody)))]
async fn render_template(
    State(c): Coord,
    Path(id): Path<String>,
    AppJson(body): AppJson<Value>,
) -> Result<Json<Value>> {
    let parameters = match body.get("parameters") {
        None | Some(Value::Null) => serde_json::Map::new(),
        Some(Value::Object(map)) => map.clone(),
        Some(_) => return Err(bad_request("parameters must be an object")),
    };
    Ok(Json(c.render_template(&id, parameters).await?))
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

#[utoipa::path(get, path = "/api/v1/system/state", tag = "system", responses((status = 200, description = "`{services: [{name, url, healthy, status, active_chaos}], executions}`", body = Object)))]
async fn system_state(State(c): Coord) -> Result<Json<Value>> {
    Ok(Json(c.system_state().await?))
}

#[utoipa::path(get, path = "/api/v1/metrics/scenario-performance", tag = "system", responses((status = 200, description = "per scenario: runs, completed, success_rate, duration percentiles", body = Object)))]
async fn scenario_performance(State(c): Coord) -> Result<Json<Value>> {
    Ok(Json(c.scenario_performance().await?))
}

#[utoipa::path(get, path = "/api/v1/catalog", tag = "scenarios", responses((status = 200, description = "services with their actions and parameter schemas; assertion types with their expect words", body = Object)))]
async fn catalog(State(c): Coord) -> Json<app::scenario::catalog::Catalog> {
    Json(c.catalog())
}

#[utoipa::path(get, path = "/api/v1/services", tag = "system", responses((status = 200, description = "`{services: [ServiceInfo]}`", body = Object)))]
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

#[utoipa::path(post, path = "/api/v1/services/clear-chaos", tag = "system", request_body(content = Object, description = "`{service: name}` or `{all: true}`"),
    responses((status = 200, description = "`{results: [{service, cleared, response}]}`", body = Object), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
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
                "skew_ms": crate::stats::skew_ms(e),
            })
        })
        .collect();
    Ok(Json(json!({ "execution_id": id, "timeline": rows })))
}

/// `?format=json|html|csv|junit` (`&table=events|assertions` for CSV).
#[utoipa::path(get, path = "/api/v1/scenarios/{id}/report", tag = "reports",
    params(("id" = String, Path, description = "execution id"), ("format" = Option<String>, Query, description = "json (default), html, csv or junit"), ("table" = Option<String>, Query, description = "for csv: events (default) or assertions"), ("download" = Option<bool>, Query, description = "answer as an attachment")),
    responses((status = 200, description = "the report in the format asked", body = Object), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn execution_report(
    State(c): Coord,
    Path(id): Path<String>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Result<Response> {
    use crate::report::format::{render, Format};
    let format = Format::parse(
        q.get("format").map(String::as_str),
        q.get("table").map(String::as_str),
    )?;
    let report = c.execution_report(&id).await?;
    let body = render(&report, format)?;
    let mut response = (
        [(axum::http::header::CONTENT_TYPE, format.content_type())],
        body,
    )
        .into_response();
    if matches!(format, Format::Html) {
        // The report page frames it; nothing in it runs (see http/headers.rs).
        let headers = response.headers_mut();
        headers.insert(
            axum::http::header::CONTENT_SECURITY_POLICY,
            axum::http::HeaderValue::from_static(super::headers::REPORT_POLICY),
        );
        headers.insert(
            axum::http::header::X_FRAME_OPTIONS,
            axum::http::HeaderValue::from_static("SAMEORIGIN"),
        );
    }
    if q.get("download").is_some_and(|v| v == "true" || v == "1") {
        let disposition = format!(
            "attachment; filename=\"report-{id}.{}\"",
            format.extension()
        );
        if let Ok(value) = axum::http::HeaderValue::from_str(&disposition) {
            response
                .headers_mut()
                .insert(axum::http::header::CONTENT_DISPOSITION, value);
        }
    }
    Ok(response)
}

/// Pass rate and average recovery time across executions (N1V1's `chaos_summary.json`).
#[utoipa::path(get, path = "/api/v1/reports/summary", tag = "reports",
    params(("execution_ids" = Option<String>, Query, description = "comma-separated; default: the last `limit` finished"), ("scenario" = Option<String>, Query), ("limit" = Option<u32>, Query)),
    responses((status = 200, description = "`{test_run, results}`", body = Object), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn reports_summary(
    State(c): Coord,
    Query(q): Query<BTreeMap<String, String>>,
) -> Result<Json<Value>> {
    let ids: Vec<String> = q
        .get("execution_ids")
        .map(|l| {
            l.split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let limit = match q.get("limit") {
        Some(v) => v
            .parse()
            .map_err(|_| bad_request(format!("limit must be a whole number, not {v:?}")))?,
        None => 20,
    };
    let summary = c
        .reports_summary(&ids, q.get("scenario").cloned(), limit)
        .await?;
    Ok(Json(serde_json::to_value(summary).unwrap_or(Value::Null)))
}

fn bad_request(message: impl Into<String>) -> HttpError {
    HttpError(ApiError::new(ErrorKind::InvalidRequest, message))
}
