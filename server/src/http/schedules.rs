//! Schedules over REST, at the seed's paths (`/api/chaos/schedule…`, kept as
//! they are) and their twins in the product's style (`/api/v1/schedules…`).
//! Both call the same [`Coordinator`] use cases with the same bodies.

use std::sync::Arc;

use app::api::schedule::{
    ScheduleDetail, ScheduleList, SchedulePreview, SchedulePreviewRequest, ScheduleRequest,
    ScheduleTriggered, ScheduleView,
};
use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    error::{AppJson, ErrorBody, Result},
    Caller,
};
use crate::{service::Coordinator, state::AppState};

/// The schedule routes, each registered with its OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(preview))
        .routes(routes!(detail, remove))
        .routes(routes!(enable))
        .routes(routes!(disable))
        .routes(routes!(trigger))
        .routes(routes!(seed_create))
        .routes(routes!(seed_list))
        .routes(routes!(seed_detail, seed_remove))
        .routes(routes!(seed_enable))
        .routes(routes!(seed_disable))
        .routes(routes!(seed_trigger))
}

type Coord = State<Arc<Coordinator>>;

async fn created(c: &Coordinator, caller: &Caller, request: ScheduleRequest) -> Result<Response> {
    let view = c.create_schedule(request, &caller.0.actor()).await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

async fn triggered(c: &Coordinator, id: &str) -> Result<Response> {
    let started = c.trigger_schedule(id).await?;
    Ok((StatusCode::ACCEPTED, Json(started)).into_response())
}

/// Validates and stores a schedule; nothing is stored if any field is wrong.
#[utoipa::path(post, path = "/api/v1/schedules", tag = "schedules", request_body = ScheduleRequest,
    responses((status = 201, description = "stored; `next_execution` says when it fires", body = ScheduleView),
        (status = 400, description = "a bad field: the message and `details.field` name it (cron expression, time zone, `at` in the past, interval 0, …)", body = ErrorBody),
        (status = 404, description = "the scenario, template or uploaded scenario does not exist", body = ErrorBody),
        (status = 409, description = "the coordinator already keeps the most schedules it may", body = ErrorBody),
        (status = 413, description = "inline `yaml` larger than 1 MiB", body = ErrorBody),
        (status = 422, description = "the scenario does not validate", body = ErrorBody)))]
async fn create(
    State(c): Coord,
    caller: Caller,
    AppJson(request): AppJson<ScheduleRequest>,
) -> Result<Response> {
    created(&c, &caller, request).await
}

#[utoipa::path(get, path = "/api/v1/schedules", tag = "schedules",
    responses((status = 200, description = "every schedule, by next due time", body = ScheduleList)))]
async fn list(State(c): Coord) -> Result<Json<ScheduleList>> {
    Ok(Json(ScheduleList {
        schedules: c.list_schedules().await?,
    }))
}

/// A timing and its policies in plain words with the next due times,
/// checked as a create would check them; nothing is stored.
#[utoipa::path(post, path = "/api/v1/schedules/preview", tag = "schedules", request_body = SchedulePreviewRequest,
    responses((status = 200, description = "plain words and the next due times over 7 days", body = SchedulePreview),
        (status = 400, description = "a bad field, named", body = ErrorBody)))]
async fn preview(
    State(c): Coord,
    AppJson(request): AppJson<SchedulePreviewRequest>,
) -> Result<Json<SchedulePreview>> {
    Ok(Json(c.preview_schedule(request)?))
}

#[utoipa::path(get, path = "/api/v1/schedules/{id}", tag = "schedules", params(("id" = String, Path, description = "schedule id")),
    responses((status = 200, description = "the schedule, its next due times and its firings", body = ScheduleDetail), (status = 404, body = ErrorBody)))]
async fn detail(State(c): Coord, Path(id): Path<String>) -> Result<Json<ScheduleDetail>> {
    Ok(Json(c.schedule_detail(&id).await?))
}

#[utoipa::path(delete, path = "/api/v1/schedules/{id}", tag = "schedules", params(("id" = String, Path, description = "schedule id")),
    responses((status = 204, description = "removed with its firings (its executions stay)"), (status = 404, body = ErrorBody)))]
async fn remove(State(c): Coord, Path(id): Path<String>) -> Result<StatusCode> {
    c.remove_schedule(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/schedules/{id}/enable", tag = "schedules", params(("id" = String, Path, description = "schedule id")),
    responses((status = 200, description = "enabled; due times that passed while it was off are not run", body = ScheduleView), (status = 404, body = ErrorBody)))]
async fn enable(State(c): Coord, Path(id): Path<String>) -> Result<Json<ScheduleView>> {
    Ok(Json(c.set_schedule_enabled(&id, true).await?))
}

#[utoipa::path(post, path = "/api/v1/schedules/{id}/disable", tag = "schedules", params(("id" = String, Path, description = "schedule id")),
    responses((status = 200, description = "disabled", body = ScheduleView), (status = 404, body = ErrorBody)))]
async fn disable(State(c): Coord, Path(id): Path<String>) -> Result<Json<ScheduleView>> {
    Ok(Json(c.set_schedule_enabled(&id, false).await?))
}

/// Runs it now, whatever its timing, blackouts and concurrency policy say;
/// not counted against `max_executions`.
#[utoipa::path(post, path = "/api/v1/schedules/{id}/trigger", tag = "schedules", params(("id" = String, Path, description = "schedule id")),
    responses((status = 202, description = "started", body = ScheduleTriggered),
        (status = 404, body = ErrorBody),
        (status = 409, description = "it is firing at this moment", body = ErrorBody),
        (status = 422, description = "its scenario no longer validates", body = ErrorBody),
        (status = 503, description = "the queue is full or the coordinator is stopping", body = ErrorBody)))]
async fn trigger(State(c): Coord, Path(id): Path<String>) -> Result<Response> {
    triggered(&c, &id).await
}

/// The seed's path for `POST /api/v1/schedules`.
#[utoipa::path(post, path = "/api/chaos/schedule", tag = "schedules", request_body = ScheduleRequest,
    responses((status = 201, description = "stored", body = ScheduleView),
        (status = 400, description = "a bad field, named", body = ErrorBody),
        (status = 404, description = "the scenario does not exist", body = ErrorBody),
        (status = 409, description = "too many schedules", body = ErrorBody),
        (status = 413, description = "inline `yaml` larger than 1 MiB", body = ErrorBody),
        (status = 422, description = "the scenario does not validate", body = ErrorBody)))]
async fn seed_create(
    State(c): Coord,
    caller: Caller,
    AppJson(request): AppJson<ScheduleRequest>,
) -> Result<Response> {
    created(&c, &caller, request).await
}

/// The seed's path for `GET /api/v1/schedules`.
#[utoipa::path(get, path = "/api/chaos/schedules", tag = "schedules",
    responses((status = 200, description = "every schedule", body = ScheduleList)))]
async fn seed_list(State(c): Coord) -> Result<Json<ScheduleList>> {
    list(State(c)).await
}

/// The seed's path for `GET /api/v1/schedules/{id}`.
#[utoipa::path(get, path = "/api/chaos/schedule/{id}", tag = "schedules", params(("id" = String, Path, description = "schedule id")),
    responses((status = 200, description = "the schedule with its next due times and firings", body = ScheduleDetail), (status = 404, body = ErrorBody)))]
async fn seed_detail(State(c): Coord, Path(id): Path<String>) -> Result<Json<ScheduleDetail>> {
    Ok(Json(c.schedule_detail(&id).await?))
}

/// The seed's path for `DELETE /api/v1/schedules/{id}`.
#[utoipa::path(delete, path = "/api/chaos/schedule/{id}", tag = "schedules", params(("id" = String, Path, description = "schedule id")),
    responses((status = 204, description = "removed"), (status = 404, body = ErrorBody)))]
async fn seed_remove(State(c): Coord, Path(id): Path<String>) -> Result<StatusCode> {
    c.remove_schedule(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The seed's path for `POST /api/v1/schedules/{id}/enable`.
#[utoipa::path(post, path = "/api/chaos/schedule/{id}/enable", tag = "schedules", params(("id" = String, Path, description = "schedule id")),
    responses((status = 200, description = "enabled", body = ScheduleView), (status = 404, body = ErrorBody)))]
async fn seed_enable(State(c): Coord, Path(id): Path<String>) -> Result<Json<ScheduleView>> {
    Ok(Json(c.set_schedule_enabled(&id, true).await?))
}

/// The seed's path for `POST /api/v1/schedules/{id}/disable`.
#[utoipa::path(post, path = "/api/chaos/schedule/{id}/disable", tag = "schedules", params(("id" = String, Path, description = "schedule id")),
    responses((status = 200, description = "disabled", body = ScheduleView), (status = 404, body = ErrorBody)))]
async fn seed_disable(State(c): Coord, Path(id): Path<String>) -> Result<Json<ScheduleView>> {
    Ok(Json(c.set_schedule_enabled(&id, false).await?))
}

/// The seed's path for `POST /api/v1/schedules/{id}/trigger`.
#[utoipa::path(post, path = "/api/chaos/schedule/{id}/trigger", tag = "schedules", params(("id" = String, Path, description = "schedule id")),
    responses((status = 202, description = "started", body = ScheduleTriggered),
        (status = 404, body = ErrorBody),
        (status = 409, description = "it is firing at this moment", body = ErrorBody),
        (status = 422, description = "its scenario no longer validates", body = ErrorBody),
        (status = 503, description = "the queue is full or the coordinator is stopping", body = ErrorBody)))]
async fn seed_trigger(State(c): Coord, Path(id): Path<String>) -> Result<Response> {
    triggered(&c, &id).await
}
