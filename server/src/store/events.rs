//! Executions as the engine writes them: insertion and the append-only event
//! log with state changes, both only by the execution's owner (`owners.rs`).

use app::api::ExecutionStatus;
use futures::future::BoxFuture;
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

use super::{Placeholders, Store, StoreError};
use crate::engine::{
    event::Event,
    owner::{Orphan, Owner, OwnerId},
    ExecutionId, Journal, NewExecution, Queued, Unfinished,
};

pub(super) fn now_text() -> String {
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_default()
}

fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// Inserts one event if `$9` still owns its execution. SQLite's first write
/// takes the database lock, so a claim is wholly before or after the batch;
/// PostgreSQL locks the execution's row instead (`for share`, held to the
/// commit), which a claim's `update` waits for.
const APPEND_SQLITE: &str =
    "insert into events (execution_id, seq, at, offset_ms, planned_ms, kind, phase, payload)
     select $1, $2, $3, $4, $5, $6, $7, $8
     where exists (select 1 from executions where id = $1 and owner_id = $9)";
const APPEND_POSTGRES: &str =
    "insert into events (execution_id, seq, at, offset_ms, planned_ms, kind, phase, payload)
     select $1, $2, $3, $4, $5, $6, $7, $8
     where exists (select 1 from executions where id = $1 and owner_id = $9 for share)";

/// `(seq, at, offset_ms, planned_ms, phase, payload)` of a stored event.
type EventRow = (i64, String, Option<i64>, Option<i64>, Option<i64>, String);

impl Store {
    /// Stores a newly submitted execution owned by `owner` (registered, with a
    /// fresh lease, in the same transaction).
    pub async fn insert_execution(
        &self,
        execution: &NewExecution,
        owner: &Owner,
    ) -> Result<(), StoreError> {
        let plan = serde_json::to_string(execution.plan.as_ref())
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let options = serde_json::to_string(&execution.options)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let parameters = execution.parameters.as_ref().map(|p| p.to_string());
        let now = self.clock_ms().await?;
        let mut tx = self.begin_write().await?;
        super::owners::upsert_owner(&mut tx, owner, now).await?;
        sqlx::query(
            "insert into executions (id, scenario_id, scenario_name, definition, parameters, plan, options, status, started_by, actor, created_at, owner_id)
             values ($1, (select id from scenarios where id = $2), $3, $4, $5, $6, $7, 'queued', $8, $9, $10, $11)",
        )
        .bind(execution.id.to_string())
        .bind(&execution.scenario_id)
        .bind(&execution.plan.metadata.name)
        .bind(&execution.definition)
        .bind(parameters)
        .bind(plan)
        .bind(options)
        .bind(execution.started_by.channel.as_str())
        .bind(&execution.started_by.actor)
        .bind(now_text())
        .bind(owner.id.to_string())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Appends numbered events in one transaction, updating the execution's
    /// state (and start/end times) where an event changed it — but only for
    /// executions `owner` owns. Returns the executions whose events were refused
    /// because another owner has them now.
    ///
    /// Each insert checks the owner itself, so the transaction's first
    /// statement is a write and holds the write lock: a claim by another
    /// process is either before the whole batch or after it.
    pub async fn append_events(
        &self,
        owner: OwnerId,
        events: &[(Event, Option<ExecutionStatus>)],
    ) -> Result<Vec<ExecutionId>, StoreError> {
        let owner = owner.to_string();
        let mut refused: Vec<ExecutionId> = Vec::new();
        let mut tx = self.pool.begin().await?;
        for (event, status) in events {
            if refused.contains(&event.execution_id) {
                continue;
            }
            let payload = serde_json::to_value(&event.kind)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let at = event.at.format(&Rfc3339).unwrap_or_default();
            let inserted = sqlx::query(self.dialect(APPEND_SQLITE, APPEND_POSTGRES))
                .bind(event.execution_id.to_string())
                .bind(to_i64(event.seq))
                .bind(&at)
                .bind(event.offset_ms.map(to_i64))
                .bind(event.planned_ms.map(to_i64))
                .bind(event.kind.name())
                .bind(event.phase.map(|p| to_i64(p as u64)))
                .bind(payload.to_string())
                .bind(&owner)
                .execute(&mut *tx)
                .await?;
            if inserted.rows_affected() == 0 {
                refused.push(event.execution_id);
                continue;
            }
            if let Some(status) = status {
                let verdict = match &event.kind {
                    crate::engine::event::EventKind::ExecutionFinished { verdict, .. } => Some(
                        serde_json::to_string(verdict)
                            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    ),
                    _ => None,
                };
                sqlx::query(
                    "update executions set status = $1,
                       started_at = case when $2 = 'running' and started_at is null then $3 else started_at end,
                       finished_at = case when $4 then $5 else finished_at end,
                       verdict = coalesce($6, verdict)
                     where id = $7",
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
        if self.backend == super::Backend::Postgres {
            // Other replicas' live viewers learn of the batch at commit
            // (docs/scale-out.md, "Live events"): ids and seqs only, the
            // events themselves are read from the store.
            for (execution, first, last) in stored_ranges(events, &refused) {
                let payload = format!("{execution} {first} {last} {owner}");
                super::cluster::notify(&mut tx, super::cluster::EVENTS_CHANNEL, &payload).await?;
            }
        }
        tx.commit().await?;
        Ok(refused)
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
             where execution_id = $1 and seq > $2 order by seq limit $3",
        )
        .bind(id.to_string())
        .bind(after.map_or(-1, to_i64))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(|row| event_of(id, row)).collect()
    }

    /// The stored events of an execution of the given kinds, in order: a
    /// resumed run's milestones (`engine::resume::MILESTONES`) without the
    /// checks, slots and effects that make up most of a long run.
    pub async fn list_events_of_kinds(
        &self,
        id: ExecutionId,
        kinds: &[&'static str],
    ) -> Result<Vec<Event>, StoreError> {
        let sql = format!(
            "select seq, at, offset_ms, planned_ms, phase, payload from events
             where execution_id = $1 and kind in ({}) order by seq",
            Placeholders(1).list(kinds.len())
        );
        let mut query = sqlx::query_as::<_, EventRow>(&sql).bind(id.to_string());
        for kind in kinds {
            query = query.bind(*kind);
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.into_iter().map(|row| event_of(id, row)).collect()
    }

    /// The state of one execution, if it exists.
    pub async fn execution_status(
        &self,
        id: ExecutionId,
    ) -> Result<Option<ExecutionStatus>, StoreError> {
        let status: Option<String> =
            sqlx::query_scalar("select status from executions where id = $1")
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

/// Per execution whose events were stored, its first and last `seq` in the batch.
fn stored_ranges(
    events: &[(Event, Option<ExecutionStatus>)],
    refused: &[ExecutionId],
) -> Vec<(ExecutionId, u64, u64)> {
    let mut ranges: Vec<(ExecutionId, u64, u64)> = Vec::new();
    for (event, _) in events {
        if refused.contains(&event.execution_id) {
            continue;
        }
        match ranges.iter_mut().find(|(id, ..)| *id == event.execution_id) {
            Some(range) => {
                range.1 = range.1.min(event.seq);
                range.2 = range.2.max(event.seq);
            }
            None => ranges.push((event.execution_id, event.seq, event.seq)),
        }
    }
    ranges
}

impl Journal for Store {
    fn insert_execution<'a>(
        &'a self,
        execution: &'a NewExecution,
        owner: &'a Owner,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            Store::insert_execution(self, execution, owner)
                .await
                .map_err(|e| e.to_string())
        })
    }

    fn append<'a>(
        &'a self,
        owner: OwnerId,
        events: &'a [(Event, Option<ExecutionStatus>)],
    ) -> BoxFuture<'a, Result<Vec<ExecutionId>, String>> {
        Box::pin(async move {
            self.append_events(owner, events)
                .await
                .map_err(|e| e.to_string())
        })
    }

    fn renew_lease<'a>(&'a self, owner: &'a Owner) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            Store::renew_lease(self, owner)
                .await
                .map_err(|e| e.to_string())
        })
    }

    fn release(&self, owner: OwnerId) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async move { self.release_owner(owner).await.map_err(|e| e.to_string()) })
    }

    fn disowned<'a>(
        &'a self,
        owner: OwnerId,
        ids: &'a [ExecutionId],
    ) -> BoxFuture<'a, Result<Vec<ExecutionId>, String>> {
        Box::pin(async move {
            self.disowned_executions(owner, ids)
                .await
                .map_err(|e| e.to_string())
        })
    }

    fn give_up<'a>(
        &'a self,
        owner: OwnerId,
        ids: &'a [ExecutionId],
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            self.give_up_executions(owner, ids)
                .await
                .map_err(|e| e.to_string())
        })
    }

    fn enqueue(&self, id: ExecutionId, owner: OwnerId) -> BoxFuture<'_, Result<bool, String>> {
        Box::pin(async move {
            self.enqueue_execution(id, owner)
                .await
                .map_err(|e| e.to_string())
        })
    }

    fn claim_queued<'a>(
        &'a self,
        owner: &'a Owner,
        only: Option<ExecutionId>,
    ) -> BoxFuture<'a, Result<Option<Queued>, String>> {
        Box::pin(async move {
            Store::claim_queued(self, owner, only)
                .await
                .map_err(|e| e.to_string())
        })
    }

    fn queue_len(&self) -> BoxFuture<'_, Result<usize, String>> {
        Box::pin(async move {
            self.count_queued()
                .await
                .map(|n| usize::try_from(n).unwrap_or(usize::MAX))
                .map_err(|e| e.to_string())
        })
    }

    fn orphaned(&self) -> BoxFuture<'_, Result<Vec<Orphan>, String>> {
        Box::pin(async move { self.orphaned_executions().await.map_err(|e| e.to_string()) })
    }

    fn claim<'a>(
        &'a self,
        id: ExecutionId,
        previous: Option<OwnerId>,
        owner: &'a Owner,
    ) -> BoxFuture<'a, Result<Option<Unfinished>, String>> {
        Box::pin(async move {
            self.claim_execution(id, previous, owner)
                .await
                .map_err(|e| e.to_string())
        })
    }
}

/// One stored event of execution `id`.
fn event_of(
    id: ExecutionId,
    (seq, at, offset_ms, planned_ms, phase, payload): EventRow,
) -> Result<Event, StoreError> {
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
}
