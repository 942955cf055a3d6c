//! What replicas on one PostgreSQL database tell each other
//! (docs/scale-out.md): `NOTIFY` on two channels, delivered at commit to
//! every replica that listens ([`crate::cluster`] does).

use app::api::event::ControlCommand;
use serde::{Deserialize, Serialize};

use super::{Backend, Store, StoreError};
use crate::engine::{owner::OwnerId, ExecutionId};

/// `"<execution> <first seq> <last seq> <owner>"`: a batch of events stored.
pub const EVENTS_CHANNEL: &str = "tc_events";
/// A [`ControlRequest`] as JSON, for the execution's owner.
pub const CONTROL_CHANNEL: &str = "tc_control";

/// A control command sent through a replica that does not run the execution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ControlRequest {
    /// The replica that owns the execution; the others ignore the request.
    pub owner: OwnerId,
    /// The execution.
    pub execution_id: ExecutionId,
    /// Pause, resume, skip or stop.
    pub command: ControlCommand,
    /// Who sent it, for its `control_received` event.
    pub by: Option<String>,
}

/// An execution's owner as the store knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ownership {
    /// The owner.
    pub owner: OwnerId,
    /// Whether its lease still runs.
    pub live: bool,
}

/// `NOTIFY channel, payload` on `connection`: in a transaction, delivered at
/// its commit. Written as a `select` whose one column `Any` can decode
/// (`pg_notify` returns `void`).
pub(super) async fn notify(
    connection: &mut sqlx::AnyConnection,
    channel: &str,
    payload: &str,
) -> Result<(), StoreError> {
    sqlx::query("select count(*) from (select pg_notify($1, $2)) as sent")
        .bind(channel)
        .bind(payload)
        .execute(connection)
        .await?;
    Ok(())
}

impl Store {
    /// Hands `request` to the owner of its execution, if that owner listens
    /// (a replica on the same PostgreSQL database). `false` on SQLite, where
    /// nothing relays commands between processes.
    pub async fn send_control(&self, request: &ControlRequest) -> Result<bool, StoreError> {
        if self.backend != Backend::Postgres {
            return Ok(false);
        }
        let payload =
            serde_json::to_string(request).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        notify(&mut *self.pool.acquire().await?, CONTROL_CHANNEL, &payload).await?;
        Ok(true)
    }

    /// Who owns `id` now, and whether that owner's lease still runs.
    pub async fn execution_owner(&self, id: ExecutionId) -> Result<Option<Ownership>, StoreError> {
        let row: Option<(Option<String>, Option<i64>)> = sqlx::query_as(
            "select e.owner_id, o.lease_until from executions e
             left join owners o on o.id = e.owner_id where e.id = $1",
        )
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await?;
        let now = self.clock_ms().await?;
        let Some((Some(owner), lease_until)) = row else {
            return Ok(None);
        };
        let owner = owner
            .parse()
            .map(OwnerId)
            .map_err(|_| StoreError::Corrupt(format!("execution {id}: owner {owner:?}")))?;
        Ok(Some(Ownership {
            owner,
            live: lease_until.is_some_and(|until| until > now),
        }))
    }
}
