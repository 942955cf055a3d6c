//! The shared queue of replicas on PostgreSQL (migration 0011,
//! docs/scale-out.md, "Queue"): executions submitted through any replica wait
//! in `execution_queue`, owned by nobody, and each replica claims the oldest
//! while it has a free slot. `for update skip locked` lets replicas claim at
//! once without waiting on each other's rows.

use std::sync::Arc;

use super::{Backend, Store, StoreError};
use crate::engine::{
    owner::{Owner, OwnerId},
    Channel, ExecutionId, NewExecution, Queued, RunOptions, StartedBy,
};

/// Notified when an execution joins the queue; its payload is unused.
pub const QUEUE_CHANNEL: &str = "tc_queue";

/// `(id, plan, definition, parameters, scenario_id, options, channel, actor, max seq)`.
type QueuedRow = (
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    String,
    Option<String>,
    Option<i64>,
);

impl Store {
    /// Moves `id`, submitted by `owner` and still queued, to the shared
    /// queue: nobody owns it until a replica claims it. `false` when it was
    /// no longer `owner`'s queued execution.
    pub async fn enqueue_execution(
        &self,
        id: ExecutionId,
        owner: OwnerId,
    ) -> Result<bool, StoreError> {
        let now = self.clock_ms().await?;
        let mut tx = self.pool.begin().await?;
        let released = sqlx::query(
            "update executions set owner_id = null
             where id = $1 and owner_id = $2 and status = 'queued'",
        )
        .bind(id.to_string())
        .bind(owner.to_string())
        .execute(&mut *tx)
        .await?;
        if released.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        sqlx::query("insert into execution_queue (execution_id, enqueued_ms) values ($1, $2)")
            .bind(id.to_string())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        if self.backend == Backend::Postgres {
            super::cluster::notify(&mut tx, QUEUE_CHANNEL, "").await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Takes the oldest queued execution (or `only` that one) for `owner`:
    /// out of the queue and owned by it, in one transaction. `None` when the
    /// queue is empty, or `only` is no longer in it.
    pub async fn claim_queued(
        &self,
        owner: &Owner,
        only: Option<ExecutionId>,
    ) -> Result<Option<Queued>, StoreError> {
        let now = self.clock_ms().await?;
        let mut tx = self.pool.begin().await?;
        let locking = self.dialect("", "for update skip locked");
        let taken: Option<String> = sqlx::query_scalar(&format!(
            "delete from execution_queue where execution_id = (
               select execution_id from execution_queue where $1 is null or execution_id = $1
               order by enqueued_ms, execution_id limit 1 {locking})
             returning execution_id"
        ))
        .bind(only.map(|id| id.to_string()))
        .fetch_optional(&mut *tx)
        .await?;
        let Some(taken) = taken else {
            tx.rollback().await?;
            return Ok(None);
        };
        super::owners::upsert_owner(&mut tx, owner, now).await?;
        sqlx::query("update executions set owner_id = $1 where id = $2")
            .bind(owner.id.to_string())
            .bind(&taken)
            .execute(&mut *tx)
            .await?;
        let row: QueuedRow = sqlx::query_as(
            "select e.id, e.plan, e.definition, e.parameters, e.scenario_id, e.options, e.started_by, e.actor,
                    (select max(seq) from events v where v.execution_id = e.id)
             from executions e where e.id = $1",
        )
        .bind(&taken)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        queued(row).map(Some)
    }

    /// How many executions wait in the shared queue.
    pub async fn count_queued(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("select count(*) from execution_queue")
            .fetch_one(&self.pool)
            .await?)
    }
}

fn queued(
    (id, plan, definition, parameters, scenario_id, options, channel, actor, max_seq): QueuedRow,
) -> Result<Queued, StoreError> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("queued execution {id}: {what}"));
    let channel = match channel.as_str() {
        "cli" => Channel::Cli,
        "ui" => Channel::Ui,
        "api" => Channel::Api,
        "schedule" => Channel::Schedule,
        _ => return Err(corrupt("channel")),
    };
    let options: RunOptions = serde_json::from_str(&options).map_err(|_| corrupt("options"))?;
    Ok(Queued {
        execution: NewExecution {
            id: id.parse().map_err(|_| corrupt("id"))?,
            plan: Arc::new(
                serde_json::from_str(&plan).map_err(|e| corrupt(&format!("plan: {e}")))?,
            ),
            definition,
            parameters: parameters
                .map(|p| serde_json::from_str(&p).map_err(|_| corrupt("parameters")))
                .transpose()?,
            scenario_id,
            options,
            started_by: StartedBy::new(
                channel,
                actor.unwrap_or_else(|| channel.as_str().to_owned()),
            ),
        },
        next_seq: max_seq.map_or(0, |s| u64::try_from(s).unwrap_or(0) + 1),
    })
}
