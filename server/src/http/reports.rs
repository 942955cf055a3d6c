//! Reports over REST: one execution's report in a format, and the summary of
//! several. Handlers only translate HTTP to a [`Coordinator`] call and back.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::{
    extract::{Path, Query, State},
    response::{IntoResponse, Response},
    Json,
};
use serde_json::Value;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::{bad_request, ErrorBody, Result};
use crate::{service::Coordinator, state::AppState};

/// The routes of this resource, each registered with its OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(execution_report))
        .routes(routes!(reports_summary))
}

type Coord = State<Arc<Coordinator>>;

/// `?format=json|html|csv|junit` (`&table=events|assertions` for CSV).
#[utoipa::path(get, path = "/api/v1/scenarios/{id}/report", tag = "reports",
    params(("id" = String, Path, description = "execution id"), ("format" = Option<String>, Query, description = "json (default), html, csv or junit"), ("table" = Option<String>, Query, description = "for csv: events (default) or assertions"), ("download" = Option<bool>, Query, description = "answer as an attachment")),
    responses((status = 200, description = "the report in the format asked", body = Object), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn execution_report(
    State(c): Coord,
    Path(id): Path<String>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Result<Response> {
    use crate::report::fetch::{render, Format};
    let format = Format::parse(
        q.get("format").map(String::as_str),
        q.get("table").map(String::as_str),
    )?;
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
    if q.get("download").is_some_and(|v| v == "true" || v == "1") {
        let disposition = format!(
            "attachment; filename=\"report-{id}.{}\"",
            format.extension()
        );
        if let Ok(value) = axum::http::HeaderValue::from_str(&disposition) {
            response
                .headers_mut()
                .insert(axum::http::header::CONTENT_DISPOSITION, value);
        }
    }
    Ok(response)
}

/// Pass rate and average recovery time across executions (N1V1's `chaos_summary.json`).
#[utoipa::path(get, path = "/api/v1/reports/summary", tag = "reports",
    params(("execution_ids" = Option<String>, Query, description = "comma-separated; default: the last `limit` finished"), ("scenario" = Option<String>, Query), ("limit" = Option<u32>, Query)),
    responses((status = 200, description = "`{test_run, results}`", body = Object), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn reports_summary(
    State(c): Coord,
    Query(q): Query<BTreeMap<String, String>>,
) -> Result<Json<Value>> {
    let ids: Vec<String> = q
        .get("execution_ids")
        .map(|l| {
            l.split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let limit = match q.get("limit") {
        Some(v) => v
            .parse()
            .map_err(|_| bad_request(format!("limit must be a whole number, not {v:?}")))?,
        None => 20,
    };
    let summary = c
        .reports_summary(&ids, q.get("scenario").cloned(), limit)
        .await?;
    Ok(Json(serde_json::to_value(summary).unwrap_or(Value::Null)))
}
