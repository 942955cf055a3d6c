//! What a report is made from: the stored execution row (with its plan) and all
//! its events. The report itself is computed in [`crate::report`], never stored, so
//! a report of an old execution is made from exactly what ran.

use app::{api::ExecutionStatus, scenario::plan::Plan};
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

use super::{Store, StoreError};
use crate::{
    engine::{event::Event, ExecutionId},
    report::{ExecutionRecord, ReportInput},
};

/// Events read per query while collecting an execution's whole log.
const EVENT_PAGE: u32 = 5_000;

#[derive(sqlx::FromRow)]
struct RecordRow {
    id: String,
    scenario_name: String,
    definition: String,
    parameters: Option<String>,
    plan: String,
    options: String,
    status: String,
    verdict: Option<String>,
    started_by: String,
    created_at: String,
    started_at: Option<String>,
    finished_at: Option<String>,
}

impl RecordRow {
    fn into_record(self) -> Result<(ExecutionRecord, Plan), StoreError> {
        let id = self.id;
        let corrupt = |what: &str| StoreError::Corrupt(format!("execution {id}: {what}"));
        let time = |text: &str, what: &str| {
            OffsetDateTime::parse(text, &Rfc3339).map_err(|_| corrupt(what))
        };
        let optional_time =
            |text: Option<&str>, what: &str| text.map(|t| time(t, what)).transpose();
        let plan: Plan =
            serde_json::from_str(&self.plan).map_err(|e| corrupt(&format!("plan: {e}")))?;
        let record = ExecutionRecord {
            id: id.parse::<ExecutionId>().map_err(|_| corrupt("id"))?,
            scenario_name: self.scenario_name,
            definition: self.definition,
            parameters: self
                .parameters
                .as_deref()
                .map(serde_json::from_str)
                .transpose()
                .map_err(|_| corrupt("parameters"))?,
            options: serde_json::from_str(&self.options).map_err(|_| corrupt("options"))?,
            status: ExecutionStatus::parse(&self.status).ok_or_else(|| corrupt("status"))?,
            verdict: self
                .verdict
                .as_deref()
                .map(serde_json::from_str)
                .transpose()
                .map_err(|_| corrupt("verdict"))?,
            started_by: self.started_by,
            created_at: time(&self.created_at, "created_at")?,
            started_at: optional_time(self.started_at.as_deref(), "started_at")?,
            finished_at: optional_time(self.finished_at.as_deref(), "finished_at")?,
        };
        Ok((record, plan))
    }
}

impl Store {
    async fn fetch_record_row(&self, id: ExecutionId) -> Result<Option<RecordRow>, StoreError> {
        Ok(sqlx::query_as(
            "select id, scenario_name, definition, parameters, plan, options, status, verdict,
                    started_by, created_at, started_at, finished_at
             from executions where id = ?",
        )
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The stored row of one execution, if it exists.
    pub async fn fetch_execution_record(
        &self,
        id: ExecutionId,
    ) -> Result<Option<ExecutionRecord>, StoreError> {
        match self.fetch_record_row(id).await? {
            Some(row) => Ok(Some(row.into_record()?.0)),
            None => Ok(None),
        }
    }

    /// Everything a report of one execution is made from — its row, its plan and
    /// all its events — or `None` if it does not exist. Audit events are not
    /// stored: the caller adds them when it fetched them.
    pub async fn fetch_report_input(
        &self,
        id: ExecutionId,
    ) -> Result<Option<ReportInput>, StoreError> {
        let Some(row) = self.fetch_record_row(id).await? else {
            return Ok(None);
        };
        let (execution, plan) = row.into_record()?;
        let mut events: Vec<Event> = Vec::new();
        loop {
            let after = events.last().map(|e| e.seq);
            let page = self.list_events(id, after, EVENT_PAGE).await?;
            let full = page.len() == EVENT_PAGE as usize;
            events.extend(page);
            if !full {
                break;
            }
        }
        Ok(Some(ReportInput {
            execution,
            plan,
            events,
            audit_events: None,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        engine::{NewExecution, RunOptions, StartedBy},
        report::{build, testdata},
    };

    #[tokio::test]
    async fn a_stored_execution_reads_back_as_the_report_input_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db")).await.unwrap();
        let input = testdata::input();
        let id = input.execution.id;
        let owner = crate::engine::owner::Owner {
            id: crate::engine::owner::OwnerId::new(),
            command: "test".into(),
            host: "here".into(),
            pid: 1,
            lease: std::time::Duration::from_secs(15),
        };
        store
            .insert_execution(
                &NewExecution {
                    id,
                    plan: std::sync::Arc::new(input.plan.clone()),
                    definition: input.execution.definition.clone(),
                    parameters: input.execution.parameters.clone(),
                    scenario_id: None,
                    options: RunOptions {
                        speed: 600.0,
                        dry_run: false,
                        continue_on_failure: true,
                        repeat: 1,
                    },
                    started_by: StartedBy::Api,
                },
                &owner,
            )
            .await
            .unwrap();
        let with_status: Vec<_> = input
            .events
            .iter()
            .map(|e| {
                let status = match &e.kind {
                    crate::engine::event::EventKind::ExecutionStarted { .. } => {
                        Some(ExecutionStatus::Running)
                    }
                    crate::engine::event::EventKind::ExecutionFinished { status, .. } => {
                        Some(*status)
                    }
                    _ => None,
                };
                (e.clone(), status)
            })
            .collect();
        let refused = store.append_events(owner.id, &with_status).await.unwrap();
        assert!(refused.is_empty());

        let read = store.fetch_report_input(id).await.unwrap().expect("stored");
        assert_eq!(read.events, input.events);
        assert_eq!(read.plan, input.plan);
        assert_eq!(read.execution.status, ExecutionStatus::Failed);
        assert_eq!(read.execution.started_at, input.execution.started_at);
        assert_eq!(read.execution.finished_at, input.execution.finished_at);
        assert_eq!(read.execution.verdict, input.execution.verdict);
        assert_eq!(read.execution.parameters, input.execution.parameters);
        assert_eq!(read.execution.started_by, "api");
        // Built from the store, the report equals the one built from the data itself
        // (audit events aside, which are not stored).
        let mut direct = testdata::input();
        direct.audit_events = None;
        direct.execution.created_at = read.execution.created_at;
        assert_eq!(
            build(&read, testdata::generated_at(), "t"),
            build(&direct, testdata::generated_at(), "t")
        );
        let record = store.fetch_execution_record(id).await.unwrap().unwrap();
        assert_eq!(record, read.execution);
        assert!(store
            .fetch_report_input(ExecutionId::new())
            .await
            .unwrap()
            .is_none());
    }
}
