//! Recordings, their events and their replays (issue 19). A recording's
//! events are numbered from 0 in the order they are written; the store keeps
//! at most its `max_events` and counts the rest as dropped.

use app::api::recording::{RecordedEvent, RecordingState};
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

use super::{Store, StoreError};

fn now() -> String {
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_default()
}

/// Milliseconds since the Unix epoch of `at`.
pub fn unix_ms(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// The instant of a stored millisecond count.
pub fn from_unix_ms(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// A recording to store.
#[derive(Debug, Clone)]
pub struct NewRecording<'a> {
    /// Its id.
    pub id: &'a str,
    /// Its name.
    pub name: &'a str,
    /// Its service filter (JSON array).
    pub services: &'a str,
    /// `recording` or `imported`.
    pub state: RecordingState,
    /// Its cap.
    pub max_events: u32,
    /// When it started (ms).
    pub started_ms: i64,
    /// When it ended (ms), for an imported one.
    pub ended_ms: Option<i64>,
    /// Who.
    pub created_by: &'a str,
    /// The owner (process) capturing it; `None` for an imported one.
    pub owner: Option<crate::engine::owner::OwnerId>,
}

/// A stored recording.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct RecordingRecord {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Service filter (JSON array).
    pub services: String,
    /// `recording`, `stopped`, `interrupted` or `imported`.
    pub state: String,
    /// Cap.
    pub max_events: i64,
    /// Started (ms).
    pub started_ms: i64,
    /// Ended (ms).
    pub ended_ms: Option<i64>,
    /// Events kept.
    pub event_count: i64,
    /// Events not kept.
    pub dropped_events: i64,
    /// Creator.
    pub created_by: String,
}

/// A replay to store.
#[derive(Debug, Clone)]
pub struct NewReplay<'a> {
    /// Its execution.
    pub execution_id: &'a str,
    /// The recording.
    pub recording_id: &'a str,
    /// `realtime`, `fast`, `×2`.
    pub speed: &'a str,
    /// Plays.
    pub iterations: u32,
    /// Actions per play.
    pub total_events: u32,
}

/// A stored replay with its execution's status and progress.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ReplayRecord {
    /// Its execution.
    pub execution_id: String,
    /// The recording.
    pub recording_id: String,
    /// The recording's name.
    pub recording_name: String,
    /// Speed words.
    pub speed: String,
    /// Plays.
    pub iterations: i64,
    /// Actions per play.
    pub total_events: i64,
    /// Created (RFC 3339).
    pub created_at: String,
    /// The execution's status.
    pub status: String,
    /// Actions sent so far (`action_started` events within phases).
    pub sent: i64,
}

const RECORDING_SELECT: &str = "select id, name, services, state, max_events, started_ms, ended_ms, event_count, dropped_events, created_by from recordings";

const REPLAY_SELECT: &str = "select r.execution_id, r.recording_id, g.name as recording_name, r.speed, r.iterations, r.total_events, r.created_at, coalesce(e.status, 'queued') as status,
        (select count(*) from events v where v.execution_id = r.execution_id and v.kind = 'action_started' and v.phase is not null) as sent
     from replays r join recordings g on g.id = r.recording_id left join executions e on e.id = r.execution_id";

impl Store {
    /// Stores a new recording; false when it would be a second one capturing.
    pub async fn insert_recording(&self, recording: &NewRecording<'_>) -> Result<bool, StoreError> {
        let inserted = sqlx::query(
            "insert into recordings (id, name, services, state, max_events, started_ms, ended_ms, created_by, created_at, owner_id)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(recording.id)
        .bind(recording.name)
        .bind(recording.services)
        .bind(recording.state.as_str())
        .bind(i64::from(recording.max_events))
        .bind(recording.started_ms)
        .bind(recording.ended_ms)
        .bind(recording.created_by)
        .bind(now())
        .bind(recording.owner.map(|o| o.to_string()))
        .execute(&self.pool)
        .await;
        match inserted {
            Ok(_) => Ok(true),
            Err(sqlx::Error::Database(error)) if error.is_unique_violation() => Ok(false),
            Err(error) => Err(error.into()),
        }
    }

    /// Stores an imported recording with its events, in one transaction.
    pub async fn import_recording(
        &self,
        recording: &NewRecording<'_>,
        events: &[RecordedEvent],
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "insert into recordings (id, name, services, state, max_events, started_ms, ended_ms, event_count, created_by, created_at)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(recording.id)
        .bind(recording.name)
        .bind(recording.services)
        .bind(recording.state.as_str())
        .bind(i64::from(recording.max_events))
        .bind(recording.started_ms)
        .bind(recording.ended_ms)
        .bind(i64::try_from(events.len()).unwrap_or(i64::MAX))
        .bind(recording.created_by)
        .bind(now())
        .execute(&mut *tx)
        .await?;
        for (seq, event) in events.iter().enumerate() {
            insert_event(&mut tx, recording.id, seq, event).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Appends captured events to a recording that is still capturing, up to
    /// its cap; the rest, and `lost` more, are counted as dropped.
    pub async fn append_recording_events(
        &self,
        id: &str,
        events: &[RecordedEvent],
        lost: u32,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        // A write first, so the transaction holds the write lock before it
        // reads: a read that later turns into a write fails at once
        // (SQLITE_BUSY_SNAPSHOT) when another connection wrote in between.
        let capturing = sqlx::query(
            "update recordings set event_count = event_count where id = $1 and state = 'recording'",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if capturing.rows_affected() == 0 {
            return Ok(());
        }
        let row: Option<(i64, i64)> = sqlx::query_as(
            "select event_count, max_events from recordings where id = $1 and state = 'recording'",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((count, max)) = row else {
            return Ok(());
        };
        let room = usize::try_from((max - count).max(0)).unwrap_or(0);
        let kept = &events[..events.len().min(room)];
        let first = usize::try_from(count).unwrap_or(0);
        for (i, event) in kept.iter().enumerate() {
            insert_event(&mut tx, id, first + i, event).await?;
        }
        let kept_n = i64::try_from(kept.len()).unwrap_or(i64::MAX);
        let dropped =
            i64::try_from(events.len() - kept.len()).unwrap_or(i64::MAX) + i64::from(lost);
        sqlx::query(
            "update recordings set event_count = event_count + $1, dropped_events = dropped_events + $2 where id = $3",
        )
        .bind(kept_n)
        .bind(dropped)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Ends the recording `id` if it is still capturing.
    pub async fn end_recording(
        &self,
        id: &str,
        state: RecordingState,
        ended_ms: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "update recordings set state = $1, ended_ms = $2 where id = $3 and state = 'recording'",
        )
        .bind(state.as_str())
        .bind(ended_ms)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Recordings left capturing by a process that is gone (its lease ran
    /// out, or none is recorded) end `interrupted` at their last event (or
    /// their start). A live replica's recording goes on. How many.
    pub async fn end_interrupted_recordings(&self) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "update recordings set state = 'interrupted',
                 ended_ms = coalesce((select max(at_ms) from recording_events e where e.recording_id = recordings.id), started_ms)
             where state = 'recording' and (owner_id is null or not exists
               (select 1 from owners o where o.id = recordings.owner_id and o.lease_until > $1))",
        )
        .bind(self.clock_ms().await?)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// How many recordings are stored.
    pub async fn count_recordings(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("select count(*) from recordings")
            .fetch_one(&self.pool)
            .await?)
    }

    /// One recording.
    pub async fn fetch_recording(&self, id: &str) -> Result<Option<RecordingRecord>, StoreError> {
        Ok(sqlx::query_as(&format!("{RECORDING_SELECT} where id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// The recording capturing now, or else the newest.
    pub async fn current_recording(&self) -> Result<Option<RecordingRecord>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "{RECORDING_SELECT} order by state = 'recording' desc, started_ms desc, rowid desc limit 1"
        ))
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Recordings, newest first, at most `limit`.
    pub async fn list_recordings(&self, limit: u32) -> Result<Vec<RecordingRecord>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "{RECORDING_SELECT} order by started_ms desc, rowid desc limit $1"
        ))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?)
    }

    /// A recording's events, oldest first.
    pub async fn recording_events(&self, id: &str) -> Result<Vec<RecordedEvent>, StoreError> {
        let payloads: Vec<String> = sqlx::query_scalar(
            "select payload from recording_events where recording_id = $1 order by at_ms, seq",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        payloads
            .iter()
            .map(|p| {
                serde_json::from_str(p)
                    .map_err(|e| StoreError::Corrupt(format!("recorded event of {id}: {e}")))
            })
            .collect()
    }

    /// Deletes a recording that is not capturing, with its events and replay
    /// rows (their executions stay); false if there is no such recording.
    pub async fn delete_recording(&self, id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("delete from recordings where id = $1 and state <> 'recording'")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Stores a replay (its execution is already stored).
    pub async fn insert_replay(&self, replay: &NewReplay<'_>) -> Result<(), StoreError> {
        sqlx::query(
            "insert into replays (execution_id, recording_id, speed, iterations, total_events, created_at)
             values ($1, $2, $3, $4, $5, $6)",
        )
        .bind(replay.execution_id)
        .bind(replay.recording_id)
        .bind(replay.speed)
        .bind(i64::from(replay.iterations))
        .bind(i64::from(replay.total_events))
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Replays, newest first (of one recording, when given), at most `limit`.
    pub async fn list_replays(
        &self,
        recording_id: Option<&str>,
        limit: u32,
    ) -> Result<Vec<ReplayRecord>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "{REPLAY_SELECT} where $1 is null or r.recording_id = $1 order by r.created_at desc, r.rowid desc limit $2"
        ))
        .bind(recording_id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?)
    }

    /// One replay.
    pub async fn fetch_replay(
        &self,
        execution_id: &str,
    ) -> Result<Option<ReplayRecord>, StoreError> {
        Ok(
            sqlx::query_as(&format!("{REPLAY_SELECT} where r.execution_id = $1"))
                .bind(execution_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// The replay under way (the newest, if several), or else the newest.
    pub async fn current_replay(&self) -> Result<Option<ReplayRecord>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "{REPLAY_SELECT} order by e.status in ('queued', 'running', 'paused') desc nulls last, r.created_at desc, r.rowid desc limit 1"
        ))
        .fetch_optional(&self.pool)
        .await?)
    }
}

async fn insert_event(
    tx: &mut super::Tx<'_>,
    id: &str,
    seq: usize,
    event: &RecordedEvent,
) -> Result<(), StoreError> {
    let payload = serde_json::to_string(event)
        .map_err(|e| StoreError::Corrupt(format!("recorded event: {e}")))?;
    sqlx::query(
        "insert into recording_events (recording_id, seq, at_ms, payload) values ($1, $2, $3, $4)",
    )
    .bind(id)
    .bind(i64::try_from(seq).unwrap_or(i64::MAX))
    .bind(unix_ms(event.timestamp))
    .bind(payload)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests;
