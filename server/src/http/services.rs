//! The configured services over REST: their list, the system's state (health
//! and active chaos of each, executions running), and clearing chaos.
//! Handlers only translate HTTP to a [`Coordinator`] call and back.

use std::sync::Arc;

use app::api::rest::{ClearChaosRequest, ClearChaosResults, Services, SystemState};
use axum::{extract::State, Json};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::{bad_request, AppJson, ErrorBody, Result};
use crate::{service::Coordinator, state::AppState};

/// The routes of this resource, each registered with its OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(system_state))
        .routes(routes!(list_services))
        .routes(routes!(clear_chaos))
}

type Coord = State<Arc<Coordinator>>;

#[utoipa::path(get, path = "/api/v1/system/state", tag = "system", responses((status = 200, description = "every service probed now, and the executions running", body = SystemState)))]
async fn system_state(State(c): Coord) -> Result<Json<SystemState>> {
    Ok(Json(c.system_state().await?))
}

#[utoipa::path(get, path = "/api/v1/services", tag = "system", responses((status = 200, description = "the configured services", body = Services)))]
async fn list_services(State(c): Coord) -> Json<Services> {
    Json(Services {
        services: c.services(),
    })
}

#[utoipa::path(post, path = "/api/v1/services/clear-chaos", tag = "system", request_body = ClearChaosRequest,
    responses((status = 200, description = "what each service's chaos API answered", body = ClearChaosResults), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn clear_chaos(
    State(c): Coord,
    AppJson(request): AppJson<ClearChaosRequest>,
) -> Result<Json<ClearChaosResults>> {
    if request.service.is_none() && !request.all {
        return Err(bad_request("give `service` or `all: true`"));
    }
    Ok(Json(c.clear_chaos(request.service.as_deref()).await?))
}
