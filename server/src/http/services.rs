//! The configured services over REST: their list, the system's state (health
//! and active chaos of each, executions running), and clearing chaos.
//! Handlers only translate HTTP to a [`Coordinator`] call and back.

use std::sync::Arc;

use axum::{extract::State, Json};
use serde_json::{json, Value};
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

#[utoipa::path(get, path = "/api/v1/system/state", tag = "system", responses((status = 200, description = "`{services: [{name, url, healthy, status, active_chaos}], executions}`", body = Object)))]
async fn system_state(State(c): Coord) -> Result<Json<Value>> {
    Ok(Json(c.system_state().await?))
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
