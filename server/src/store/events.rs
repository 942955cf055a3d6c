//! Executions as the engine writes them: insertion, the append-only event log
//! with state changes, and what a crash left unfinished.

use app::api::ExecutionStatus;
use futures::future::BoxFuture;
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

use super::{Store, StoreError};
use crate::engine::{event::Event, ExecutionId, Journal, NewExecution, Unfinished};

fn now_text() -> String {
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_default()
}

fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// `(seq, at, offset_ms, planned_ms, phase, payload)` of a stored event.
type EventRow = (i64, String, Option<i64>, Option<i64>, Option<i64>, String);

impl Store {
    /// Stores a newly submitted execution.
    pub async fn insert_execution(&self, execution: &NewExecution) -> Result<(), StoreError> {
        let plan = serde_json::to_string(execution.plan.as_ref())
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let options = serde_json::to_string(&execution.options)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let parameters = execution.parameters.as_ref().map(|p| p.to_string());
        sqlx::query(
            "insert into executions (id, scenario_id, scenario_name, definition, parameters, plan, options, status, started_by, created_at)
             values (?, (select id from scenarios where id = ?), ?, ?, ?, ?, ?, 'queued', ?, ?)",
        )
        .bind(execution.id.to_string())
        .bind(&execution.scenario_id)
        .bind(&execution.plan.metadata.name)
        .bind(&execution.definition)
        .bind(parameters)
        .bind(plan)
        .bind(options)
        .bind(execution.started_by.as_str())
        .bind(now_text())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Appends numbered events in one transaction, updating the execution's
    /// state (and start/end times) where an event changed it.
    pub async fn append_events(
        &self,
        events: &[(Event, Option<ExecutionStatus>)],
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        for (event, status) in events {
            let payload = serde_json::to_value(&event.kind)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let at = event.at.format(&Rfc3339).unwrap_or_default();
            sqlx::query(
                "insert into events (execution_id, seq, at, offset_ms, planned_ms, kind, phase, payload) values (?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(event.execution_id.to_string())
            .bind(to_i64(event.seq))
            .bind(&at)
            .bind(event.offset_ms.map(to_i64))
            .bind(event.planned_ms.map(to_i64))
            .bind(event.kind.name())
            .bind(event.phase.map(|p| to_i64(p as u64)))
            .bind(payload.to_string())
            .execute(&mut *tx)
            .await?;
            if let Some(status) = status {
                let verdict = match &event.kind {
                    crate::engine::event::EventKind::ExecutionFinished { verdict, .. } => Some(
                        serde_json::to_string(verdict)
                            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    ),
                    _ => None,
                };
                sqlx::query(
                    "update executions set status = ?,
                       started_at = case when ? = 'running' and started_at is null then ? else started_at end,
                       finished_at = case when ? then ? else finished_at end,
                       verdict = coalesce(?, verdict)
                     where id = ?",
                )
                .bind(status.as_str())
                .bind(status.as_str())
                .bind(&at)
                .bind(status.is_finished())
                .bind(&at)
                .bind(verdict)
                .bind(event.execution_id.to_string())
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Executions left `queued`, `running` or `paused` (by a crash, at start-up).
    pub async fn unfinished_executions(&self) -> Result<Vec<Unfinished>, StoreError> {
        let rows: Vec<(String, String, String, String, Option<i64>)> = sqlx::query_as(
            "select e.id, e.status, e.plan, e.options, (select max(seq) from events v where v.execution_id = e.id)
             from executions e where e.status in ('queued', 'running', 'paused') order by e.created_at",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for (id, status, plan, options, max_seq) in rows {
            let corrupt = |what: &str| StoreError::Corrupt(format!("execution {id}: {what}"));
            let options: crate::engine::RunOptions =
                serde_json::from_str(&options).map_err(|_| corrupt("options"))?;
            out.push(Unfinished {
                id: id.parse::<ExecutionId>().map_err(|_| corrupt("id"))?,
                status: ExecutionStatus::parse(&status).ok_or_else(|| corrupt("status"))?,
                plan: serde_json::from_str(&plan).map_err(|e| corrupt(&format!("plan: {e}")))?,
                next_seq: max_seq.map_or(0, |s| u64::try_from(s).unwrap_or(0) + 1),
                speed: options.speed,
            });
        }
        Ok(out)
    }

    /// Stored events of an execution with `seq` above `after` (all when `None`), in order.
    pub async fn list_events(
        &self,
        id: ExecutionId,
        after: Option<u64>,
        limit: u32,
    ) -> Result<Vec<Event>, StoreError> {
        let rows: Vec<EventRow> = sqlx::query_as(
            "select seq, at, offset_ms, planned_ms, phase, payload from events
             where execution_id = ? and seq > ? order by seq limit ?",
        )
        .bind(id.to_string())
        .bind(after.map_or(-1, to_i64))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(seq, at, offset_ms, planned_ms, phase, payload)| {
                let corrupt = |what: &str| StoreError::Corrupt(format!("event {id}#{seq}: {what}"));
                Ok(Event {
                    execution_id: id,
                    seq: u64::try_from(seq).map_err(|_| corrupt("seq"))?,
                    at: OffsetDateTime::parse(&at, &Rfc3339).map_err(|_| corrupt("at"))?,
                    offset_ms: offset_ms.and_then(|v| u64::try_from(v).ok()),
                    planned_ms: planned_ms.and_then(|v| u64::try_from(v).ok()),
                    phase: phase.and_then(|v| usize::try_from(v).ok()),
                    kind: serde_json::from_str(&payload).map_err(|e| corrupt(&e.to_string()))?,
                })
            })
            .collect()
    }

    /// The state of one execution, if it exists.
    pub async fn execution_status(
        &self,
        id: ExecutionId,
    ) -> Result<Option<ExecutionStatus>, StoreError> {
        let status: Option<String> =
            sqlx::query_scalar("select status from executions where id = ?")
                .bind(id.to_string())
                .fetch_optional(&self.pool)
                .await?;
        status
            .map(|s| {
                ExecutionStatus::parse(&s)
                    .ok_or_else(|| StoreError::Corrupt(format!("status {s:?}")))
            })
            .transpose()
    }
}

impl Journal for Store {
    fn insert_execution<'a>(
        &'a self,
        execution: &'a NewExecution,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            Store::insert_execution(self, execution)
                .await
                .map_err(|e| e.to_string())
        })
    }

    fn append<'a>(
        &'a self,
        events: &'a [(Event, Option<ExecutionStatus>)],
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move { self.append_events(events).await.map_err(|e| e.to_string()) })
    }

    fn unfinished(&self) -> BoxFuture<'_, Result<Vec<Unfinished>, String>> {
        Box::pin(async move {
            self.unfinished_executions()
                .await
                .map_err(|e| e.to_string())
        })
    }
}
