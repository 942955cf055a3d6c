//! Recordings and replays over REST, at seed 004's paths
//! (`/api/chaos/recording/…`, `/api/chaos/replay/…`, kept as they are) and
//! their twins in the product's style (`/api/v1/recordings…`,
//! `/api/v1/replays…`). Both call the same [`Coordinator`] use cases.

use std::sync::Arc;

use app::api::{
    event::ControlCommand,
    recording::{
        ExportFormat, RecordingDetail, RecordingDocument, RecordingExportRequest, RecordingList,
        RecordingScenario, RecordingStartRequest, RecordingStatus, RecordingView, ReplayList,
        ReplayRequest, ReplayShape, ReplayStatus, ReplayView,
    },
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
use crate::{service::Coordinator, state::AppState};

/// The recording and replay routes, each with its OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(seed_start))
        .routes(routes!(seed_stop))
        .routes(routes!(seed_status))
        .routes(routes!(seed_export))
        .routes(routes!(seed_replay_start))
        .routes(routes!(seed_replay_pause))
        .routes(routes!(seed_replay_resume))
        .routes(routes!(seed_replay_stop))
        .routes(routes!(seed_replay_status))
        .routes(routes!(start, list))
        .routes(routes!(status))
        .routes(routes!(import))
        .routes(routes!(detail, remove))
        .routes(routes!(stop))
        .routes(routes!(export))
        .routes(routes!(as_scenario))
        .routes(routes!(replay_start, replays))
        .routes(routes!(replay_detail))
        .routes(routes!(replay_pause))
        .routes(routes!(replay_resume))
        .routes(routes!(replay_stop))
}

type Coord = State<Arc<Coordinator>>;

/// Which replay a seed control acts on.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct WhichReplay {
    /// The replay's execution id (default: the replay under way).
    execution_id: Option<String>,
}

/// The format of `GET /api/v1/recordings/{id}/export`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ExportQuery {
    /// `json` (default) or `yaml`.
    #[param(value_type = Option<ExportFormat>)]
    format: Option<ExportFormat>,
}

fn document(format: ExportFormat, text: String) -> Response {
    let kind = match format {
        ExportFormat::Json => "application/json",
        ExportFormat::Yaml => "application/yaml",
    };
    ([(header::CONTENT_TYPE, kind)], text).into_response()
}

async fn started(
    c: &Coordinator,
    caller: &Caller,
    request: RecordingStartRequest,
) -> Result<Response> {
    let view = c.start_recording(request, &caller.0.actor()).await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

async fn replay_started(
    c: &Coordinator,
    caller: &Caller,
    headers: &HeaderMap,
    request: ReplayRequest,
) -> Result<Response> {
    let view = c.start_replay(request, caller.started_by(headers)).await?;
    Ok((StatusCode::ACCEPTED, Json(view)).into_response())
}

async fn controlled(
    c: &Coordinator,
    id: Option<&str>,
    command: ControlCommand,
    caller: &Caller,
) -> Result<Json<ReplayView>> {
    Ok(Json(c.control_replay(id, command, caller.0.actor()).await?))
}

/// Starts capturing chaos events (one recording at a time).
#[utoipa::path(post, path = "/api/chaos/recording/start", tag = "recordings", request_body = RecordingStartRequest,
    responses((status = 201, description = "capturing", body = RecordingView),
        (status = 400, description = "a bad field, named in `details.field`", body = ErrorBody),
        (status = 409, description = "a recording is already capturing, or too many are kept", body = ErrorBody)))]
async fn seed_start(
    State(c): Coord,
    caller: Caller,
    AppJson(request): AppJson<RecordingStartRequest>,
) -> Result<Response> {
    started(&c, &caller, request).await
}

/// Stops the recording under way.
#[utoipa::path(post, path = "/api/chaos/recording/stop", tag = "recordings",
    responses((status = 200, description = "stopped, everything it captured written", body = RecordingView),
        (status = 409, description = "no recording is capturing", body = ErrorBody)))]
async fn seed_stop(State(c): Coord) -> Result<Json<RecordingView>> {
    Ok(Json(c.stop_recording(None).await?))
}

/// The recording under way, or else the newest.
#[utoipa::path(get, path = "/api/chaos/recording/status", tag = "recordings",
    responses((status = 200, description = "whether one captures, and it", body = RecordingStatus)))]
async fn seed_status(State(c): Coord) -> Result<Json<RecordingStatus>> {
    Ok(Json(c.recording_status().await?))
}

/// A recording in seed 004's shape, as JSON or YAML: the response body (the
/// server writes no files, so `path` is refused).
#[utoipa::path(post, path = "/api/chaos/recording/export", tag = "recordings", request_body = RecordingExportRequest,
    responses((status = 200, description = "the recording document", content(
            (RecordingDocument = "application/json"), (RecordingDocument = "application/yaml"))),
        (status = 400, description = "`path` was given", body = ErrorBody),
        (status = 404, description = "no such recording, or none yet", body = ErrorBody)))]
async fn seed_export(
    State(c): Coord,
    AppJson(request): AppJson<RecordingExportRequest>,
) -> Result<Response> {
    let (format, text) = c.export_recording(request).await?;
    Ok(document(format, text))
}

/// Replays a stored recording or a document (imported first) as an execution.
#[utoipa::path(post, path = "/api/chaos/replay/start", tag = "recordings", request_body = ReplayRequest,
    responses((status = 202, description = "its execution is queued", body = ReplayView),
        (status = 400, description = "a bad field, named", body = ErrorBody),
        (status = 404, description = "no such recording", body = ErrorBody),
        (status = 422, description = "the recording's scenario does not validate here (a service this coordinator lacks), or it has nothing to replay", body = ErrorBody),
        (status = 503, description = "the queue is full", body = ErrorBody)))]
async fn seed_replay_start(
    State(c): Coord,
    caller: Caller,
    headers: HeaderMap,
    AppJson(request): AppJson<ReplayRequest>,
) -> Result<Response> {
    replay_started(&c, &caller, &headers, request).await
}

/// Pauses the replay under way (or `execution_id`).
#[utoipa::path(post, path = "/api/chaos/replay/pause", tag = "recordings", params(WhichReplay),
    responses((status = 200, description = "paused", body = ReplayView),
        (status = 404, body = ErrorBody),
        (status = 409, description = "no replay under way, or not running", body = ErrorBody)))]
async fn seed_replay_pause(
    State(c): Coord,
    caller: Caller,
    Query(which): Query<WhichReplay>,
) -> Result<Json<ReplayView>> {
    controlled(
        &c,
        which.execution_id.as_deref(),
        ControlCommand::Pause,
        &caller,
    )
    .await
}

/// Resumes the paused replay (or `execution_id`).
#[utoipa::path(post, path = "/api/chaos/replay/resume", tag = "recordings", params(WhichReplay),
    responses((status = 200, description = "resumed", body = ReplayView),
        (status = 404, body = ErrorBody),
        (status = 409, description = "no replay under way, or not paused", body = ErrorBody)))]
async fn seed_replay_resume(
    State(c): Coord,
    caller: Caller,
    Query(which): Query<WhichReplay>,
) -> Result<Json<ReplayView>> {
    controlled(
        &c,
        which.execution_id.as_deref(),
        ControlCommand::Resume,
        &caller,
    )
    .await
}

/// Stops the replay under way (or `execution_id`); its rollback clears its chaos.
#[utoipa::path(post, path = "/api/chaos/replay/stop", tag = "recordings", params(WhichReplay),
    responses((status = 200, description = "stopped", body = ReplayView),
        (status = 404, body = ErrorBody),
        (status = 409, description = "no replay under way", body = ErrorBody)))]
async fn seed_replay_stop(
    State(c): Coord,
    caller: Caller,
    Query(which): Query<WhichReplay>,
) -> Result<Json<ReplayView>> {
    controlled(
        &c,
        which.execution_id.as_deref(),
        ControlCommand::Stop,
        &caller,
    )
    .await
}

/// The replay under way, or else the newest.
#[utoipa::path(get, path = "/api/chaos/replay/status", tag = "recordings",
    responses((status = 200, description = "status and progress", body = ReplayStatus)))]
async fn seed_replay_status(State(c): Coord) -> Result<Json<ReplayStatus>> {
    Ok(Json(c.replay_status().await?))
}

/// Starts capturing (the seed's `POST /api/chaos/recording/start`).
#[utoipa::path(post, path = "/api/v1/recordings", tag = "recordings", request_body = RecordingStartRequest,
    responses((status = 201, description = "capturing", body = RecordingView),
        (status = 400, description = "a bad field, named in `details.field`", body = ErrorBody),
        (status = 409, description = "a recording is already capturing, or too many are kept", body = ErrorBody)))]
async fn start(
    State(c): Coord,
    caller: Caller,
    AppJson(request): AppJson<RecordingStartRequest>,
) -> Result<Response> {
    started(&c, &caller, request).await
}

#[utoipa::path(get, path = "/api/v1/recordings", tag = "recordings",
    responses((status = 200, description = "every recording, newest first", body = RecordingList)))]
async fn list(State(c): Coord) -> Result<Json<RecordingList>> {
    Ok(Json(c.list_recordings().await?))
}

#[utoipa::path(get, path = "/api/v1/recordings/status", tag = "recordings",
    responses((status = 200, description = "whether one captures, and it (or the newest)", body = RecordingStatus)))]
async fn status(State(c): Coord) -> Result<Json<RecordingStatus>> {
    Ok(Json(c.recording_status().await?))
}

/// Stores a recording document (seed 004's shape).
#[utoipa::path(post, path = "/api/v1/recordings/import", tag = "recordings", request_body = RecordingDocument,
    responses((status = 201, description = "stored", body = RecordingView),
        (status = 400, description = "a bad field, named (too many events, a time before the start, …)", body = ErrorBody),
        (status = 409, description = "too many recordings are kept", body = ErrorBody)))]
async fn import(
    State(c): Coord,
    caller: Caller,
    AppJson(document): AppJson<RecordingDocument>,
) -> Result<Response> {
    let view = c.import_recording(document, &caller.0.actor()).await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

#[utoipa::path(get, path = "/api/v1/recordings/{id}", tag = "recordings", params(("id" = String, Path, description = "recording id")),
    responses((status = 200, description = "the recording, its events and its replays", body = RecordingDetail), (status = 404, body = ErrorBody)))]
async fn detail(State(c): Coord, Path(id): Path<String>) -> Result<Json<RecordingDetail>> {
    Ok(Json(c.recording_detail(&id).await?))
}

#[utoipa::path(delete, path = "/api/v1/recordings/{id}", tag = "recordings", params(("id" = String, Path, description = "recording id")),
    responses((status = 204, description = "removed with its events (its replays' executions stay)"),
        (status = 404, body = ErrorBody),
        (status = 409, description = "it is capturing: stop it first", body = ErrorBody)))]
async fn remove(State(c): Coord, Path(id): Path<String>) -> Result<StatusCode> {
    c.remove_recording(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/recordings/{id}/stop", tag = "recordings", params(("id" = String, Path, description = "recording id")),
    responses((status = 200, description = "stopped", body = RecordingView),
        (status = 404, body = ErrorBody),
        (status = 409, description = "it is not capturing", body = ErrorBody)))]
async fn stop(State(c): Coord, Path(id): Path<String>) -> Result<Json<RecordingView>> {
    Ok(Json(c.stop_recording(Some(&id)).await?))
}

#[utoipa::path(get, path = "/api/v1/recordings/{id}/export", tag = "recordings", params(("id" = String, Path, description = "recording id"), ExportQuery),
    responses((status = 200, description = "the recording document", content(
            (RecordingDocument = "application/json"), (RecordingDocument = "application/yaml"))),
        (status = 404, body = ErrorBody)))]
async fn export(
    State(c): Coord,
    Path(id): Path<String>,
    Query(query): Query<ExportQuery>,
) -> Result<Response> {
    let (format, text) = c
        .export_recording(RecordingExportRequest {
            id: Some(id),
            format: query.format.unwrap_or_default(),
            path: None,
        })
        .await?;
    Ok(document(format, text))
}

/// "Save as scenario": the scenario a replay of it runs, to review in the editor.
#[utoipa::path(post, path = "/api/v1/recordings/{id}/scenario", tag = "recordings", params(("id" = String, Path, description = "recording id")), request_body = ReplayShape,
    responses((status = 200, description = "a scenario that validates", body = RecordingScenario),
        (status = 400, description = "an unknown event type", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, description = "nothing to replay, or a service this coordinator lacks", body = ErrorBody)))]
async fn as_scenario(
    State(c): Coord,
    Path(id): Path<String>,
    AppJson(shape): AppJson<ReplayShape>,
) -> Result<Json<RecordingScenario>> {
    Ok(Json(c.recording_scenario(&id, shape).await?))
}

/// Replays a recording as an execution (the seed's `POST /api/chaos/replay/start`).
#[utoipa::path(post, path = "/api/v1/replays", tag = "recordings", request_body = ReplayRequest,
    responses((status = 202, description = "its execution is queued", body = ReplayView),
        (status = 400, description = "a bad field, named", body = ErrorBody),
        (status = 404, description = "no such recording", body = ErrorBody),
        (status = 422, description = "its scenario does not validate here, or it has nothing to replay", body = ErrorBody),
        (status = 503, description = "the queue is full", body = ErrorBody)))]
async fn replay_start(
    State(c): Coord,
    caller: Caller,
    headers: HeaderMap,
    AppJson(request): AppJson<ReplayRequest>,
) -> Result<Response> {
    replay_started(&c, &caller, &headers, request).await
}

#[utoipa::path(get, path = "/api/v1/replays", tag = "recordings",
    responses((status = 200, description = "replays, newest first", body = ReplayList)))]
async fn replays(State(c): Coord) -> Result<Json<ReplayList>> {
    Ok(Json(c.list_replays().await?))
}

#[utoipa::path(get, path = "/api/v1/replays/{id}", tag = "recordings", params(("id" = String, Path, description = "the replay's execution id")),
    responses((status = 200, description = "status and progress", body = ReplayView), (status = 404, body = ErrorBody)))]
async fn replay_detail(State(c): Coord, Path(id): Path<String>) -> Result<Json<ReplayView>> {
    Ok(Json(c.replay(&id).await?))
}

#[utoipa::path(post, path = "/api/v1/replays/{id}/pause", tag = "recordings", params(("id" = String, Path, description = "the replay's execution id")),
    responses((status = 200, description = "paused", body = ReplayView), (status = 404, body = ErrorBody), (status = 409, description = "not running", body = ErrorBody)))]
async fn replay_pause(
    State(c): Coord,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ReplayView>> {
    controlled(&c, Some(&id), ControlCommand::Pause, &caller).await
}

#[utoipa::path(post, path = "/api/v1/replays/{id}/resume", tag = "recordings", params(("id" = String, Path, description = "the replay's execution id")),
    responses((status = 200, description = "resumed", body = ReplayView), (status = 404, body = ErrorBody), (status = 409, description = "not paused", body = ErrorBody)))]
async fn replay_resume(
    State(c): Coord,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ReplayView>> {
    controlled(&c, Some(&id), ControlCommand::Resume, &caller).await
}

#[utoipa::path(post, path = "/api/v1/replays/{id}/stop", tag = "recordings", params(("id" = String, Path, description = "the replay's execution id")),
    responses((status = 200, description = "stopped; its rollback clears its chaos", body = ReplayView), (status = 404, body = ErrorBody), (status = 409, description = "it has ended", body = ErrorBody)))]
async fn replay_stop(
    State(c): Coord,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ReplayView>> {
    controlled(&c, Some(&id), ControlCommand::Stop, &caller).await
}
