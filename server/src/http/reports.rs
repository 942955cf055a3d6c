//! Reports over REST: one execution's report in a format, and the summary of
//! several. Handlers only translate HTTP to a [`Coordinator`] call and back.

use std::sync::Arc;

use axum::{
    extract::{Path, Query, State},
    response::{IntoResponse, Response},
    Json,
};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    error::{ErrorBody, Result},
    query,
};
use crate::{
    report::{ExecutionReport, Summary},
    service::Coordinator,
    state::AppState,
};

/// The routes of this resource, each registered with its OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(execution_report))
        .routes(routes!(reports_summary))
}

type Coord = State<Arc<Coordinator>>;

/// Which report of `GET /api/v1/scenarios/{id}/report`, and how.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ReportQuery {
    /// `json` (default), `html`, `csv` or `junit`.
    format: Option<String>,
    /// For csv: `events` (default) or `assertions`.
    table: Option<String>,
    /// `true` (or `1`): answer as an attachment.
    #[serde(default, deserialize_with = "query::flag")]
    #[param(value_type = Option<bool>)]
    download: Option<bool>,
}

/// One execution's report in the format asked: JSON ([`ExecutionReport`], the
/// report pipeline's own types), HTML, CSV or JUnit XML.
#[utoipa::path(get, path = "/api/v1/scenarios/{id}/report", tag = "reports",
    params(("id" = String, Path, description = "execution id"), ReportQuery),
    responses((status = 200, description = "the report in the format asked",
        content((ExecutionReport = "application/json"), (String = "text/html"), (String = "text/csv"), (String = "application/xml"))),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn execution_report(
    State(c): Coord,
    Path(id): Path<String>,
    Query(q): Query<ReportQuery>,
) -> Result<Response> {
    use crate::report::format::{render, Format};
    let format = Format::parse(q.format.as_deref(), q.table.as_deref())?;
    let report = c.execution_report(&id).await?;
    let body = render(&report, format)?;
    let mut response = (
        [(axum::http::header::CONTENT_TYPE, format.content_type())],
        body,
    )
        .into_response();
    if matches!(format, Format::Html) {
        // The report page frames it; nothing in it runs (see http/headers.rs).
        let headers = response.headers_mut();
        headers.insert(
            axum::http::header::CONTENT_SECURITY_POLICY,
            axum::http::HeaderValue::from_static(super::headers::REPORT_POLICY),
        );
        headers.insert(
            axum::http::header::X_FRAME_OPTIONS,
            axum::http::HeaderValue::from_static("SAMEORIGIN"),
        );
    }
    if q.download == Some(true) {
        let disposition = format!(
            "attachment; filename=\"{}\"",
            format.file_name(&report.scenario.name, &report.execution.id)
        );
        if let Ok(value) = axum::http::HeaderValue::from_str(&disposition) {
            response
                .headers_mut()
                .insert(axum::http::header::CONTENT_DISPOSITION, value);
        }
    }
    Ok(response)
}

/// Which executions `GET /api/v1/reports/summary` sums up.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct SummaryQuery {
    /// Comma-separated execution ids; default: the last `limit` finished.
    execution_ids: Option<String>,
    /// Only executions of this scenario (without `execution_ids`).
    scenario: Option<String>,
    /// How many of the latest finished executions (default 20).
    limit: Option<u32>,
}

/// Pass rate and average recovery time across executions (N1V1's `chaos_summary.json`).
#[utoipa::path(get, path = "/api/v1/reports/summary", tag = "reports", params(SummaryQuery),
    responses((status = 200, description = "what ran and how it went", body = Summary), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn reports_summary(State(c): Coord, Query(q): Query<SummaryQuery>) -> Result<Json<Summary>> {
    let ids = query::list(q.execution_ids.as_deref());
    let summary = c
        .reports_summary(&ids, q.scenario, q.limit.unwrap_or(20))
        .await?;
    Ok(Json(summary))
}
