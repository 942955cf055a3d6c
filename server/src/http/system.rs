//! Operational endpoints: `/health` (seed 003's shape), `/metrics`, this
//! OpenAPI document, and the per-scenario performance figures.

use axum::{
    extract::State,
    http::{header, StatusCode},
    response::IntoResponse,
    Json,
};
use serde::Serialize;
use time::{format_description::well_known::Rfc3339, OffsetDateTime};
use utoipa_axum::{router::OpenApiRouter, routes};

use std::sync::Arc;

use serde_json::Value;

use crate::{service::Coordinator, state::AppState};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(health))
        .routes(routes!(metrics))
        .routes(routes!(openapi))
        .routes(routes!(scenario_performance))
}

/// This document. It is generated from the routes as they are registered, so it
/// cannot drift from them.
#[utoipa::path(get, path = "/api/openapi.json", tag = "system", responses((status = 200, description = "OpenAPI 3.1", body = Object)))]
async fn openapi(State(state): State<AppState>) -> impl IntoResponse {
    Json(state.openapi.as_ref().clone())
}

/// The answer of `GET /health`.
#[derive(Debug, Serialize)]
struct Health {
    /// `healthy`, or `unhealthy` (with 503) when the database does not answer.
    status: &'static str,
    service: &'static str,
    instance: String,
    version: &'static str,
    environment: String,
    timestamp: String,
    checks: Checks,
}

#[derive(Debug, Serialize)]
struct Checks {
    database: &'static str,
}

#[utoipa::path(get, path = "/health", tag = "system", responses((status = 200, description = "`{status: healthy, service, instance, version, environment, timestamp, checks}`", body = Object), (status = 503, description = "the database does not answer", body = Object)))]
async fn health(State(state): State<AppState>) -> impl IntoResponse {
    let database_ok = match state.store.ping().await {
        Ok(()) => true,
        Err(error) => {
            tracing::warn!(error.cause_chain = ?error, "health check: database does not answer");
            false
        }
    };
    let body = Health {
        status: if database_ok { "healthy" } else { "unhealthy" },
        service: "test-coordinator",
        instance: state.config.instance.clone(),
        version: env!("CARGO_PKG_VERSION"),
        environment: state.config.environment.clone(),
        timestamp: OffsetDateTime::now_utc()
            .format(&Rfc3339)
            .unwrap_or_default(),
        checks: Checks {
            database: if database_ok { "ok" } else { "unavailable" },
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
#[utoipa::path(get, path = "/metrics", tag = "system", responses((status = 200, description = "Prometheus metrics: OpenMetrics text when `Accept` names it, else the classic text format 0.0.4", content(("application/openmetrics-text"), ("text/plain")))))]
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

#[utoipa::path(get, path = "/api/v1/metrics/scenario-performance", tag = "system", responses((status = 200, description = "per scenario: runs, completed, success_rate, duration percentiles", body = Object)))]
async fn scenario_performance(
    State(c): State<Arc<Coordinator>>,
) -> super::error::Result<Json<Value>> {
    Ok(Json(c.scenario_performance().await?))
}
