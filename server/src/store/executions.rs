//! Executions: their rows and the queries the history and dashboard need.

use app::api::{ExecutionStatus, ExecutionSummary, Verdict};

use super::{Placeholders, Store, StoreError};

#[derive(sqlx::FromRow)]
struct ExecutionRow {
    id: String,
    scenario_name: String,
    status: String,
    started_by: String,
    channel: String,
    created_at: String,
    finished_at: Option<String>,
    stopped_by: Option<String>,
}

/// The `started_by` and `channel` columns of a query over `executions`: who
/// started it (its actor; the channel for rows stored before teams) and how.
const STARTED_BY: &str = "coalesce(actor, started_by) as started_by, started_by as channel";

/// The `stopped_by` column of a query over `executions`: for a stopped one, where
/// who sent its first stop command (`a user` when the event does not say).
const STOPPED_BY_SQLITE: &str = "case when status = 'stopped' then (
    select coalesce(json_extract(ev.payload, '$.by'), 'a user') from events ev
    where ev.execution_id = executions.id and ev.kind = 'control_received'
      and json_extract(ev.payload, '$.command') = 'stop'
    order by ev.seq limit 1) end as stopped_by";
/// The same in PostgreSQL's JSON operators.
const STOPPED_BY_POSTGRES: &str = "case when status = 'stopped' then (
    select coalesce(ev.payload::jsonb ->> 'by', 'a user') from events ev
    where ev.execution_id = executions.id and ev.kind = 'control_received'
      and ev.payload::jsonb ->> 'command' = 'stop'
    order by ev.seq limit 1) end as stopped_by";

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
            channel: row.channel,
            created_at: row.created_at,
            finished_at: row.finished_at,
            stopped_by: row.stopped_by,
        })
    }
}

/// One execution as the status endpoint shows it.
#[derive(Debug, Clone)]
pub struct ExecutionRecord {
    /// The summary fields.
    pub summary: ExecutionSummary,
    /// When it started running.
    pub started_at: Option<String>,
    /// Options JSON.
    pub options: serde_json::Value,
    /// The verdict, once ended.
    pub verdict: Option<Verdict>,
    /// The plan JSON.
    pub plan: serde_json::Value,
    /// The scenario text that ran.
    pub definition: String,
}

/// Filters of the history.
#[derive(Debug, Clone, Default)]
pub struct HistoryFilter {
    /// Only this scenario.
    pub scenario: Option<String>,
    /// Only scenarios whose name contains this text (case-insensitive).
    pub scenario_contains: Option<String>,
    /// Only these states.
    pub statuses: Vec<ExecutionStatus>,
    /// Submitted at or after (RFC 3339).
    pub since: Option<String>,
    /// Submitted before (RFC 3339).
    pub until: Option<String>,
    /// Page size.
    pub limit: u32,
    /// Rows to skip.
    pub offset: u32,
}

impl Store {
    /// One execution with its plan, options and verdict.
    pub async fn fetch_execution(&self, id: &str) -> Result<Option<ExecutionRecord>, StoreError> {
        #[derive(sqlx::FromRow)]
        struct Row {
            id: String,
            scenario_name: String,
            status: String,
            started_by: String,
            channel: String,
            created_at: String,
            started_at: Option<String>,
            finished_at: Option<String>,
            stopped_by: Option<String>,
            options: String,
            verdict: Option<String>,
            plan: String,
            definition: String,
        }
        let stopped_by = self.dialect(STOPPED_BY_SQLITE, STOPPED_BY_POSTGRES);
        let row: Option<Row> = sqlx::query_as(&format!(
            "select id, scenario_name, status, {STARTED_BY}, created_at, started_at, finished_at, {stopped_by}, options, verdict, plan, definition
             from executions where id = $1",
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let corrupt = |what: &str, e: serde_json::Error| {
            StoreError::Corrupt(format!("execution {}: {what}: {e}", row.id))
        };
        let options = serde_json::from_str(&row.options).map_err(|e| corrupt("options", e))?;
        let plan = serde_json::from_str(&row.plan).map_err(|e| corrupt("plan", e))?;
        let verdict = row
            .verdict
            .as_deref()
            .map(serde_json::from_str::<Verdict>)
            .transpose()
            .map_err(|e| corrupt("verdict", e))?;
        let summary = ExecutionSummary::try_from(ExecutionRow {
            id: row.id.clone(),
            scenario_name: row.scenario_name,
            status: row.status,
            started_by: row.started_by,
            channel: row.channel,
            created_at: row.created_at,
            finished_at: row.finished_at,
            stopped_by: row.stopped_by,
        })?;
        Ok(Some(ExecutionRecord {
            summary,
            started_at: row.started_at,
            options,
            verdict,
            plan,
            definition: row.definition,
        }))
    }

    /// The history, newest first, filtered and paged; also the total matching.
    pub async fn search_executions(
        &self,
        filter: &HistoryFilter,
    ) -> Result<(Vec<ExecutionSummary>, u64), StoreError> {
        // Numbered in the order of the binds below: the filters, then limit and offset.
        let mut placeholders = Placeholders::default();
        let mut conditions = vec!["1 = 1".to_owned()];
        if filter.scenario.is_some() {
            conditions.push(format!("scenario_name = {}", placeholders.next()));
        }
        if filter.scenario_contains.is_some() {
            let contains = self.dialect("instr", "strpos");
            conditions.push(format!(
                "{contains}(lower(scenario_name), lower({})) > 0",
                placeholders.next()
            ));
        }
        if !filter.statuses.is_empty() {
            conditions.push(format!(
                "status in ({})",
                placeholders.list(filter.statuses.len())
            ));
        }
        if filter.since.is_some() {
            conditions.push(format!("created_at >= {}", placeholders.next()));
        }
        if filter.until.is_some() {
            conditions.push(format!("created_at < {}", placeholders.next()));
        }
        let clause = conditions.join(" and ");
        let (limit, offset) = (placeholders.next(), placeholders.next());
        let stopped_by = self.dialect(STOPPED_BY_SQLITE, STOPPED_BY_POSTGRES);
        let select = format!(
            "select id, scenario_name, status, {STARTED_BY}, created_at, finished_at, {stopped_by} from executions
             where {clause} order by created_at desc, id limit {limit} offset {offset}"
        );
        let count = format!("select count(*) from executions where {clause}");
        let mut rows = sqlx::query_as::<_, ExecutionRow>(&select);
        let mut total = sqlx::query_scalar::<_, i64>(&count);
        for scenario in [&filter.scenario, &filter.scenario_contains]
            .into_iter()
            .flatten()
        {
            rows = rows.bind(scenario);
            total = total.bind(scenario);
        }
        for status in &filter.statuses {
            rows = rows.bind(status.as_str());
            total = total.bind(status.as_str());
        }
        for bound in [&filter.since, &filter.until].into_iter().flatten() {
            rows = rows.bind(bound);
            total = total.bind(bound);
        }
        let rows = rows
            .bind(i64::from(filter.limit.clamp(1, 500)))
            .bind(i64::from(filter.offset))
            .fetch_all(&self.pool)
            .await?;
        let total = total.fetch_one(&self.pool).await?;
        let list = rows
            .into_iter()
            .map(ExecutionSummary::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        Ok((list, u64::try_from(total).unwrap_or(0)))
    }

    /// Per scenario: runs, completed, and durations (seconds) of finished runs.
    pub async fn scenario_performance(
        &self,
    ) -> Result<Vec<(String, u64, u64, Vec<f64>)>, StoreError> {
        let rows: Vec<(String, String, Option<String>, Option<String>)> = sqlx::query_as(
            "select scenario_name, status, started_at, finished_at from executions order by scenario_name",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut out: Vec<(String, u64, u64, Vec<f64>)> = Vec::new();
        for (name, status, started, finished) in rows {
            if out.last().is_none_or(|(n, ..)| *n != name) {
                out.push((name.clone(), 0, 0, Vec::new()));
            }
            let Some(entry) = out.last_mut() else {
                continue;
            };
            entry.1 += 1;
            if status == "completed" {
                entry.2 += 1;
            }
            let parse = |t: &Option<String>| {
                t.as_deref().and_then(|t| {
                    time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
                        .ok()
                })
            };
            if let (Some(a), Some(b)) = (parse(&started), parse(&finished)) {
                entry.3.push((b - a).as_seconds_f64());
            }
        }
        Ok(out)
    }

    /// Per scenario, the mean scenario time (ms) recovery assertions took to hold:
    /// `system_recovery`, `performance_recovery`, `price_recovery`,
    /// `system_stabilization` and `alert_resolution` that passed.
    pub async fn mean_recovery_ms(&self) -> Result<Vec<(String, f64, u64)>, StoreError> {
        let rows: Vec<(String, f64, i64)> = sqlx::query_as(self.dialect(
            "select e.scenario_name, avg(json_extract(v.payload, '$.result.time_to_hold_ms')), count(*)
             from events v join executions e on e.id = v.execution_id
             where v.kind = 'assertion_finished'
               and json_extract(v.payload, '$.result.passed') = 1
               and json_extract(v.payload, '$.result.time_to_hold_ms') is not null
               and json_extract(v.payload, '$.type') in
                 ('system_recovery', 'performance_recovery', 'price_recovery', 'system_stabilization', 'alert_resolution')
             group by e.scenario_name",
            "select e.scenario_name, avg((v.payload::jsonb #>> '{result,time_to_hold_ms}')::float8), count(*)
             from events v join executions e on e.id = v.execution_id
             where v.kind = 'assertion_finished'
               and v.payload::jsonb #> '{result,passed}' = 'true'::jsonb
               and v.payload::jsonb #>> '{result,time_to_hold_ms}' is not null
               and v.payload::jsonb ->> 'type' in
                 ('system_recovery', 'performance_recovery', 'price_recovery', 'system_stabilization', 'alert_resolution')
             group by e.scenario_name",
        ))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(name, mean, n)| (name, mean, u64::try_from(n).unwrap_or(0)))
            .collect())
    }

    /// The `limit` most recent executions, newest first.
    pub async fn list_executions(&self, limit: u32) -> Result<Vec<ExecutionSummary>, StoreError> {
        let stopped_by = self.dialect(STOPPED_BY_SQLITE, STOPPED_BY_POSTGRES);
        let rows: Vec<ExecutionRow> = sqlx::query_as(&format!(
            "select id, scenario_name, status, {STARTED_BY}, created_at, finished_at, {stopped_by}
             from executions order by created_at desc, id limit $1",
        ))
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

    /// Deletes the executions that finished more than `days` days ago, with
    /// their events (and so their reports, which are built from them):
    /// `reporting.retention_days`. Unfinished ones are never deleted. Returns
    /// how many were deleted.
    pub async fn delete_finished_before(&self, days: u32) -> Result<u64, StoreError> {
        let cutoff = time::OffsetDateTime::now_utc() - time::Duration::days(i64::from(days));
        let cutoff = cutoff
            .format(&time::format_description::well_known::Rfc3339)
            .map_err(|e| StoreError::Corrupt(format!("retention cutoff: {e}")))?;
        let deleted = sqlx::query(
            "delete from executions where finished_at is not null and finished_at < $1",
        )
        .bind(cutoff)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(deleted)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Inserts a minimal execution row, as the engine will.
    pub(crate) async fn insert_execution(store: &Store, id: &str, status: &str) {
        sqlx::query(
            "insert into executions (id, scenario_name, definition, plan, options, status, started_by, created_at)
             values ($1, 'basic-market-disruption', 'kind: Scenario', '{}', '{}', $2, 'cli', $3)",
        )
        .bind(id)
        .bind(status)
        .bind(format!("2026-11-24T10:00:0{}.000Z", id.len() % 10))
        .execute(store.pool())
        .await
        .unwrap();
    }

    async fn store() -> (crate::store::testing::Guard, Store) {
        let (dir, store) = crate::store::testing::store().await;
        (dir, store)
    }

    #[tokio::test]
    async fn a_stored_verdict_reads_back_typed_and_one_that_no_longer_reads_is_corrupt() {
        let (_dir, store) = store().await;
        insert_execution(&store, "a", "completed").await;
        let set = |verdict: &'static str| {
            sqlx::query("update executions set verdict = $1 where id = 'a'")
                .bind(verdict)
                .execute(store.pool())
        };
        set(r#"{"passed": true, "criteria": [], "summary": "all held"}"#)
            .await
            .unwrap();
        let record = store.fetch_execution("a").await.unwrap().unwrap();
        let verdict = record.verdict.expect("a verdict");
        assert!(verdict.passed);
        assert_eq!(verdict.summary, "all held");
        // A field renamed since it was stored: an error, not a default verdict.
        set(r#"{"ok": true, "criteria": [], "summary": "all held"}"#)
            .await
            .unwrap();
        let error = store.fetch_execution("a").await.unwrap_err();
        assert!(
            matches!(&error, StoreError::Corrupt(m) if m.contains("verdict")),
            "{error:?}"
        );
    }

    #[tokio::test]
    async fn retention_deletes_only_executions_finished_before_it_with_their_events() {
        let (_dir, store) = store().await;
        let finished = |days_ago: i64| {
            (time::OffsetDateTime::now_utc() - time::Duration::days(days_ago))
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap()
        };
        for (id, status, finished_at) in [
            ("old", "completed", Some(finished(31))),
            ("recent", "failed", Some(finished(29))),
            ("running", "running", None),
        ] {
            insert_execution(&store, id, status).await;
            sqlx::query("update executions set finished_at = $1 where id = $2")
                .bind(finished_at)
                .bind(id)
                .execute(store.pool())
                .await
                .unwrap();
            sqlx::query("insert into events (execution_id, seq, at, kind, payload) values ($1, 0, '2026-01-01T00:00:00Z', 'execution_queued', '{}')")
                .bind(id)
                .execute(store.pool())
                .await
                .unwrap();
        }
        assert_eq!(store.delete_finished_before(30).await.unwrap(), 1);
        let mut left: Vec<_> = store
            .list_executions(10)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect();
        left.sort();
        assert_eq!(left, ["recent", "running"]);
        let (events,): (i64,) = sqlx::query_as("select count(*) from events")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(events, 2, "the deleted execution's events go with it");
        assert_eq!(store.delete_finished_before(30).await.unwrap(), 0);
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
    async fn the_history_filters_by_part_of_the_name_and_by_day() {
        let (_dir, store) = store().await;
        insert_execution(&store, "a", "completed").await;
        sqlx::query("update executions set created_at = '2026-11-20T23:59:59.000Z' where id = 'a'")
            .execute(store.pool())
            .await
            .unwrap();
        insert_execution(&store, "bb", "failed").await;
        let search = |filter: HistoryFilter| {
            let store = store.clone();
            async move {
                let (rows, total) = store.search_executions(&filter).await.unwrap();
                let ids: Vec<String> = rows.into_iter().map(|r| r.id).collect();
                (ids, total)
            }
        };
        let by_name = HistoryFilter {
            scenario_contains: Some("MARKET".into()),
            limit: 10,
            ..HistoryFilter::default()
        };
        assert_eq!(search(by_name).await.1, 2);
        let none = HistoryFilter {
            scenario_contains: Some("depeg".into()),
            limit: 10,
            ..HistoryFilter::default()
        };
        assert_eq!(search(none).await.1, 0);
        // A day as `since` includes that day; `until` the next day excludes it.
        let day = HistoryFilter {
            since: Some("2026-11-20".into()),
            until: Some("2026-11-21".into()),
            limit: 10,
            ..HistoryFilter::default()
        };
        assert_eq!(search(day).await, (vec!["a".to_owned()], 1));
        let later = HistoryFilter {
            since: Some("2026-11-21".into()),
            limit: 10,
            ..HistoryFilter::default()
        };
        assert_eq!(search(later).await, (vec!["bb".to_owned()], 1));
    }

    #[tokio::test]
    async fn the_history_numbers_every_filter_it_builds_in_bind_order() {
        let (_dir, store) = store().await;
        for (id, status) in [("a", "completed"), ("bb", "failed"), ("ccc", "running")] {
            insert_execution(&store, id, status).await;
        }
        sqlx::query("update executions set scenario_name = 'other' where id = 'ccc'")
            .execute(store.pool())
            .await
            .unwrap();
        // Every filter at once: a placeholder numbered out of step would compare
        // a column with another filter's value (or with NULL) and match nothing.
        let all = HistoryFilter {
            scenario: Some("basic-market-disruption".into()),
            scenario_contains: Some("MARKET".into()),
            statuses: vec![ExecutionStatus::Completed, ExecutionStatus::Failed],
            since: Some("2026-11-24T10:00:01".into()),
            until: Some("2026-11-24T10:00:03".into()),
            limit: 5,
            offset: 1,
        };
        let (rows, total) = store.search_executions(&all).await.unwrap();
        let ids: Vec<_> = rows.iter().map(|r| r.id.as_str()).collect();
        assert_eq!((ids, total), (vec!["a"], 2));
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
