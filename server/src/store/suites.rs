//! Suites: a row per suite and one per member in run order. A member's
//! execution is an ordinary `executions` row, joined here for its state; the
//! suite's own state is written only by its driver (and by start-up recovery).

use app::api::{
    suite::{MemberOutcome, OrchestrationRef, SuiteMode, SuiteStatus},
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
    /// The members in run order.
    pub members: &'a [NewMember],
    /// The process that drives it (its engine's owner id).
    pub owner_id: &'a str,
    /// The orchestration it runs, if it is an orchestration's run.
    pub orchestration: Option<&'a OrchestrationRef>,
}

/// One member to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMember {
    /// Its reserved execution id.
    pub execution_id: String,
    /// Its scenario's name.
    pub scenario: String,
    /// An orchestration's run: its step's name.
    pub step: Option<String>,
    /// An orchestration's run: its iteration, from 1.
    pub iteration: Option<u32>,
}

impl NewMember {
    /// A plain suite's member.
    pub fn new(execution_id: impl Into<String>, scenario: impl Into<String>) -> Self {
        Self {
            execution_id: execution_id.into(),
            scenario: scenario.into(),
            step: None,
            iteration: None,
        }
    }
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
    /// The orchestration it runs, if it is an orchestration's run.
    pub orchestration: Option<OrchestrationRef>,
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
    /// An orchestration's run: its step's name.
    pub step: Option<String>,
    /// An orchestration's run: its iteration, from 1.
    pub iteration: Option<u32>,
    /// How the suite ended it, when not by itself.
    pub outcome: Option<MemberOutcome>,
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
    Option<String>,
    Option<i64>,
    Option<String>,
);

type MemberRow = (
    i64,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<String>,
);

const SUITE_COLUMNS: &str = "id, mode, parallel, seed, options, status, coalesce(actor, started_by), created_at, finished_at, orchestration_id, orchestration_version, orchestration_name";

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
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "insert into suites (id, mode, parallel, seed, options, status, started_by, actor, created_at, owner_id,
                                 orchestration_id, orchestration_version, orchestration_name)
             values ($1, $2, $3, $4, $5, 'running', $6, $7, $8, $9, $10, $11, $12)",
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
        .bind(suite.orchestration.and_then(|o| o.id.as_deref()))
        .bind(suite.orchestration.and_then(|o| o.version))
        .bind(suite.orchestration.map(|o| o.name.as_str()))
        .execute(&mut *tx)
        .await?;
        for (position, member) in suite.members.iter().enumerate() {
            sqlx::query(
                "insert into suite_members (suite_id, position, execution_id, scenario, created_at, step, iteration)
                 values ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(suite.id)
            .bind(i64::try_from(position).unwrap_or(i64::MAX))
            .bind(&member.execution_id)
            .bind(&member.scenario)
            .bind(&created_at)
            .bind(&member.step)
            .bind(member.iteration.map(i64::from))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// One suite with its members and their executions' states.
    pub async fn fetch_suite(&self, id: &str) -> Result<Option<SuiteRecord>, StoreError> {
        let row: Option<SuiteRow> =
            sqlx::query_as(&format!("select {SUITE_COLUMNS} from suites where id = $1"))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        match row {
            Some(row) => Ok(Some(self.suite_record(row).await?)),
            None => Ok(None),
        }
    }

    /// The `limit` most recent suites, newest first; only the runs of
    /// orchestration `orchestration` when given.
    pub async fn list_suites(
        &self,
        limit: u32,
        orchestration: Option<&str>,
    ) -> Result<Vec<SuiteRecord>, StoreError> {
        let rows: Vec<SuiteRow> = sqlx::query_as(&format!(
            "select {SUITE_COLUMNS} from suites
             where $1 is null or orchestration_id = $2
             order by created_at desc, id limit $3"
        ))
        .bind(orchestration)
        .bind(orchestration)
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
        let (
            id,
            mode,
            parallel,
            seed,
            options,
            status,
            started_by,
            created_at,
            finished_at,
            orchestration_id,
            orchestration_version,
            orchestration_name,
        ) = row;
        let corrupt = |what: &str| StoreError::Corrupt(format!("suite {id}: {what}"));
        let mode = SuiteMode::parse(&mode).ok_or_else(|| corrupt(&format!("mode {mode:?}")))?;
        let status =
            SuiteStatus::parse(&status).ok_or_else(|| corrupt(&format!("status {status:?}")))?;
        let options = serde_json::from_str(&options).map_err(|e| corrupt(&e.to_string()))?;
        let rows: Vec<MemberRow> = sqlx::query_as(
            "select m.position, m.execution_id, m.scenario, e.status, m.step, m.iteration, m.outcome
             from suite_members m left join executions e on e.id = m.execution_id
             where m.suite_id = $1 order by m.position",
        )
        .bind(&id)
        .fetch_all(&self.pool)
        .await?;
        let mut members = Vec::with_capacity(rows.len());
        for (position, execution_id, scenario, execution_status, step, iteration, outcome) in rows {
            let outcome = match outcome {
                Some(text) => Some(
                    MemberOutcome::parse(&text)
                        .ok_or_else(|| corrupt(&format!("member outcome {text:?}")))?,
                ),
                None => None,
            };
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
                step,
                iteration: iteration.and_then(|i| u32::try_from(i).ok()),
                outcome,
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
            orchestration: orchestration_name.map(|name| OrchestrationRef {
                id: orchestration_id,
                version: orchestration_version,
                name,
            }),
        })
    }

    /// The `limit` newest orchestration runs' ids and states, newest first.
    pub async fn list_orchestration_runs(
        &self,
        limit: u32,
    ) -> Result<Vec<(String, SuiteStatus)>, StoreError> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "select id, status from suites where orchestration_name is not null
             order by created_at desc, id limit $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(id, status)| {
                let parsed = SuiteStatus::parse(&status)
                    .ok_or_else(|| StoreError::Corrupt(format!("suite {id}: status {status:?}")))?;
                Ok((id, parsed))
            })
            .collect()
    }

    /// Moves a suite between `running` and `paused`; false when it was not in `from`.
    pub async fn set_suite_paused(&self, id: &str, paused: bool) -> Result<bool, StoreError> {
        let (from, to) = if paused {
            ("running", "paused")
        } else {
            ("paused", "running")
        };
        let done = sqlx::query("update suites set status = $1 where id = $2 and status = $3")
            .bind(to)
            .bind(id)
            .bind(from)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records how the suite ended one of its members.
    pub async fn set_member_outcome(
        &self,
        suite_id: &str,
        position: usize,
        outcome: MemberOutcome,
    ) -> Result<(), StoreError> {
        sqlx::query("update suite_members set outcome = $1 where suite_id = $2 and position = $3")
            .bind(outcome.as_str())
            .bind(suite_id)
            .bind(i64::try_from(position).unwrap_or(i64::MAX))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Ends a running suite with `status`; a suite that already ended is left as it is.
    pub async fn mark_suite_finished(
        &self,
        id: &str,
        status: SuiteStatus,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "update suites set status = $1, finished_at = $2 where id = $3 and status in ('running', 'paused')",
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
            "update suites set status = 'interrupted', finished_at = $1
               where status in ('running', 'paused')
                 and not exists (select 1 from owners o
                                   where o.id = suites.owner_id and o.lease_until > $2)",
        )
        .bind(now())
        .bind(self.clock_ms().await?)
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
            sqlx::query_scalar("select suite_id from suite_members where execution_id = $1")
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

    async fn store() -> (crate::store::testing::Guard, Store) {
        let (dir, store) = crate::store::testing::store().await;
        (dir, store)
    }

    #[tokio::test]
    async fn a_suite_keeps_its_members_in_order_and_joins_their_executions() {
        let (_dir, store) = store().await;
        let members = vec![
            NewMember::new("e-b", "second-in-list"),
            NewMember {
                step: Some("chaos".to_owned()),
                iteration: Some(2),
                ..NewMember::new("e-a", "first-in-list")
            },
        ];
        let orchestration = OrchestrationRef {
            id: Some("game-day".to_owned()),
            version: Some(3),
            name: "game-day".to_owned(),
        };
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
                orchestration: Some(&orchestration),
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
        assert_eq!(suite.orchestration.as_ref(), Some(&orchestration));
        assert_eq!(suite.members[1].step.as_deref(), Some("chaos"));
        assert_eq!(suite.members[1].iteration, Some(2));
        assert_eq!(suite.members[0].step, None);
        store
            .set_member_outcome("s1", 1, MemberOutcome::Skipped)
            .await
            .unwrap();
        assert!(store.set_suite_paused("s1", true).await.unwrap());
        assert!(
            !store.set_suite_paused("s1", true).await.unwrap(),
            "already paused"
        );
        let suite = store.fetch_suite("s1").await.unwrap().unwrap();
        assert_eq!(suite.status, SuiteStatus::Paused);
        assert_eq!(suite.members[1].outcome, Some(MemberOutcome::Skipped));
        assert_eq!(suite.members[0].outcome, None);
        assert_eq!(
            store.list_suites(10, Some("game-day")).await.unwrap().len(),
            1
        );
        assert_eq!(store.list_suites(10, Some("other")).await.unwrap().len(), 0);
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
        assert_eq!(store.list_suites(10, None).await.unwrap().len(), 1);
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
                members: &[NewMember::new("e1", "a")],
                orchestration: None,
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
                members: &[NewMember::new("e1", "a")],
                orchestration: None,
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
