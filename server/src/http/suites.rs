//! Suites over REST: create one, read one (with its chaos summary), list them.
//! Handlers only translate HTTP to a [`Coordinator`] call and back.

use std::sync::Arc;

use app::api::{
    rest::SuiteList,
    suite::{SuiteAccepted, SuiteDetail, SuiteRequest},
};
use axum::{
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode},
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

/// The suite routes, each registered with its OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(start_suite, list_suites))
        .routes(routes!(suite_detail))
}

type Coord = State<Arc<Coordinator>>;

/// Validates every member (nothing runs if one is wrong), then runs them in
/// order, shuffled by `seed` (`mode: random`), or all at once (`parallel`).
#[utoipa::path(post, path = "/api/v1/suites", tag = "suites", request_body = SuiteRequest,
    responses((status = 202, description = "created; members run in `members` order", body = SuiteAccepted),
        (status = 400, description = "no scenarios, a bad option, or a member without exactly one source", body = ErrorBody),
        (status = 404, description = "a member names no scenario; details.members lists each", body = ErrorBody),
        (status = 422, description = "a member does not validate; details.members[].details.diagnostics", body = ErrorBody),
        (status = 503, description = "the queue has no room for the suite", body = ErrorBody)))]
async fn start_suite(
    State(c): Coord,
    caller: Caller,
    headers: HeaderMap,
    AppJson(request): AppJson<SuiteRequest>,
) -> Result<Response> {
    let accepted = c.start_suite(request, caller.started_by(&headers)).await?;
    Ok((StatusCode::ACCEPTED, Json(accepted)).into_response())
}

/// How many suites `GET /api/v1/suites` lists.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// At most this many (default 50; 1 to 500), newest first.
    limit: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/suites", tag = "suites", params(ListQuery),
    responses((status = 200, description = "the most recent suites, newest first", body = SuiteList), (status = 400, body = ErrorBody)))]
async fn list_suites(State(c): Coord, Query(q): Query<ListQuery>) -> Result<Json<SuiteList>> {
    Ok(Json(SuiteList {
        suites: c.list_suites(q.limit.unwrap_or(50), None).await?,
    }))
}

#[utoipa::path(get, path = "/api/v1/suites/{id}", tag = "suites", params(("id" = String, Path, description = "suite id")),
    responses((status = 200, description = "state, members and the chaos summary as of now", body = SuiteDetail), (status = 404, body = ErrorBody)))]
async fn suite_detail(State(c): Coord, Path(id): Path<String>) -> Result<Json<SuiteDetail>> {
    Ok(Json(c.suite_detail(&id).await?))
}
