//! Suites: a row per suite and one per member in run order. A member's
//! execution is an ordinary `executions` row, joined here for its state; the
//! suite's own state is written only by its driver (and by start-up recovery).

use app::api::{
    suite::{SuiteMode, SuiteStatus},
    ExecutionStatus,
};
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

use super::{Store, StoreError};
use crate::engine::StartedBy;

fn now() -> String {
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_default()
}

/// A suite to store, with its members in run order.
#[derive(Debug, Clone)]
pub struct NewSuite<'a> {
    /// Its id.
    pub id: &'a str,
    /// Order mode.
    pub mode: SuiteMode,
    /// Whether members run side by side.
    pub parallel: bool,
    /// Random mode: the shuffle's seed.
    pub seed: Option<u64>,
    /// Options every member runs with (JSON).
    pub options: &'a serde_json::Value,
    /// Who asked, and how.
    pub started_by: &'a StartedBy,
    /// `(execution id, scenario name)` in run order.
    pub members: &'a [(String, String)],
    /// The process that drives it (its engine's owner id).
    pub owner_id: &'a str,
}

/// A stored suite with its members.
#[derive(Debug, Clone)]
pub struct SuiteRecord {
    /// Id.
    pub id: String,
    /// Order mode.
    pub mode: SuiteMode,
    /// Whether members run side by side.
    pub parallel: bool,
    /// Random mode: the seed.
    pub seed: Option<u64>,
    /// Options JSON.
    pub options: serde_json::Value,
    /// State.
    pub status: SuiteStatus,
    /// Who asked: the actor, or the channel for suites stored before teams.
    pub started_by: String,
    /// Created (RFC 3339).
    pub created_at: String,
    /// Ended (RFC 3339).
    pub finished_at: Option<String>,
    /// Members in run order.
    pub members: Vec<MemberRecord>,
}

/// One member of a stored suite.
#[derive(Debug, Clone)]
pub struct MemberRecord {
    /// Place in the run order.
    pub position: usize,
    /// Its (reserved) execution id.
    pub execution_id: String,
    /// Scenario name.
    pub scenario: String,
    /// Its execution's state; `None` until it is submitted.
    pub execution_status: Option<ExecutionStatus>,
}

type SuiteRow = (
    String,
    String,
    i64,
    Option<i64>,
    String,
    String,
    String,
    String,
    Option<String>,
);

// A seed is any u64; SQLite integers are i64, so the bits are stored as they are.
#[allow(clippy::cast_possible_wrap)]
fn seed_to_db(seed: u64) -> i64 {
    seed as i64
}

#[allow(clippy::cast_sign_loss)]
fn seed_from_db(seed: i64) -> u64 {
    seed as u64
}

impl Store {
    /// Stores a new suite (state `running`) and its members, in one transaction.
    pub async fn insert_suite(&self, suite: &NewSuite<'_>) -> Result<(), StoreError> {
        let created_at = now();
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "insert into suites (id, mode, parallel, seed, options, status, started_by, actor, created_at, owner_id)
             values (?, ?, ?, ?, ?, 'running', ?, ?, ?, ?)",
        )
        .bind(suite.id)
        .bind(suite.mode.as_str())
        .bind(i64::from(suite.parallel))
        .bind(suite.seed.map(seed_to_db))
        .bind(suite.options.to_string())
        .bind(suite.started_by.channel.as_str())
        .bind(&suite.started_by.actor)
        .bind(&created_at)
        .bind(suite.owner_id)
        .execute(&mut *tx)
        .await?;
        for (position, (execution_id, scenario)) in suite.members.iter().enumerate() {
            sqlx::query(
                "insert into suite_members (suite_id, position, execution_id, scenario, created_at)
                 values (?, ?, ?, ?, ?)",
            )
            .bind(suite.id)
            .bind(i64::try_from(position).unwrap_or(i64::MAX))
            .bind(execution_id)
            .bind(scenario)
            .bind(&created_at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// One suite with its members and their executions' states.
    pub async fn fetch_suite(&self, id: &str) -> Result<Option<SuiteRecord>, StoreError> {
        let row: Option<SuiteRow> = sqlx::query_as(
            "select id, mode, parallel, seed, options, status, coalesce(actor, started_by), created_at, finished_at
             from suites where id = ?",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(row) => Ok(Some(self.suite_record(row).await?)),
            None => Ok(None),
        }
    }

    /// The `limit` most recent suites, newest first.
    pub async fn list_suites(&self, limit: u32) -> Result<Vec<SuiteRecord>, StoreError> {
        let rows: Vec<SuiteRow> = sqlx::query_as(
            "select id, mode, parallel, seed, options, status, coalesce(actor, started_by), created_at, finished_at
             from suites order by created_at desc, id limit ?",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        let mut suites = Vec::with_capacity(rows.len());
        for row in rows {
            suites.push(self.suite_record(row).await?);
        }
        Ok(suites)
    }

    async fn suite_record(&self, row: SuiteRow) -> Result<SuiteRecord, StoreError> {
        let (id, mode, parallel, seed, options, status, started_by, created_at, finished_at) = row;
        let corrupt = |what: &str| StoreError::Corrupt(format!("suite {id}: {what}"));
        let mode = SuiteMode::parse(&mode).ok_or_else(|| corrupt(&format!("mode {mode:?}")))?;
        let status =
            SuiteStatus::parse(&status).ok_or_else(|| corrupt(&format!("status {status:?}")))?;
        let options = serde_json::from_str(&options).map_err(|e| corrupt(&e.to_string()))?;
        let rows: Vec<(i64, String, String, Option<String>)> = sqlx::query_as(
            "select m.position, m.execution_id, m.scenario, e.status
             from suite_members m left join executions e on e.id = m.execution_id
             where m.suite_id = ? order by m.position",
        )
        .bind(&id)
        .fetch_all(&self.pool)
        .await?;
        let mut members = Vec::with_capacity(rows.len());
        for (position, execution_id, scenario, execution_status) in rows {
            let execution_status = match execution_status {
                Some(text) => Some(
                    ExecutionStatus::parse(&text)
                        .ok_or_else(|| corrupt(&format!("member status {text:?}")))?,
                ),
                None => None,
            };
            members.push(MemberRecord {
                position: usize::try_from(position).unwrap_or(0),
                execution_id,
                scenario,
                execution_status,
            });
        }
        Ok(SuiteRecord {
            id,
            mode,
            parallel: parallel != 0,
            seed: seed.map(seed_from_db),
            options,
            status,
            started_by,
            created_at,
            finished_at,
            members,
        })
    }

    /// Ends a running suite with `status`; a suite that already ended is left as it is.
    pub async fn mark_suite_finished(
        &self,
        id: &str,
        status: SuiteStatus,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "update suites set status = ?, finished_at = ? where id = ? and status = 'running'",
        )
        .bind(status.as_str())
        .bind(now())
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Suites left `running` by a process that is gone (its lease ran out, or
    /// the suite has no owner) can no longer submit their remaining members;
    /// they end `interrupted`. A suite a live process drives (a CLI suite beside
    /// a starting `serve`) is left alone. Returns how many ended.
    pub async fn mark_unfinished_suites_interrupted(&self) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "update suites set status = 'interrupted', finished_at = ?
               where status = 'running'
                 and not exists (select 1 from owners o
                                   where o.id = suites.owner_id and o.lease_until > ?)",
        )
        .bind(now())
        .bind(super::owners::now_ms())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// The suite an execution ran in, if any.
    pub async fn fetch_suite_of_execution(
        &self,
        execution_id: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("select suite_id from suite_members where execution_id = ?")
                .bind(execution_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Channel;

    async fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db")).await.unwrap();
        (dir, store)
    }

    #[tokio::test]
    async fn a_suite_keeps_its_members_in_order_and_joins_their_executions() {
        let (_dir, store) = store().await;
        let members = vec![
            ("e-b".to_owned(), "second-in-list".to_owned()),
            ("e-a".to_owned(), "first-in-list".to_owned()),
        ];
        store
            .insert_suite(&NewSuite {
                id: "s1",
                mode: SuiteMode::Random,
                parallel: false,
                seed: Some(u64::MAX - 1),
                options: &serde_json::json!({"speed": 60.0}),
                owner_id: "gone",
                started_by: &StartedBy::new(Channel::Api, "local:test"),
                members: &members,
            })
            .await
            .unwrap();
        super::super::executions::tests::insert_execution(&store, "e-b", "completed").await;
        let suite = store.fetch_suite("s1").await.unwrap().unwrap();
        assert_eq!(suite.status, SuiteStatus::Running);
        assert_eq!(suite.seed, Some(u64::MAX - 1), "every u64 seed round-trips");
        let order: Vec<_> = suite.members.iter().map(|m| m.scenario.as_str()).collect();
        assert_eq!(order, ["second-in-list", "first-in-list"]);
        assert_eq!(
            suite.members[0].execution_status,
            Some(ExecutionStatus::Completed)
        );
        assert_eq!(suite.members[1].execution_status, None, "not submitted yet");
        assert_eq!(
            store.fetch_suite_of_execution("e-a").await.unwrap(),
            Some("s1".to_owned())
        );
        assert_eq!(store.fetch_suite_of_execution("other").await.unwrap(), None);

        store
            .mark_suite_finished("s1", SuiteStatus::Failed)
            .await
            .unwrap();
        // Only a running suite changes: recovery leaves an ended one alone.
        assert_eq!(store.mark_unfinished_suites_interrupted().await.unwrap(), 0);
        let suite = store.fetch_suite("s1").await.unwrap().unwrap();
        assert_eq!(suite.status, SuiteStatus::Failed);
        assert!(suite.finished_at.is_some());
        assert_eq!(store.list_suites(10).await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn recovery_interrupts_suites_left_running() {
        let (_dir, store) = store().await;
        store
            .insert_suite(&NewSuite {
                id: "s1",
                mode: SuiteMode::Sequential,
                parallel: true,
                seed: None,
                options: &serde_json::json!({}),
                started_by: &StartedBy::new(Channel::Cli, "local:test"),
                members: &[("e1".to_owned(), "a".to_owned())],
                owner_id: "gone",
            })
            .await
            .unwrap();
        assert_eq!(store.mark_unfinished_suites_interrupted().await.unwrap(), 1);
        let suite = store.fetch_suite("s1").await.unwrap().unwrap();
        assert_eq!(suite.status, SuiteStatus::Interrupted);
        assert!(suite.parallel);
    }

    #[tokio::test]
    async fn a_suite_whose_owner_is_alive_is_left_running_and_ended_once_its_lease_runs_out() {
        use crate::engine::owner::{Owner, OwnerId};
        let (_dir, store) = store().await;
        let mut owner = Owner {
            id: OwnerId::new(),
            command: "execute".into(),
            host: "here".into(),
            pid: 1,
            lease: std::time::Duration::from_secs(60),
        };
        store.renew_lease(&owner).await.unwrap();
        let owner_id = owner.id.to_string();
        store
            .insert_suite(&NewSuite {
                id: "live",
                mode: SuiteMode::Sequential,
                parallel: false,
                seed: None,
                options: &serde_json::json!({}),
                started_by: &StartedBy::new(Channel::Cli, "local:test"),
                members: &[("e1".to_owned(), "a".to_owned())],
                owner_id: &owner_id,
            })
            .await
            .unwrap();
        // A `serve` starting beside the live CLI suite leaves it alone.
        assert_eq!(store.mark_unfinished_suites_interrupted().await.unwrap(), 0);
        let suite = store.fetch_suite("live").await.unwrap().unwrap();
        assert_eq!(suite.status, SuiteStatus::Running);
        // Its owner dies: the lease runs out, and the next look ends it.
        owner.lease = std::time::Duration::ZERO;
        store.renew_lease(&owner).await.unwrap();
        assert_eq!(store.mark_unfinished_suites_interrupted().await.unwrap(), 1);
        let suite = store.fetch_suite("live").await.unwrap().unwrap();
        assert_eq!(suite.status, SuiteStatus::Interrupted);
    }
}
