//! Reports as use cases: read the stored execution, add the audit correlator's
//! events when the scenario asks for them, build, render.

use app::api::{ApiError, ErrorKind};
use serde_json::Value;
use time::OffsetDateTime;

use super::{build, model::Summary, summarize, ExecutionReport};
use crate::{engine::ExecutionId, service::Coordinator, store::HistoryFilter};

/// The formats a report is rendered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The report model as JSON.
    Json,
    /// One self-contained HTML page.
    Html,
    /// One row per event.
    CsvEvents,
    /// One row per assertion.
    CsvAssertions,
    /// JUnit XML, one test case per assertion.
    Junit,
}

impl Format {
    /// `format` (`json`, `html`, `csv`, `junit`) and, for CSV, `table` (`events`, `assertions`).
    pub fn parse(format: Option<&str>, table: Option<&str>) -> Result<Self, ApiError> {
        match (format.unwrap_or("json"), table) {
            ("json", _) => Ok(Self::Json),
            ("html", _) => Ok(Self::Html),
            ("csv", None | Some("events")) => Ok(Self::CsvEvents),
            ("csv", Some("assertions")) => Ok(Self::CsvAssertions),
            ("junit", _) => Ok(Self::Junit),
            (f, t) => Err(ApiError::new(
                ErrorKind::InvalidRequest,
                format!("unknown report format {f:?}{}: use json, html, csv (table=events|assertions) or junit", t.map(|t| format!(" with table {t:?}")).unwrap_or_default()),
            )),
        }
    }

    /// The HTTP content type.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Json => "application/json",
            Self::Html => "text/html; charset=utf-8",
            Self::CsvEvents | Self::CsvAssertions => "text/csv; charset=utf-8",
            Self::Junit => "application/xml",
        }
    }

    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Html => "html",
            Self::CsvEvents | Self::CsvAssertions => "csv",
            Self::Junit => "xml",
        }
    }
}

/// Renders `report` in `format`.
pub fn render(report: &ExecutionReport, format: Format) -> Result<String, ApiError> {
    Ok(match format {
        Format::Json => super::json::render(report).map_err(|error| {
            tracing::error!(%error, "cannot serialise a report");
            ApiError::internal()
        })?,
        Format::Html => super::html::render(report),
        Format::CsvEvents => super::csv::events(report),
        Format::CsvAssertions => super::csv::assertions(report),
        Format::Junit => super::junit::render(report),
    })
}

fn store_error(error: crate::store::StoreError) -> ApiError {
    tracing::error!(error.cause_chain = ?error, "store failed");
    ApiError::internal()
}

impl Coordinator {
    /// The report of one execution, computed from what is stored (plus the
    /// audit trail, fetched live, when the scenario asks to correlate it).
    pub async fn execution_report(&self, id: &str) -> Result<ExecutionReport, ApiError> {
        let not_found = || ApiError::new(ErrorKind::NotFound, format!("no execution {id}"));
        let execution_id: ExecutionId = id.parse().map_err(|_| not_found())?;
        let mut input = self
            .store
            .fetch_report_input(execution_id)
            .await
            .map_err(store_error)?
            .ok_or_else(not_found)?;
        if input.plan.reporting.correlate_with_audit_logs {
            input.audit_events = self.audit_events(id).await;
        }
        Ok(build(
            &input,
            OffsetDateTime::now_utc(),
            &self.config.instance,
        ))
    }

    /// The audit correlator's events for `correlation_id`, when it answers.
    async fn audit_events(&self, correlation_id: &str) -> Option<Vec<Value>> {
        let service = self.config.services.get("audit-correlator")?;
        let url = format!(
            "{}/api/v1/events?correlation_id={correlation_id}",
            service.url.as_str().trim_end_matches('/')
        );
        let body: Value = self
            .client
            .get(url)
            .timeout(service.timeout)
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        body.get("events")?.as_array().cloned()
    }

    /// The summary (N1V1 `chaos_summary.json`) of the given executions, or of the
    /// last `limit` finished ones (of `scenario`, when given).
    pub async fn reports_summary(
        &self,
        ids: &[String],
        scenario: Option<String>,
        limit: u32,
    ) -> Result<Summary, ApiError> {
        let ids: Vec<String> = if ids.is_empty() {
            let filter = HistoryFilter {
                scenario,
                statuses: vec![
                    app::api::ExecutionStatus::Completed,
                    app::api::ExecutionStatus::Failed,
                    app::api::ExecutionStatus::Stopped,
                    app::api::ExecutionStatus::TimedOut,
                    app::api::ExecutionStatus::Interrupted,
                ],
                limit,
                ..HistoryFilter::default()
            };
            self.store
                .search_executions(&filter)
                .await
                .map_err(store_error)?
                .0
                .into_iter()
                .map(|e| e.id)
                .collect()
        } else {
            ids.to_vec()
        };
        let mut reports = Vec::with_capacity(ids.len());
        for id in &ids {
            reports.push(self.execution_report(id).await?);
        }
        Ok(summarize(&reports))
    }
}
