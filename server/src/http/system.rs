//! Operational endpoints: `/health` (seed 003's shape), `/metrics`, this
//! OpenAPI document, and the per-scenario performance figures.

use axum::{
    extract::State,
    http::{header, StatusCode},
    response::IntoResponse,
    Json,
};
use time::{format_description::well_known::Rfc3339, OffsetDateTime};
use utoipa_axum::{router::OpenApiRouter, routes};

use std::sync::Arc;

use app::api::rest::{Health, HealthChecks, Replica, ScenarioPerformance};

use crate::{service::Coordinator, state::AppState};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(health))
        .routes(routes!(metrics))
        .routes(routes!(openapi))
        .routes(routes!(scenario_performance))
}

/// The top of an OpenAPI 3.1 document, for this operation's description only
/// (the answer is the whole document utoipa generates).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct OpenApiDocument {
    /// `3.1.0`.
    openapi: String,
    /// Title, version and description of the API.
    #[schema(value_type = Object)]
    info: (),
    /// Every operation, by path.
    #[schema(value_type = Object)]
    paths: (),
    /// The schemas the operations refer to.
    #[schema(value_type = Object)]
    components: (),
}

/// This document. It is generated from the routes as they are registered, so it
/// cannot drift from them.
#[utoipa::path(get, path = "/api/openapi.json", tag = "system", responses((status = 200, description = "OpenAPI 3.1", body = OpenApiDocument)))]
async fn openapi(State(state): State<AppState>) -> impl IntoResponse {
    Json(state.openapi.as_ref().clone())
}

#[utoipa::path(get, path = "/health", tag = "system", responses((status = 200, description = "healthy", body = Health), (status = 503, description = "the database does not answer", body = Health)))]
async fn health(State(state): State<AppState>) -> impl IntoResponse {
    let database_ok = match state.store.ping().await {
        Ok(()) => true,
        Err(error) => {
            tracing::warn!(error.cause_chain = ?error, "health check: database does not answer");
            false
        }
    };
    let body = Health {
        status: if database_ok { "healthy" } else { "unhealthy" }.to_owned(),
        service: "test-coordinator".to_owned(),
        instance: state.config.instance.clone(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        environment: state.config.environment.clone(),
        timestamp: OffsetDateTime::now_utc()
            .format(&Rfc3339)
            .unwrap_or_default(),
        checks: HealthChecks {
            database: if database_ok { "ok" } else { "unavailable" }.to_owned(),
        },
        replica: Replica {
            id: state.engine.owner().id.to_string(),
            database_backend: state.store.backend().name().to_owned(),
            owned_executions: u32::try_from(state.engine.active().len()).unwrap_or(u32::MAX),
        },
    };
    let status = if database_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body))
}

/// OpenMetrics when the client asks for it (Prometheus does), else the classic
/// text format (curl, `promtool check metrics`).
#[utoipa::path(get, path = "/metrics", tag = "system", responses((status = 200, description = "Prometheus metrics: OpenMetrics text when `Accept` names it, else the classic text format 0.0.4", content((String = "application/openmetrics-text"), (String = "text/plain")))))]
async fn metrics(State(state): State<AppState>, headers: header::HeaderMap) -> impl IntoResponse {
    let openmetrics = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("application/openmetrics-text"));
    if openmetrics {
        (
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            state.metrics.encode(),
        )
    } else {
        (
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            state.metrics.encode_classic(),
        )
    }
}

#[utoipa::path(get, path = "/api/v1/metrics/scenario-performance", tag = "system", responses((status = 200, description = "per scenario: runs, completed, success_rate, duration percentiles", body = ScenarioPerformance)))]
async fn scenario_performance(
    State(c): State<Arc<Coordinator>>,
) -> super::error::Result<Json<ScenarioPerformance>> {
    Ok(Json(c.scenario_performance().await?))
}
