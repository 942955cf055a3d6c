//! Reports as use cases: read the stored execution, add the audit correlator's
//! events when the scenario asks for them, then run the pure pipeline of
//! [`crate::report`]. All the I/O of a report is here; `report/` does none.

use app::api::{ApiError, ErrorKind};
use serde_json::Value;
use time::OffsetDateTime;

use super::Coordinator;
use crate::{
    engine::ExecutionId,
    report::{generate, summarize, ExecutionReport, ReportInput, Summary},
    store::HistoryFilter,
};

impl Coordinator {
    /// The report of one execution, computed from what is stored (plus the
    /// audit trail, fetched live, when the scenario asks to correlate it).
    pub async fn execution_report(&self, id: &str) -> Result<ExecutionReport, ApiError> {
        let not_found = || ApiError::new(ErrorKind::NotFound, format!("no execution {id}"));
        let execution_id: ExecutionId = id.parse().map_err(|_| not_found())?;
        let record = self
            .store
            .fetch_recorded_execution(execution_id)
            .await?
            .ok_or_else(not_found)?;
        let mut input = ReportInput::from(record);
        if input.record.plan.reporting.correlate_with_audit_logs {
            input.audit_events = self.audit_events(id).await;
        }
        Ok(generate(
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
                .await?
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
