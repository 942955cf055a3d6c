//! What an execution recorded: its stored row ([`StoredExecution`]) and, with its
//! plan and all its events, the whole [`RecordedExecution`] that reports are made
//! from. The report itself is computed in [`crate::report`] from these plain types,
//! never stored, so a report of an old execution is made from exactly what ran.

use app::{api::ExecutionStatus, scenario::plan::Plan};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

use super::{Store, StoreError};
use crate::engine::{
    event::{Event, Verdict},
    ExecutionId, RunOptions,
};

/// The stored `executions` row, typed (the plan is parsed separately into
/// [`RecordedExecution::plan`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredExecution {
    /// The execution's id.
    pub id: ExecutionId,
    /// The scenario's name.
    pub scenario_name: String,
    /// The scenario text that ran (rendered YAML).
    pub definition: String,
    /// Template parameters, when it came from a template.
    pub parameters: Option<Value>,
    /// How it was run.
    pub options: RunOptions,
    /// Its state.
    pub status: ExecutionStatus,
    /// The success-criteria verdict, once ended.
    pub verdict: Option<Verdict>,
    /// Who started it: the actor (`alice`, `local:ana`), or for executions
    /// stored before teams, the channel.
    pub started_by: String,
    /// How it was started: `cli`, `ui`, `api` or `schedule`.
    pub channel: String,
    /// When it was submitted.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it started running.
    #[serde(with = "time::serde::rfc3339::option")]
    pub started_at: Option<OffsetDateTime>,
    /// When it ended.
    #[serde(with = "time::serde::rfc3339::option")]
    pub finished_at: Option<OffsetDateTime>,
}

/// Everything the store recorded about one execution: its row, the plan it ran
/// and its events in `seq` order.
#[derive(Debug, Clone)]
pub struct RecordedExecution {
    /// The execution's row.
    pub execution: StoredExecution,
    /// The plan it ran.
    pub plan: Plan,
    /// Its events, in `seq` order.
    pub events: Vec<Event>,
}

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
    channel: String,
    created_at: String,
    started_at: Option<String>,
    finished_at: Option<String>,
}

impl RecordRow {
    fn into_record(self) -> Result<(StoredExecution, Plan), StoreError> {
        let id = self.id;
        let corrupt = |what: &str| StoreError::Corrupt(format!("execution {id}: {what}"));
        let time = |text: &str, what: &str| {
            OffsetDateTime::parse(text, &Rfc3339).map_err(|_| corrupt(what))
        };
        let optional_time =
            |text: Option<&str>, what: &str| text.map(|t| time(t, what)).transpose();
        let plan: Plan =
            serde_json::from_str(&self.plan).map_err(|e| corrupt(&format!("plan: {e}")))?;
        let record = StoredExecution {
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
            channel: self.channel,
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
                    coalesce(actor, started_by) as started_by, started_by as channel,
                    created_at, started_at, finished_at
             from executions where id = $1",
        )
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The stored row of one execution, if it exists.
    pub async fn fetch_stored_execution(
        &self,
        id: ExecutionId,
    ) -> Result<Option<StoredExecution>, StoreError> {
        match self.fetch_record_row(id).await? {
            Some(row) => Ok(Some(row.into_record()?.0)),
            None => Ok(None),
        }
    }

    /// Everything recorded about one execution — its row, its plan and all its
    /// events — or `None` if it does not exist. (Audit events are not stored.)
    pub async fn fetch_recorded_execution(
        &self,
        id: ExecutionId,
    ) -> Result<Option<RecordedExecution>, StoreError> {
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
        Ok(Some(RecordedExecution {
            execution,
            plan,
            events,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        engine::{Channel, NewExecution, RunOptions, StartedBy},
        report::{build, testdata, ReportInput},
    };

    #[tokio::test]
    async fn a_stored_execution_reads_back_as_the_record_it_was() {
        let (_guard, store) = crate::store::testing::store().await;
        let input = testdata::input();
        let id = input.record.execution.id;
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
                    plan: std::sync::Arc::new(input.record.plan.clone()),
                    definition: input.record.execution.definition.clone(),
                    parameters: input.record.execution.parameters.clone(),
                    scenario_id: None,
                    options: RunOptions {
                        speed: 600.0,
                        dry_run: false,
                        continue_on_failure: true,
                        repeat: 1,
                        ..RunOptions::default()
                    },
                    started_by: StartedBy::new(Channel::Api, "local:test"),
                },
                &owner,
            )
            .await
            .unwrap();
        let with_status: Vec<_> = input
            .record
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

        let read = store
            .fetch_recorded_execution(id)
            .await
            .unwrap()
            .expect("stored");
        assert_eq!(read.events, input.record.events);
        assert_eq!(read.plan, input.record.plan);
        assert_eq!(read.execution.status, ExecutionStatus::Failed);
        assert_eq!(read.execution.started_at, input.record.execution.started_at);
        assert_eq!(
            read.execution.finished_at,
            input.record.execution.finished_at
        );
        assert_eq!(read.execution.verdict, input.record.execution.verdict);
        assert_eq!(read.execution.parameters, input.record.execution.parameters);
        assert_eq!(read.execution.started_by, "local:test");
        assert_eq!(read.execution.channel, "api");
        // Built from the store, the report equals the one built from the data itself
        // (audit events aside, which are not stored).
        let mut direct = testdata::input();
        direct.audit_events = None;
        direct.record.execution.created_at = read.execution.created_at;
        assert_eq!(
            build(
                &ReportInput::from(read.clone()),
                testdata::generated_at(),
                "t"
            ),
            build(&direct, testdata::generated_at(), "t")
        );
        let record = store.fetch_stored_execution(id).await.unwrap().unwrap();
        assert_eq!(record, read.execution);
        assert!(store
            .fetch_recorded_execution(ExecutionId::new())
            .await
            .unwrap()
            .is_none());
    }
}
