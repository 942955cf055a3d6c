//! Scenarios over REST: validate, upload (as versions), read a definition or
//! its versions, archive, render a template, and the validator's catalog.
//! Handlers only translate HTTP to a [`Coordinator`] call and back.

use std::sync::Arc;

use app::api::{
    download::{self, ScenarioFileQuery},
    rest::{
        RenderRequest, RenderedTemplate, ScenarioDefinition, ScenarioVersions, UploadedScenario,
    },
    ValidateRequest,
};
use axum::{
    extract::{Path, Query, State},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::{AppJson, ErrorBody, Result};
use crate::{service::Coordinator, state::AppState};

/// The routes of this resource, each registered with its OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(validate_scenario))
        .routes(routes!(scenario_definition, archive_scenario))
        .routes(routes!(upload_scenario))
        .routes(routes!(scenario_versions))
        .routes(routes!(scenario_file))
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
    params(("id" = String, Path, description = "uploaded scenario id, or library scenario or template name"), DefinitionQuery),
    responses((status = 200, description = "the text and its metadata", body = ScenarioDefinition), (status = 404, body = ErrorBody)))]
async fn scenario_definition(
    State(c): Coord,
    Path(id): Path<String>,
    Query(q): Query<DefinitionQuery>,
) -> Result<Json<ScenarioDefinition>> {
    Ok(Json(c.scenario_definition_version(&id, q.version).await?))
}

/// Which version of `GET /api/v1/scenarios/{id}/definition`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct DefinitionQuery {
    /// An uploaded scenario's version (default: latest).
    version: Option<i64>,
}

/// A scenario's text as a file to save: the YAML as written (an uploaded
/// scenario's latest or given version), with a safe file name.
#[utoipa::path(get, path = "/api/v1/scenarios/{id}/yaml", tag = "scenarios",
    params(("id" = String, Path, description = "uploaded scenario id, or library scenario or template name"), ScenarioFileQuery),
    // The body is a YAML document, described as any value: a client that parses
    // `application/yaml` (schemathesis does) gets a mapping, not a string.
    responses((status = 200, description = "the scenario's YAML text as an attachment (`Content-Disposition`)", content_type = "application/yaml", body = serde_json::Value),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn scenario_file(
    State(c): Coord,
    Path(id): Path<String>,
    Query(q): Query<ScenarioFileQuery>,
) -> Result<Response> {
    let definition = c.scenario_definition_version(&id, q.version).await?;
    let file_name =
        download::scenario_file_name(&definition.name, &definition.kind, definition.version);
    let mut response = (
        [(header::CONTENT_TYPE, "application/yaml; charset=utf-8")],
        definition.definition,
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(&download::attachment(&file_name)) {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// Archives an uploaded scenario: hidden from the library, versions and history kept.
#[utoipa::path(delete, path = "/api/v1/scenarios/{id}/definition", tag = "scenarios", params(("id" = String, Path, description = "uploaded scenario id")),
    responses((status = 204, description = "archived"), (status = 404, body = ErrorBody)))]
async fn archive_scenario(State(c): Coord, Path(id): Path<String>) -> Result<StatusCode> {
    c.archive_scenario(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
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
    responses((status = 201, description = "saved as a new version", body = UploadedScenario), (status = 400, body = ErrorBody), (status = 409, description = "a case variant of an uploaded id, or a library name without override_library", body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, description = "does not validate, or metadata.name is not an id", body = ErrorBody)))]
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
    responses((status = 200, description = "every version, oldest first", body = ScenarioVersions), (status = 404, body = ErrorBody)))]
async fn scenario_versions(
    State(c): Coord,
    Path(id): Path<String>,
) -> Result<Json<ScenarioVersions>> {
    Ok(Json(c.scenario_versions(&id).await?))
}

#[utoipa::path(post, path = "/api/v1/templates/{id}/render", tag = "scenarios", params(("id" = String, Path, description = "template name")),
    request_body = RenderRequest,
    responses((status = 200, description = "the rendered scenario, or why it does not render", body = RenderedTemplate), (status = 404, body = ErrorBody)))]
async fn render_template(
    State(c): Coord,
    Path(id): Path<String>,
    AppJson(body): AppJson<RenderRequest>,
) -> Result<Json<RenderedTemplate>> {
    let parameters = body.parameters.unwrap_or_default();
    Ok(Json(c.render_template(&id, parameters).await?))
}

#[utoipa::path(get, path = "/api/v1/catalog", tag = "scenarios", responses((status = 200, description = "services with their actions and parameter schemas; assertion types with their expect words", body = app::scenario::catalog::Catalog)))]
async fn catalog(State(c): Coord) -> Json<app::scenario::catalog::Catalog> {
    Json(c.catalog())
}
