//! Executions: their rows and the queries the history and dashboard need.

use app::api::{ExecutionStatus, ExecutionSummary};

use super::{Store, StoreError};

#[derive(sqlx::FromRow)]
struct ExecutionRow {
    id: String,
    scenario_name: String,
    status: String,
    started_by: String,
    created_at: String,
    finished_at: Option<String>,
}

impl TryFrom<ExecutionRow> for ExecutionSummary {
    type Error = StoreError;

    fn try_from(row: ExecutionRow) -> Result<Self, StoreError> {
        let status = ExecutionStatus::parse(&row.status).ok_or_else(|| {
            StoreError::Corrupt(format!("execution {} has status {:?}", row.id, row.status))
        })?;
        Ok(Self {
            id: row.id,
            scenario_name: row.scenario_name,
            status: status.as_str().to_owned(),
            started_by: row.started_by,
            created_at: row.created_at,
            finished_at: row.finished_at,
        })
    }
}

impl Store {
    /// The `limit` most recent executions, newest first.
    pub async fn list_executions(&self, limit: u32) -> Result<Vec<ExecutionSummary>, StoreError> {
        let rows: Vec<ExecutionRow> = sqlx::query_as(
            "select id, scenario_name, status, started_by, created_at, finished_at
             from executions order by created_at desc, id limit ?",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(ExecutionSummary::try_from).collect()
    }

    /// How many executions are in each state, in lifecycle order, leaving out empty states.
    pub async fn count_executions_by_status(
        &self,
    ) -> Result<Vec<(ExecutionStatus, u64)>, StoreError> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("select status, count(*) from executions group by status")
                .fetch_all(&self.pool)
                .await?;
        let mut counts = Vec::with_capacity(rows.len());
        for (status, count) in rows {
            let status = ExecutionStatus::parse(&status)
                .ok_or_else(|| StoreError::Corrupt(format!("status {status:?}")))?;
            counts.push((status, u64::try_from(count).unwrap_or(0)));
        }
        counts.sort_by_key(|(status, _)| ExecutionStatus::ALL.iter().position(|s| s == status));
        Ok(counts)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Inserts a minimal execution row, as the engine will.
    pub(crate) async fn insert_execution(store: &Store, id: &str, status: &str) {
        sqlx::query(
            "insert into executions (id, scenario_name, definition, plan, options, status, started_by, created_at)
             values (?, 'basic-market-disruption', 'kind: Scenario', '{}', '{}', ?, 'cli', ?)",
        )
        .bind(id)
        .bind(status)
        .bind(format!("2026-11-24T10:00:0{}.000Z", id.len() % 10))
        .execute(store.pool())
        .await
        .unwrap();
    }

    async fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db")).await.unwrap();
        (dir, store)
    }

    #[tokio::test]
    async fn history_is_newest_first_and_limited() {
        let (_dir, store) = store().await;
        insert_execution(&store, "a", "completed").await;
        insert_execution(&store, "bb", "failed").await;
        insert_execution(&store, "ccc", "running").await;
        let rows = store.list_executions(2).await.unwrap();
        let ids: Vec<_> = rows.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["ccc", "bb"]);
        assert_eq!(rows[0].status, "running");
    }

    #[tokio::test]
    async fn counts_follow_the_lifecycle_order() {
        let (_dir, store) = store().await;
        insert_execution(&store, "a", "failed").await;
        insert_execution(&store, "b", "queued").await;
        insert_execution(&store, "c", "failed").await;
        let counts = store.count_executions_by_status().await.unwrap();
        assert_eq!(
            counts,
            [(ExecutionStatus::Queued, 1), (ExecutionStatus::Failed, 2)]
        );
    }

    #[tokio::test]
    async fn the_schema_refuses_an_unknown_status() {
        let (_dir, store) = store().await;
        let result = sqlx::query(
            "insert into executions (id, scenario_name, definition, plan, options, status, started_by, created_at)
             values ('x', 'n', '', '{}', '{}', 'exploded', 'cli', '2026-01-01T00:00:00.000Z')",
        )
        .execute(store.pool())
        .await;
        assert!(result.is_err());
    }
}
