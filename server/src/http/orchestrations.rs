//! Orchestrations over REST, at seed 004's paths
//! (`/api/chaos/orchestration/start|stop|status|import`, kept as they are)
//! and their twins in the product's style (`/api/v1/orchestrations…`). A run
//! is a suite, so `/api/v1/suites/{id}` shows it and
//! `/api/v1/suites/{id}/pause|resume|skip|stop` control it (plain suites too).

use std::sync::Arc;

use app::api::{
    orchestration::{
        OrchestrationCheck, OrchestrationChecked, OrchestrationDetail, OrchestrationImport,
        OrchestrationList, OrchestrationSaved, OrchestrationStart,
    },
    recording::ExportFormat,
    suite::{SuiteAccepted, SuiteDetail},
};
use axum::{
    extract::{Path, Query, State},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    error::{AppJson, ErrorBody, Result},
    Caller,
};
use crate::{
    service::{Coordinator, SuiteControl},
    state::AppState,
};

/// The orchestration and suite-control routes, each with its OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(seed_start))
        .routes(routes!(seed_stop))
        .routes(routes!(seed_status))
        .routes(routes!(seed_import))
        .routes(routes!(import, list))
        .routes(routes!(validate))
        .routes(routes!(run))
        .routes(routes!(detail, remove))
        .routes(routes!(export))
        .routes(routes!(pause_suite))
        .routes(routes!(resume_suite))
        .routes(routes!(skip_suite))
        .routes(routes!(stop_suite))
}

type Coord = State<Arc<Coordinator>>;

/// Which run the seed's status means.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct WhichRun {
    /// The run (suite) id (default: the newest run still going, else the newest).
    run_id: Option<String>,
}

/// Which step to skip.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct WhichStep {
    /// The step's name (default: the first of the current group not ended).
    step: Option<String>,
}

/// Which version of an orchestration.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct VersionQuery {
    /// That version (default: the latest).
    version: Option<i64>,
}

/// The format of an export.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ExportQuery {
    /// `yaml` (default) or `json`.
    #[param(value_type = Option<ExportFormat>)]
    format: Option<ExportFormat>,
    /// That version (default: the latest).
    version: Option<i64>,
}

async fn imported(
    c: &Coordinator,
    caller: &Caller,
    request: OrchestrationImport,
) -> Result<Response> {
    let saved = c.import_orchestration(request, &caller.0.actor()).await?;
    let status = if saved.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(saved)).into_response())
}

async fn started(
    c: &Coordinator,
    caller: &Caller,
    headers: &HeaderMap,
    request: OrchestrationStart,
) -> Result<Response> {
    let accepted = c
        .start_orchestration(request, caller.started_by(headers))
        .await?;
    Ok((StatusCode::ACCEPTED, Json(accepted)).into_response())
}

/// Runs a stored orchestration (`id`) or a document (`content`, or the
/// seed's `orchestration` object) as a suite of its steps.
#[utoipa::path(post, path = "/api/chaos/orchestration/start", tag = "orchestrations", request_body = OrchestrationStart,
    responses((status = 202, description = "its run is under way; members in run order", body = SuiteAccepted),
        (status = 400, description = "not exactly one source, or a bad speed", body = ErrorBody),
        (status = 404, description = "no such orchestration, or a step names no scenario", body = ErrorBody),
        (status = 413, body = ErrorBody),
        (status = 422, description = "the document or a step does not validate; details.diagnostics or details.steps", body = ErrorBody),
        (status = 503, description = "the queue has no room", body = ErrorBody)))]
async fn seed_start(
    State(c): Coord,
    caller: Caller,
    headers: HeaderMap,
    AppJson(request): AppJson<OrchestrationStart>,
) -> Result<Response> {
    started(&c, &caller, &headers, request).await
}

/// Stops `run_id`, or the newest orchestration run still going: its running
/// steps are stopped with rollback and nothing more starts.
#[utoipa::path(post, path = "/api/chaos/orchestration/stop", tag = "orchestrations", params(WhichRun),
    responses((status = 200, description = "stopping; its state now", body = SuiteDetail),
        (status = 404, description = "no such run, or none yet", body = ErrorBody),
        (status = 409, description = "the run has ended", body = ErrorBody)))]
async fn seed_stop(
    State(c): Coord,
    caller: Caller,
    Query(which): Query<WhichRun>,
) -> Result<Json<SuiteDetail>> {
    Ok(Json(
        c.stop_orchestration(which.run_id.as_deref(), caller.0.actor())
            .await?,
    ))
}

/// A run's state: `run_id`, else the newest run still going, else the newest.
#[utoipa::path(get, path = "/api/chaos/orchestration/status", tag = "orchestrations", params(WhichRun),
    responses((status = 200, description = "its steps, their states and the summary", body = SuiteDetail),
        (status = 404, description = "no such run, or none yet", body = ErrorBody)))]
async fn seed_status(State(c): Coord, Query(which): Query<WhichRun>) -> Result<Json<SuiteDetail>> {
    Ok(Json(c.orchestration_run(which.run_id.as_deref()).await?))
}

/// Validates a document and stores it as its `name`'s next version.
#[utoipa::path(post, path = "/api/chaos/orchestration/import", tag = "orchestrations", request_body = OrchestrationImport,
    responses((status = 201, description = "a new orchestration", body = OrchestrationSaved),
        (status = 200, description = "a new version, or the same text as the latest (`unchanged`)", body = OrchestrationSaved),
        (status = 400, description = "`format: json` and the content is not JSON", body = ErrorBody),
        (status = 413, body = ErrorBody),
        (status = 422, description = "it does not validate; details.diagnostics at line:col", body = ErrorBody)))]
async fn seed_import(
    State(c): Coord,
    caller: Caller,
    AppJson(request): AppJson<OrchestrationImport>,
) -> Result<Response> {
    imported(&c, &caller, request).await
}

/// Validates a document and stores it as its `name`'s next version.
#[utoipa::path(post, path = "/api/v1/orchestrations", tag = "orchestrations", request_body = OrchestrationImport,
    responses((status = 201, description = "a new orchestration", body = OrchestrationSaved),
        (status = 200, description = "a new version, or the same text as the latest (`unchanged`)", body = OrchestrationSaved),
        (status = 400, description = "`format: json` and the content is not JSON", body = ErrorBody),
        (status = 413, body = ErrorBody),
        (status = 422, description = "it does not validate; details.diagnostics at line:col", body = ErrorBody)))]
async fn import(
    State(c): Coord,
    caller: Caller,
    AppJson(request): AppJson<OrchestrationImport>,
) -> Result<Response> {
    imported(&c, &caller, request).await
}

/// Every stored orchestration with its latest run.
#[utoipa::path(get, path = "/api/v1/orchestrations", tag = "orchestrations",
    responses((status = 200, description = "by id", body = OrchestrationList)))]
async fn list(State(c): Coord) -> Result<Json<OrchestrationList>> {
    Ok(Json(c.list_orchestrations().await?))
}

/// Checks a document against this coordinator's services and scenarios;
/// stores nothing.
#[utoipa::path(post, path = "/api/v1/orchestrations/validate", tag = "orchestrations", request_body = OrchestrationCheck,
    responses((status = 200, description = "every problem at its line and column", body = OrchestrationChecked),
        (status = 413, body = ErrorBody)))]
async fn validate(
    State(c): Coord,
    AppJson(request): AppJson<OrchestrationCheck>,
) -> Result<Json<OrchestrationChecked>> {
    Ok(Json(c.check_orchestration(request).await?))
}

/// Runs a stored orchestration (`id`, `version`) or a document as a suite.
#[utoipa::path(post, path = "/api/v1/orchestrations/run", tag = "orchestrations", request_body = OrchestrationStart,
    responses((status = 202, description = "its run is under way; members in run order", body = SuiteAccepted),
        (status = 400, description = "not exactly one source, or a bad speed", body = ErrorBody),
        (status = 404, description = "no such orchestration, or a step names no scenario", body = ErrorBody),
        (status = 413, body = ErrorBody),
        (status = 422, description = "the document or a step does not validate", body = ErrorBody),
        (status = 503, description = "the queue has no room", body = ErrorBody)))]
async fn run(
    State(c): Coord,
    caller: Caller,
    headers: HeaderMap,
    AppJson(request): AppJson<OrchestrationStart>,
) -> Result<Response> {
    started(&c, &caller, &headers, request).await
}

/// One orchestration with its versions and recent runs.
#[utoipa::path(get, path = "/api/v1/orchestrations/{id}", tag = "orchestrations",
    params(("id" = String, Path, description = "orchestration id"), VersionQuery),
    responses((status = 200, body = OrchestrationDetail), (status = 404, body = ErrorBody)))]
async fn detail(
    State(c): Coord,
    Path(id): Path<String>,
    Query(q): Query<VersionQuery>,
) -> Result<Json<OrchestrationDetail>> {
    Ok(Json(c.orchestration_detail(&id, q.version).await?))
}

/// Archives an orchestration; its versions and runs are kept, and importing
/// its name again brings it back.
#[utoipa::path(delete, path = "/api/v1/orchestrations/{id}", tag = "orchestrations",
    params(("id" = String, Path, description = "orchestration id")),
    responses((status = 204, description = "archived"), (status = 404, body = ErrorBody)))]
async fn remove(State(c): Coord, Path(id): Path<String>) -> Result<StatusCode> {
    c.remove_orchestration(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The document as YAML or JSON, to edit and import again.
#[utoipa::path(get, path = "/api/v1/orchestrations/{id}/export", tag = "orchestrations",
    params(("id" = String, Path, description = "orchestration id"), ExportQuery),
    responses((status = 200, description = "the document", content(
            (app::orchestration::Orchestration = "application/yaml"), (app::orchestration::Orchestration = "application/json"))),
        (status = 404, body = ErrorBody)))]
async fn export(
    State(c): Coord,
    Path(id): Path<String>,
    Query(q): Query<ExportQuery>,
) -> Result<Response> {
    let format = q.format.unwrap_or(ExportFormat::Yaml);
    let text = c.export_orchestration(&id, q.version, format).await?;
    let kind = match format {
        ExportFormat::Json => "application/json",
        ExportFormat::Yaml => "application/yaml",
    };
    Ok(([(header::CONTENT_TYPE, kind)], text).into_response())
}

async fn controlled(
    c: &Coordinator,
    id: &str,
    control: SuiteControl,
    caller: &Caller,
) -> Result<Json<SuiteDetail>> {
    Ok(Json(c.control_suite(id, control, caller.0.actor()).await?))
}

/// Pauses a suite or orchestration run: its running members pause and every
/// wait (a step's delay, its time box) holds.
#[utoipa::path(post, path = "/api/v1/suites/{id}/pause", tag = "suites",
    params(("id" = String, Path, description = "suite id")),
    responses((status = 200, description = "paused", body = SuiteDetail), (status = 404, body = ErrorBody),
        (status = 409, description = "already paused, ended, or driven by another process", body = ErrorBody)))]
async fn pause_suite(
    State(c): Coord,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<SuiteDetail>> {
    controlled(&c, &id, SuiteControl::Pause, &caller).await
}

/// Resumes a paused suite or orchestration run where it stopped.
#[utoipa::path(post, path = "/api/v1/suites/{id}/resume", tag = "suites",
    params(("id" = String, Path, description = "suite id")),
    responses((status = 200, description = "running", body = SuiteDetail), (status = 404, body = ErrorBody),
        (status = 409, description = "not paused, ended, or driven by another process", body = ErrorBody)))]
async fn resume_suite(
    State(c): Coord,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<SuiteDetail>> {
    controlled(&c, &id, SuiteControl::Resume, &caller).await
}

/// Skips a step (default: the current one): stopped with rollback if it
/// runs, never started if it waits. It counts as neither passed nor failed.
#[utoipa::path(post, path = "/api/v1/suites/{id}/skip", tag = "suites",
    params(("id" = String, Path, description = "suite id"), WhichStep),
    responses((status = 200, description = "skipped", body = SuiteDetail), (status = 400, description = "no such step", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "nothing left to skip, ended, or driven by another process", body = ErrorBody)))]
async fn skip_suite(
    State(c): Coord,
    caller: Caller,
    Path(id): Path<String>,
    Query(which): Query<WhichStep>,
) -> Result<Json<SuiteDetail>> {
    controlled(&c, &id, SuiteControl::Skip(which.step), &caller).await
}

/// Stops a suite or orchestration run: running members stop with rollback,
/// and nothing more starts.
#[utoipa::path(post, path = "/api/v1/suites/{id}/stop", tag = "suites",
    params(("id" = String, Path, description = "suite id")),
    responses((status = 200, description = "stopping", body = SuiteDetail), (status = 404, body = ErrorBody),
        (status = 409, description = "ended, or driven by another process", body = ErrorBody)))]
async fn stop_suite(
    State(c): Coord,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<SuiteDetail>> {
    controlled(&c, &id, SuiteControl::Stop, &caller).await
}
