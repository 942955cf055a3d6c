//! Scenarios over REST: validate, upload (as versions), read a definition or
//! its versions, archive, render a template, and the validator's catalog.
//! Handlers only translate HTTP to a [`Coordinator`] call and back.

use std::collections::BTreeMap;

use app::api::ValidateRequest;
use std::sync::Arc;

use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use serde_json::Value;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::{bad_request, AppJson, ErrorBody, Result};
use crate::{service::Coordinator, state::AppState};

/// The routes of this resource, each registered with its OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(validate_scenario))
        .routes(routes!(scenario_definition, archive_scenario))
        .routes(routes!(upload_scenario))
        .routes(routes!(scenario_versions))
        .routes(routes!(render_template))
        .routes(routes!(catalog))
}

type Coord = State<Arc<Coordinator>>;

#[utoipa::path(post, path = "/api/v1/scenarios/validate", tag = "scenarios", request_body = ValidateRequest,
    responses((status = 200, body = app::api::ValidateResponse), (status = 400, body = ErrorBody), (status = 413, body = ErrorBody)))]
async fn validate_scenario(
    State(c): Coord,
    AppJson(request): AppJson<ValidateRequest>,
) -> Result<Json<app::api::ValidateResponse>> {
    Ok(Json(c.validate_scenario(request).await?))
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

#[utoipa::path(get, path = "/api/v1/catalog", tag = "scenarios", responses((status = 200, description = "services with their actions and parameter schemas; assertion types with their expect words", body = Object)))]
async fn catalog(State(c): Coord) -> Json<app::scenario::catalog::Catalog> {
    Json(c.catalog())
}
