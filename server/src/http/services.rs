//! The configured services over REST: their list, the system's state (health
//! and active chaos of each, executions running), and clearing chaos.
//! Handlers only translate HTTP to a [`Coordinator`] call and back.

use std::sync::Arc;

use app::api::rest::{
    ClearChaosRequest, ClearChaosResults, InjectChaosRequest, InjectedChaos, Services, SystemState,
};
use axum::{
    extract::{Path, State},
    Json,
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::{bad_request, AppJson, ErrorBody, Result};
use crate::{service::Coordinator, state::AppState};

/// The routes of this resource, each registered with its OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(system_state))
        .routes(routes!(list_services))
        .routes(routes!(clear_chaos))
        .routes(routes!(inject_chaos))
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

#[utoipa::path(post, path = "/api/v1/services/{name}/chaos", tag = "system", request_body = InjectChaosRequest,
    params(("name" = String, Path, description = "the service")),
    responses((status = 200, description = "the fault is active (on a proxied service: until its ttl runs out or it is cleared)", body = InjectedChaos),
        (status = 400, description = "a malformed request, a service without a chaos API, or a ttl for a service that is not proxied", body = ErrorBody),
        (status = 404, description = "no such service, or an action it does not offer", body = ErrorBody),
        (status = 409, description = "the service holds as many faults as it can", body = ErrorBody),
        (status = 422, description = "a parameter out of bounds", body = ErrorBody),
        (status = 503, description = "the service's chaos API did not answer", body = ErrorBody)))]
async fn inject_chaos(
    State(c): Coord,
    Path(name): Path<String>,
    AppJson(request): AppJson<InjectChaosRequest>,
) -> Result<Json<InjectedChaos>> {
    Ok(Json(c.inject_chaos(&name, request).await?))
}
