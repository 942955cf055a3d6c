//! The library over REST: the scenarios and templates one can run, filtered.
//! Handlers only translate HTTP to a [`Coordinator`] call and back.

use std::sync::Arc;

use app::api::rest::{AvailableScenarios, Templates};
use axum::{
    extract::{Query, State},
    Json,
};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::{ErrorBody, Result};
use crate::{service::Coordinator, state::AppState};

/// The routes of this resource, each registered with its OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(available_scenarios))
        .routes(routes!(list_templates))
}

type Coord = State<Arc<Coordinator>>;

/// Filters of `GET /api/v1/scenarios/available`; all optional, all must hold.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct AvailableQuery {
    /// Only this `metadata.category`.
    category: Option<String>,
    /// Only library files with this tag.
    tag: Option<String>,
    /// Text in the name or description, any case.
    q: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/scenarios/available", tag = "scenarios", params(AvailableQuery),
    responses((status = 200, description = "library files, then uploaded scenarios", body = AvailableScenarios), (status = 400, body = ErrorBody)))]
async fn available_scenarios(
    State(c): Coord,
    Query(q): Query<AvailableQuery>,
) -> Result<Json<AvailableScenarios>> {
    Ok(Json(
        c.available_scenarios(q.category.as_deref(), q.tag.as_deref(), q.q.as_deref())
            .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/templates", tag = "scenarios", responses((status = 200, description = "the library's templates", body = Templates)))]
async fn list_templates(State(c): Coord) -> Json<Templates> {
    Json(c.templates())
}
