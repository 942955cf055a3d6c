//! Two executions compared, and the previous run of an execution's scenario:
//! the I/O around the pure [`crate::report::compare`] (both reports read as
//! [`Coordinator::execution_report`] reads them).

use app::api::{compare::ExecutionComparison, ApiError, ExecutionStatus, ExecutionSummary};

use super::{invalid, no_execution, Coordinator};
use crate::store::HistoryFilter;

impl Coordinator {
    /// `b` compared with the baseline `a`. Both must exist (404) and have
    /// finished, and be two different executions (400).
    pub async fn compare_executions(
        &self,
        a: &str,
        b: &str,
    ) -> Result<ExecutionComparison, ApiError> {
        if a.is_empty() || b.is_empty() {
            return Err(invalid(
                "give two executions to compare: `a` (the baseline) and `b`",
            ));
        }
        if a == b {
            return Err(invalid(format!(
                "`a` and `b` are the same execution ({a}): choose two different executions"
            )));
        }
        for (name, id) in [("a", a), ("b", b)] {
            let summary = self.finished_summary(id).await?;
            if !summary.1 {
                return Err(invalid(format!(
                    "execution `{name}` ({id}) is {}: only finished executions can be compared",
                    summary.0.status
                )));
            }
        }
        let a = self.execution_report(a).await?;
        let b = self.execution_report(b).await?;
        Ok(crate::report::compare::compare(&a, &b))
    }

    /// The latest finished execution of the same scenario submitted before
    /// `id`, if there is one (404 when `id` is unknown).
    pub async fn previous_execution(&self, id: &str) -> Result<Option<ExecutionSummary>, ApiError> {
        let (summary, _) = self.finished_summary(id).await?;
        let filter = HistoryFilter {
            scenario: Some(summary.scenario_name.clone()),
            statuses: ExecutionStatus::ALL
                .into_iter()
                .filter(|s| s.is_finished())
                .collect(),
            until: Some(summary.created_at.clone()),
            limit: 2,
            ..HistoryFilter::default()
        };
        let (found, _) = self.store.search_executions(&filter).await?;
        Ok(found.into_iter().find(|e| e.id != summary.id))
    }

    /// An execution's row, and whether it has finished.
    async fn finished_summary(&self, id: &str) -> Result<(ExecutionSummary, bool), ApiError> {
        let record = self
            .store
            .fetch_execution(id)
            .await?
            .ok_or_else(|| no_execution(id))?;
        let finished = ExecutionStatus::parse(&record.summary.status)
            .is_some_and(ExecutionStatus::is_finished);
        Ok((record.summary, finished))
    }
}
