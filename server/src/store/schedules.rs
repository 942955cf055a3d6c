//! Schedules and their firings. The scheduler's writes are claims: one
//! transaction moves a schedule's `next_due_ms` on (only if it still holds the
//! due time it read) and records every due time it decided, so a due time is
//! decided once however often the process dies and starts again.

use app::api::schedule::{Firing, FiringResult};
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

use super::{Store, StoreError};
use crate::schedule::timing::{from_millis, rfc3339};

fn now() -> String {
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_default()
}

/// Firings kept per schedule; older ones are deleted as new ones come.
pub const KEPT_FIRINGS: i64 = 1000;

/// A schedule to store.
#[derive(Debug, Clone)]
pub struct NewSchedule<'a> {
    /// Its id.
    pub id: &'a str,
    /// Its name.
    pub name: &'a str,
    /// The accepted request (JSON).
    pub request: &'a str,
    /// Whether it fires.
    pub enabled: bool,
    /// Its first due time (ms); `None` if it never will.
    pub next_due_ms: Option<i64>,
    /// Why it never will.
    pub ended: Option<&'a str>,
    /// Who created it.
    pub created_by: &'a str,
    /// When (ms).
    pub created_ms: i64,
}

/// A stored schedule.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleRecord {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// The accepted request (JSON).
    pub request: String,
    /// Whether it fires.
    pub enabled: bool,
    /// Next due time (ms).
    pub next_due_ms: Option<i64>,
    /// Why it will not fire again.
    pub ended: Option<String>,
    /// Executions its timing submitted.
    pub execution_count: u32,
    /// Its previous execution or suite.
    pub last_run: Option<String>,
    /// Creator.
    pub created_by: String,
    /// Created (ms).
    pub created_ms: i64,
    /// Created (RFC 3339).
    pub created_at: String,
    /// Its newest firing.
    pub last_firing: Option<Firing>,
}

/// A `schedules` row with its newest firing (`f_*`, all null without one).
#[derive(sqlx::FromRow)]
struct ScheduleRow {
    id: String,
    name: String,
    request: String,
    enabled: i64,
    next_due_ms: Option<i64>,
    ended: Option<String>,
    execution_count: i64,
    last_run: Option<String>,
    created_by: String,
    created_ms: i64,
    created_at: String,
    f_due_ms: Option<i64>,
    f_fired_ms: Option<i64>,
    f_result: Option<String>,
    f_execution_id: Option<String>,
    f_suite_id: Option<String>,
    f_reason: Option<String>,
}

/// The schedule's columns and its newest firing's, found through the
/// `(schedule_id, id)` index: one seek per schedule.
const SCHEDULE_SELECT: &str = "select s.id, s.name, s.request, s.enabled, s.next_due_ms, s.ended,
        s.execution_count, s.last_run, s.created_by, s.created_ms, s.created_at,
        f.due_ms as f_due_ms, f.fired_ms as f_fired_ms, f.result as f_result,
        f.execution_id as f_execution_id, f.suite_id as f_suite_id, f.reason as f_reason
    from schedules s left join schedule_firings f
        on f.id = (select max(id) from schedule_firings where schedule_id = s.id)";

fn schedule_record(row: ScheduleRow) -> Result<ScheduleRecord, StoreError> {
    let last_firing = match (row.f_due_ms, row.f_fired_ms, row.f_result) {
        (Some(due_ms), Some(fired_ms), Some(result)) => Some(firing((
            due_ms,
            fired_ms,
            result,
            row.f_execution_id,
            row.f_suite_id,
            row.f_reason,
        ))?),
        _ => None,
    };
    Ok(ScheduleRecord {
        id: row.id,
        name: row.name,
        request: row.request,
        enabled: row.enabled != 0,
        next_due_ms: row.next_due_ms,
        ended: row.ended,
        execution_count: u32::try_from(row.execution_count).unwrap_or(u32::MAX),
        last_run: row.last_run,
        created_by: row.created_by,
        created_ms: row.created_ms,
        created_at: row.created_at,
        last_firing,
    })
}

/// One due time decided at a tick (or a manual trigger).
#[derive(Debug, Clone, PartialEq)]
pub struct NewFiring {
    /// When it was due (ms).
    pub due_ms: i64,
    /// A manual trigger (outside the one-per-due-time rule).
    pub manual: bool,
    /// `claimed` (to be submitted) or `skipped`.
    pub result: FiringResult,
    /// The execution reserved for it.
    pub execution_id: Option<String>,
    /// Why (skips), or `trigger`.
    pub reason: Option<String>,
}

/// A claim: the schedule's new state and the due times decided.
#[derive(Debug, Clone, PartialEq)]
pub struct Claim {
    /// The due time read (the claim holds only if it is still the one stored).
    pub expected_due_ms: Option<i64>,
    /// The next due time.
    pub next_due_ms: Option<i64>,
    /// Why it will not fire again.
    pub ended: Option<String>,
    /// Executions added to the count.
    pub added: u32,
    /// Its previous run from now on (the one being submitted), if any.
    pub last_run: Option<String>,
    /// The firings, with their decision time (ms).
    pub firings: Vec<NewFiring>,
    /// When decided (ms).
    pub fired_ms: i64,
    /// Only while the schedule is enabled (its timing fires; a person's
    /// trigger does not need it).
    pub only_if_enabled: bool,
    /// The owner (this process) that will submit the claimed firings: a
    /// starting replica settles only firings whose claimer is gone.
    pub claimed_by: Option<crate::engine::owner::OwnerId>,
}

type FiringRow = (
    i64,
    i64,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn firing(row: FiringRow) -> Result<Firing, StoreError> {
    let (due_ms, fired_ms, result, execution_id, suite_id, reason) = row;
    Ok(Firing {
        due_at: rfc3339(from_millis(due_ms)),
        fired_at: rfc3339(from_millis(fired_ms)),
        lateness_ms: u64::try_from(fired_ms.saturating_sub(due_ms)).unwrap_or(0),
        result: FiringResult::parse(&result)
            .ok_or_else(|| StoreError::Corrupt(format!("firing result {result:?}")))?,
        execution_id,
        suite_id,
        reason,
    })
}

impl Store {
    /// Stores a new schedule.
    pub async fn insert_schedule(&self, schedule: &NewSchedule<'_>) -> Result<(), StoreError> {
        sqlx::query(
            "insert into schedules (id, name, request, enabled, next_due_ms, ended, created_by, created_ms, created_at)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(schedule.id)
        .bind(schedule.name)
        .bind(schedule.request)
        .bind(i64::from(schedule.enabled))
        .bind(schedule.next_due_ms)
        .bind(schedule.ended)
        .bind(schedule.created_by)
        .bind(schedule.created_ms)
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// How many schedules are stored.
    pub async fn count_schedules(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("select count(*) from schedules")
            .fetch_one(&self.pool)
            .await?)
    }

    /// One schedule.
    pub async fn fetch_schedule(&self, id: &str) -> Result<Option<ScheduleRecord>, StoreError> {
        let row: Option<ScheduleRow> =
            sqlx::query_as(&format!("{SCHEDULE_SELECT} where s.id = $1"))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        row.map(schedule_record).transpose()
    }

    /// Every schedule, by next due time (those that will not fire last).
    pub async fn list_schedules(&self) -> Result<Vec<ScheduleRecord>, StoreError> {
        let rows: Vec<ScheduleRow> = sqlx::query_as(&format!(
            "{SCHEDULE_SELECT} order by s.next_due_ms is null, s.next_due_ms, s.created_ms"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(schedule_record).collect()
    }

    /// Enabled schedules due at or before `now_ms`, earliest first, at most `limit`.
    pub async fn due_schedules(
        &self,
        now_ms: i64,
        limit: u32,
    ) -> Result<Vec<ScheduleRecord>, StoreError> {
        let rows: Vec<ScheduleRow> = sqlx::query_as(&format!(
            "{SCHEDULE_SELECT}
             where s.enabled = 1 and s.next_due_ms is not null and s.next_due_ms <= $1
             order by s.next_due_ms limit $2"
        ))
        .bind(now_ms)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(schedule_record).collect()
    }

    /// The earliest due time of an enabled schedule.
    pub async fn earliest_due(&self) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar(
            "select min(next_due_ms) from schedules where enabled = 1 and next_due_ms is not null",
        )
        .fetch_one(&self.pool)
        .await?)
    }

    /// Enables or disables a schedule; `next_due_ms` (when given) replaces
    /// the stored one (enabling moves it past the time it was off). False if
    /// there is no such schedule.
    pub async fn set_schedule_enabled(
        &self,
        id: &str,
        enabled: bool,
        next_due_ms: Option<Option<i64>>,
    ) -> Result<bool, StoreError> {
        let done = match next_due_ms {
            Some(next) => {
                sqlx::query("update schedules set enabled = $1, next_due_ms = $2 where id = $3")
                    .bind(i64::from(enabled))
                    .bind(next)
                    .bind(id)
                    .execute(&self.pool)
                    .await?
            }
            None => {
                sqlx::query("update schedules set enabled = $1 where id = $2")
                    .bind(i64::from(enabled))
                    .bind(id)
                    .execute(&self.pool)
                    .await?
            }
        };
        Ok(done.rows_affected() == 1)
    }

    /// Deletes a schedule and its firings. False if there is none.
    pub async fn delete_schedule(&self, id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("delete from schedules where id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Applies `claim` to schedule `id` in one transaction. False (and nothing
    /// written) when its due time is no longer `claim.expected_due_ms`:
    /// someone decided it already.
    pub async fn claim_firings(&self, id: &str, claim: &Claim) -> Result<bool, StoreError> {
        let decided_at = now();
        let mut tx = self.begin_write().await?;
        let moved = sqlx::query(
            "update schedules
             set next_due_ms = $1, ended = $2, execution_count = execution_count + $3,
                 last_run = coalesce($4, last_run)
             where id = $5 and next_due_ms is not distinct from $6 and (enabled = 1 or not $7)",
        )
        .bind(claim.next_due_ms)
        .bind(claim.ended.as_deref())
        .bind(i64::from(claim.added))
        .bind(claim.last_run.as_deref())
        .bind(id)
        .bind(claim.expected_due_ms)
        .bind(claim.only_if_enabled)
        .execute(&mut *tx)
        .await?;
        if moved.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        for new in &claim.firings {
            sqlx::query(
                "insert into schedule_firings (schedule_id, due_ms, fired_ms, manual, result, execution_id, reason, created_at, claimed_by)
                 values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(id)
            .bind(new.due_ms)
            .bind(claim.fired_ms)
            .bind(i64::from(new.manual))
            .bind(new.result.as_str())
            .bind(new.execution_id.as_deref())
            .bind(new.reason.as_deref())
            .bind(&decided_at)
            .bind(claim.claimed_by.map(|o| o.to_string()))
            .execute(&mut *tx)
            .await?;
        }
        // Keep the newest KEPT_FIRINGS.
        sqlx::query(
            "delete from schedule_firings where schedule_id = $1 and id <= (
                 select id from schedule_firings where schedule_id = $2
                 order by id desc limit 1 offset $3)",
        )
        .bind(id)
        .bind(id)
        .bind(KEPT_FIRINGS)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Records what became of a claimed firing: `submitted` with its suite
    /// (if any), or `failed` with why (and gives back its count).
    pub async fn settle_firing(
        &self,
        schedule_id: &str,
        execution_id: &str,
        result: FiringResult,
        suite_id: Option<&str>,
        reason: Option<&str>,
        counted: bool,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "update schedule_firings set result = $1, suite_id = coalesce($2, suite_id), reason = coalesce($3, reason)
             where schedule_id = $4 and execution_id = $5 and result = 'claimed'",
        )
        .bind(result.as_str())
        .bind(suite_id)
        .bind(reason)
        .bind(schedule_id)
        .bind(execution_id)
        .execute(&mut *tx)
        .await?;
        if let Some(suite) = suite_id {
            sqlx::query("update schedules set last_run = $1 where id = $2 and last_run = $3")
                .bind(suite)
                .bind(schedule_id)
                .bind(execution_id)
                .execute(&mut *tx)
                .await?;
        }
        if result == FiringResult::Failed && counted {
            sqlx::query(
                "update schedules set execution_count = case when execution_count > 0 then execution_count - 1 else 0 end where id = $1",
            )
            .bind(schedule_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Firings claimed but never settled (the process died between claim and
    /// submission): each becomes `submitted` if its execution or suite
    /// exists, else `failed`. Only firings whose claimer is gone (its lease
    /// ran out, or none is recorded): a live replica's are its own to settle.
    /// Returns how many failed.
    pub async fn settle_interrupted_firings(&self) -> Result<u64, StoreError> {
        const CLAIMER_GONE: &str = "(claimed_by is null or not exists
               (select 1 from owners o where o.id = schedule_firings.claimed_by and o.lease_until > $1))";
        let now = self.clock_ms().await?;
        sqlx::query(&format!(
            "update schedule_firings set result = 'submitted'
             where result = 'claimed' and {CLAIMER_GONE}
               and exists (select 1 from executions e where e.id = schedule_firings.execution_id)"
        ))
        .bind(now)
        .execute(&self.pool)
        .await?;
        let failed = sqlx::query(&format!(
            "update schedule_firings set result = 'failed',
                 reason = 'the coordinator stopped between claiming this firing and submitting it'
             where result = 'claimed' and {CLAIMER_GONE}"
        ))
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(failed.rows_affected())
    }

    /// A schedule's firings, newest first, at most `limit`.
    pub async fn list_firings(&self, id: &str, limit: u32) -> Result<Vec<Firing>, StoreError> {
        let rows: Vec<FiringRow> = sqlx::query_as(
            "select due_ms, fired_ms, result, execution_id, suite_id, reason
             from schedule_firings where schedule_id = $1 order by id desc limit $2",
        )
        .bind(id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(firing).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn store_with_schedule() -> (crate::store::testing::Guard, Store) {
        let (dir, store) = crate::store::testing::store().await;
        store
            .insert_schedule(&NewSchedule {
                id: "s1",
                name: "every second",
                request: "{}",
                enabled: true,
                next_due_ms: Some(1_000),
                ended: None,
                created_by: "test",
                created_ms: 0,
            })
            .await
            .unwrap();
        (dir, store)
    }

    fn claim(expected: i64, next: i64, execution: &str) -> Claim {
        Claim {
            expected_due_ms: Some(expected),
            next_due_ms: Some(next),
            ended: None,
            added: 1,
            last_run: Some(execution.to_owned()),
            firings: vec![NewFiring {
                due_ms: expected,
                manual: false,
                result: FiringResult::Claimed,
                execution_id: Some(execution.to_owned()),
                reason: None,
            }],
            fired_ms: expected + 2,
            only_if_enabled: true,
            claimed_by: None,
        }
    }

    #[tokio::test]
    async fn a_due_time_is_claimed_once() {
        let (_dir, store) = store_with_schedule().await;
        assert!(store
            .claim_firings("s1", &claim(1_000, 2_000, "e1"))
            .await
            .unwrap());
        // A second decider read the same due time: its claim does not hold.
        assert!(!store
            .claim_firings("s1", &claim(1_000, 2_000, "e2"))
            .await
            .unwrap());
        let record = store.fetch_schedule("s1").await.unwrap().unwrap();
        assert_eq!(record.next_due_ms, Some(2_000));
        assert_eq!(record.execution_count, 1);
        assert_eq!(record.last_run.as_deref(), Some("e1"));
        let firings = store.list_firings("s1", 10).await.unwrap();
        assert_eq!(firings.len(), 1);
        assert_eq!(firings[0].execution_id.as_deref(), Some("e1"));
        assert_eq!(firings[0].lateness_ms, 2);
        assert_eq!(record.last_firing.as_ref(), Some(&firings[0]));
        // Even a claim that says it expects the moved due time cannot decide
        // the same due time again: the unique index refuses, nothing is written.
        let mut again = claim(2_000, 3_000, "e3");
        again.firings[0].due_ms = 1_000;
        assert!(store.claim_firings("s1", &again).await.is_err());
        assert_eq!(
            store
                .fetch_schedule("s1")
                .await
                .unwrap()
                .unwrap()
                .next_due_ms,
            Some(2_000)
        );
    }

    #[tokio::test]
    async fn a_disabled_schedule_is_not_claimed_but_may_be_triggered() {
        let (_dir, store) = store_with_schedule().await;
        assert!(store.set_schedule_enabled("s1", false, None).await.unwrap());
        assert!(!store
            .claim_firings("s1", &claim(1_000, 2_000, "e1"))
            .await
            .unwrap());
        let mut trigger = claim(1_000, 1_000, "manual");
        trigger.only_if_enabled = false;
        trigger.added = 0;
        trigger.firings[0].manual = true;
        assert!(store.claim_firings("s1", &trigger).await.unwrap());
        // Manual firings stand beside the due time's own decision.
        assert!(store.set_schedule_enabled("s1", true, None).await.unwrap());
        assert!(store
            .claim_firings("s1", &claim(1_000, 2_000, "e1"))
            .await
            .unwrap());
        assert_eq!(store.list_firings("s1", 10).await.unwrap().len(), 2);
    }

    #[tokio::test]
    async fn claims_left_by_a_crash_are_settled_at_start_up() {
        let (_dir, store) = store_with_schedule().await;
        assert!(store
            .claim_firings("s1", &claim(1_000, 2_000, "never-submitted"))
            .await
            .unwrap());
        assert_eq!(store.settle_interrupted_firings().await.unwrap(), 1);
        let firing = &store.list_firings("s1", 1).await.unwrap()[0];
        assert_eq!(firing.result, FiringResult::Failed);
        assert!(firing
            .reason
            .as_deref()
            .unwrap_or_default()
            .contains("between claiming"));
        // Nothing is left claimed.
        assert_eq!(store.settle_interrupted_firings().await.unwrap(), 0);
    }

    #[tokio::test]
    async fn only_the_newest_firings_are_kept() {
        let (_dir, store) = store_with_schedule().await;
        let mut due = 1_000;
        for _ in 0..(KEPT_FIRINGS + 5) {
            let mut next = claim(due, due + 1_000, "e");
            next.firings[0].result = FiringResult::Skipped;
            next.firings[0].execution_id = None;
            assert!(store.claim_firings("s1", &next).await.unwrap());
            due += 1_000;
        }
        let kept: i64 = sqlx::query_scalar("select count(*) from schedule_firings")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(kept, KEPT_FIRINGS);
        let newest = &store.list_firings("s1", 1).await.unwrap()[0];
        assert_eq!(newest.due_at, rfc3339(from_millis(due - 1_000)));
    }
}
