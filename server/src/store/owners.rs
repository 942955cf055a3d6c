//! Owners and their leases (migration 0003): which process may write an
//! execution's events, and which unfinished executions nobody runs any more.
//!
//! Lease times are unix milliseconds by this machine's clock (integers compare
//! exactly, unlike text times with trimmed fractions). An owner is gone when its
//! `lease_until` has passed, or when its row is gone (it ended its lease).

use app::api::{ExecutionStatus, OnOwnerLoss};

use super::{events::now_text, Placeholders, Store, StoreError};
use crate::engine::{
    owner::{Orphan, Owner, OwnerId},
    resume, ExecutionId, RunOptions, Unfinished,
};

/// `(id, scenario, status, owner_id, command, pid, host)` of an orphan.
type OrphanRow = (
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<String>,
);

/// Now, in unix milliseconds.
pub(super) fn now_ms() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(now.as_millis()).unwrap_or(i64::MAX)
}

fn lease_until(owner: &Owner, now: i64) -> i64 {
    now.saturating_add(i64::try_from(owner.lease.as_millis()).unwrap_or(i64::MAX))
}

/// `execute (pid 4242 on build-1)`.
fn label(command: &str, pid: i64, host: &str) -> String {
    format!("{command} (pid {pid} on {host})")
}

/// Registers `owner` (or extends its lease from `now`, [`Store::clock_ms`]) inside `tx`.
pub(super) async fn upsert_owner(
    tx: &mut super::Tx<'_>,
    owner: &Owner,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "insert into owners (id, command, host, pid, lease_until, created_at) values ($1, $2, $3, $4, $5, $6)
         on conflict (id) do update set lease_until = excluded.lease_until",
    )
    .bind(owner.id.to_string())
    .bind(&owner.command)
    .bind(&owner.host)
    .bind(i64::from(owner.pid))
    .bind(lease_until(owner, now))
    .bind(now_text())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Store {
    /// Now, in unix milliseconds, by the clock every owner's lease is kept
    /// in: the database's on PostgreSQL, so that replicas whose clocks
    /// disagree still agree on whose lease has run out (docs/scale-out.md,
    /// "Clock skew"); this machine's on SQLite, whose processes share it.
    pub async fn clock_ms(&self) -> Result<i64, StoreError> {
        match self.backend {
            super::Backend::Sqlite => Ok(now_ms()),
            super::Backend::Postgres => Ok(sqlx::query_scalar(
                "select cast(floor(extract(epoch from clock_timestamp()) * 1000) as bigint)",
            )
            .fetch_one(&self.pool)
            .await?),
        }
    }

    /// Extends `owner`'s lease (registering it if needed).
    pub async fn renew_lease(&self, owner: &Owner) -> Result<(), StoreError> {
        let now = self.clock_ms().await?;
        let mut tx = self.begin_write().await?;
        upsert_owner(&mut tx, owner, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Ends `owner`'s lease at once: what it still owns may be recovered.
    pub async fn release_owner(&self, owner: OwnerId) -> Result<(), StoreError> {
        sqlx::query("delete from owners where id = $1")
            .bind(owner.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Of `ids`, those `owner` does not own.
    pub async fn disowned_executions(
        &self,
        owner: OwnerId,
        ids: &[ExecutionId],
    ) -> Result<Vec<ExecutionId>, StoreError> {
        let mut lost = Vec::new();
        for chunk in ids.chunks(500) {
            // Numbered in bind order: the chunk's ids, then the owner.
            let mut placeholders = Placeholders::default();
            let sql = format!(
                "select id from executions where id in ({}) and owner_id is distinct from {}",
                placeholders.list(chunk.len()),
                placeholders.next()
            );
            let mut query = sqlx::query_scalar::<_, String>(&sql);
            for id in chunk {
                query = query.bind(id.to_string());
            }
            for id in query.bind(owner.to_string()).fetch_all(&self.pool).await? {
                lost.push(
                    id.parse()
                        .map_err(|_| StoreError::Corrupt(format!("execution id {id:?}")))?,
                );
            }
        }
        Ok(lost)
    }

    /// Of `ids`, those `owner` owns no longer belong to anyone: the next
    /// engine that looks for orphans recovers them.
    pub async fn give_up_executions(
        &self,
        owner: OwnerId,
        ids: &[ExecutionId],
    ) -> Result<(), StoreError> {
        for chunk in ids.chunks(500) {
            // Numbered in bind order: the owner, then the chunk's ids.
            let mut placeholders = Placeholders::default();
            let sql = format!(
                "update executions set owner_id = null where owner_id = {} and id in ({})",
                placeholders.next(),
                placeholders.list(chunk.len())
            );
            let mut query = sqlx::query(&sql).bind(owner.to_string());
            for id in chunk {
                query = query.bind(id.to_string());
            }
            query.execute(&self.pool).await?;
        }
        Ok(())
    }

    /// Unfinished executions whose owner is gone (lease run out, row gone, or
    /// none at all), oldest first. Also forgets owners gone a day ago that own
    /// nothing unfinished, so killed processes do not pile up.
    pub async fn orphaned_executions(&self) -> Result<Vec<Orphan>, StoreError> {
        let now = self.clock_ms().await?;
        sqlx::query(
            "delete from owners where lease_until < $1 and not exists
               (select 1 from executions e where e.owner_id = owners.id and e.status in ('queued', 'running', 'paused'))",
        )
        .bind(now.saturating_sub(24 * 3600 * 1000))
        .execute(&self.pool)
        .await?;
        let rows: Vec<OrphanRow> = sqlx::query_as(
            "select e.id, e.scenario_name, e.status, e.owner_id, o.command, o.pid, o.host
                 from executions e left join owners o on o.id = e.owner_id
                 where e.status in ('queued', 'running', 'paused')
                   and (o.id is null or o.lease_until <= $1)
                   and not exists (select 1 from execution_queue q where q.execution_id = e.id)
                 order by e.created_at",
        )
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(id, scenario, status, owner, command, pid, host)| {
                let corrupt = |what: &str| StoreError::Corrupt(format!("execution {id}: {what}"));
                Ok(Orphan {
                    id: id.parse().map_err(|_| corrupt("id"))?,
                    scenario,
                    status: ExecutionStatus::parse(&status).ok_or_else(|| corrupt("status"))?,
                    owner: owner
                        .map(|o| o.parse().map(OwnerId).map_err(|_| corrupt("owner")))
                        .transpose()?,
                    owner_label: match (command, pid, host) {
                        (Some(command), Some(pid), Some(host)) => Some(label(&command, pid, &host)),
                        _ => None,
                    },
                })
            })
            .collect()
    }

    /// Takes `id` over for `owner` if it is unfinished, still owned by
    /// `previous`, and `previous` is gone — all checked by one conditional
    /// update, so of two processes claiming at once exactly one wins. Returns
    /// the execution as it is now (its next `seq` read after the claim), or
    /// `None` when it was not taken.
    pub async fn claim_execution(
        &self,
        id: ExecutionId,
        previous: Option<OwnerId>,
        owner: &Owner,
    ) -> Result<Option<Unfinished>, StoreError> {
        let now = self.clock_ms().await?;
        let mut tx = self.begin_write().await?;
        upsert_owner(&mut tx, owner, now).await?;
        let claimed = sqlx::query(
            "update executions set owner_id = $1
             where id = $2 and status in ('queued', 'running', 'paused') and owner_id is not distinct from $3
               and not exists (select 1 from owners o where o.id = executions.owner_id and o.lease_until > $4)
               and not exists (select 1 from execution_queue q where q.execution_id = executions.id)",
        )
        .bind(owner.id.to_string())
        .bind(id.to_string())
        .bind(previous.map(|p| p.to_string()))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if claimed.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(None);
        }
        let (status, plan, options, max_seq): (String, String, String, Option<i64>) =
            sqlx::query_as(
                "select e.status, e.plan, e.options, (select max(seq) from events v where v.execution_id = e.id)
                 from executions e where e.id = $1",
            )
            .bind(id.to_string())
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        let corrupt = |what: &str| StoreError::Corrupt(format!("execution {id}: {what}"));
        let options: RunOptions = serde_json::from_str(&options).map_err(|_| corrupt("options"))?;
        // Read after the claim: nobody appends to it any more.
        let history = if options.on_owner_loss == OnOwnerLoss::Resume {
            self.list_events_of_kinds(id, resume::MILESTONES).await?
        } else {
            Vec::new()
        };
        Ok(Some(Unfinished {
            id,
            status: ExecutionStatus::parse(&status).ok_or_else(|| corrupt("status"))?,
            plan: serde_json::from_str(&plan).map_err(|e| corrupt(&format!("plan: {e}")))?,
            next_seq: max_seq.map_or(0, |s| u64::try_from(s).unwrap_or(0) + 1),
            options,
            history,
            previous_owner: None,
        }))
    }
}

#[cfg(test)]
mod tests {
    use std::{sync::Arc, time::Duration};

    use super::*;
    use crate::engine::{event::Event, event::EventKind, Channel, NewExecution, StartedBy};

    fn owner(lease: Duration) -> Owner {
        Owner {
            id: OwnerId::new(),
            command: "execute".into(),
            host: "build-1".into(),
            pid: 4242,
            lease,
        }
    }

    async fn submitted(store: &Store, owner: &Owner) -> ExecutionId {
        let plan = crate::report::testdata::input().record.plan;
        let id = ExecutionId::new();
        store
            .insert_execution(
                &NewExecution {
                    id,
                    plan: Arc::new(plan),
                    definition: String::new(),
                    parameters: None,
                    scenario_id: None,
                    options: RunOptions::default(),
                    started_by: StartedBy::new(Channel::Cli, "local:test"),
                },
                owner,
            )
            .await
            .unwrap();
        id
    }

    fn queued(id: ExecutionId, seq: u64) -> (Event, Option<ExecutionStatus>) {
        let event = Event {
            execution_id: id,
            seq,
            at: time::OffsetDateTime::now_utc(),
            offset_ms: None,
            planned_ms: None,
            phase: None,
            kind: EventKind::ExecutionQueued {
                scenario: "s".into(),
                category: None,
            },
        };
        (event, (seq == 0).then_some(ExecutionStatus::Queued))
    }

    #[tokio::test]
    async fn a_live_owners_execution_is_no_orphan_and_cannot_be_claimed() {
        let (_guard, store) = crate::store::testing::store().await;
        let live = owner(Duration::from_secs(15));
        let id = submitted(&store, &live).await;
        assert!(store.orphaned_executions().await.unwrap().is_empty());
        let other = owner(Duration::from_secs(15));
        assert!(store
            .claim_execution(id, Some(live.id), &other)
            .await
            .unwrap()
            .is_none());
    }

    #[tokio::test]
    async fn of_two_processes_claiming_an_orphan_at_once_exactly_one_gets_it() {
        let (_guard, database) = crate::store::testing::database().await;
        let store = Store::connect(&database).await.unwrap();
        let dead = owner(Duration::ZERO);
        let id = submitted(&store, &dead).await;
        store
            .append_events(dead.id, &[queued(id, 0)])
            .await
            .unwrap();
        let orphans = store.orphaned_executions().await.unwrap();
        assert_eq!(orphans.len(), 1);
        assert_eq!(
            orphans[0].owner_label.as_deref(),
            Some("execute (pid 4242 on build-1)")
        );
        // Two processes: two pools on the same database.
        let other = Store::connect(&database).await.unwrap();
        let (b, c) = (
            owner(Duration::from_secs(15)),
            owner(Duration::from_secs(15)),
        );
        let (by_b, by_c) = tokio::join!(
            store.claim_execution(id, Some(dead.id), &b),
            other.claim_execution(id, Some(dead.id), &c)
        );
        let (by_b, by_c) = (by_b.unwrap(), by_c.unwrap());
        assert_eq!(by_b.is_some() as u8 + by_c.is_some() as u8, 1);
        let claimed = by_b.or(by_c).unwrap();
        assert_eq!(
            claimed.next_seq, 1,
            "numbering goes on after the stored event"
        );
        assert!(store.orphaned_executions().await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn events_of_an_execution_another_owner_took_are_refused_and_others_kept() {
        let (_guard, store) = crate::store::testing::store().await;
        let a = owner(Duration::ZERO);
        let (lost, kept) = (submitted(&store, &a).await, submitted(&store, &a).await);
        let b = owner(Duration::from_secs(15));
        assert!(store
            .claim_execution(lost, Some(a.id), &b)
            .await
            .unwrap()
            .is_some());
        let refused = store
            .append_events(a.id, &[queued(lost, 0), queued(kept, 0)])
            .await
            .unwrap();
        assert_eq!(refused, [lost]);
        assert!(store.list_events(lost, None, 10).await.unwrap().is_empty());
        assert_eq!(store.list_events(kept, None, 10).await.unwrap().len(), 1);
        assert_eq!(
            store
                .disowned_executions(a.id, &[lost, kept])
                .await
                .unwrap(),
            [lost]
        );
    }

    #[tokio::test]
    async fn executions_from_before_owners_and_released_owners_are_orphans() {
        let (_guard, store) = crate::store::testing::store().await;
        let old = ExecutionId::new();
        crate::store::executions::tests::insert_execution(&store, &old.to_string(), "running")
            .await;
        let a = owner(Duration::from_secs(15));
        let id = submitted(&store, &a).await;
        assert_eq!(store.orphaned_executions().await.unwrap().len(), 1);
        store.release_owner(a.id).await.unwrap();
        let mut orphans: Vec<ExecutionId> = store
            .orphaned_executions()
            .await
            .unwrap()
            .into_iter()
            .map(|o| o.id)
            .collect();
        orphans.sort();
        let mut expected = vec![old, id];
        expected.sort();
        assert_eq!(orphans, expected);
    }
}
