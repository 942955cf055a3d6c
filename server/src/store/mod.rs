//! The SQLite store: the one place that speaks SQL. Opens the pool once (created
//! if missing, WAL, foreign keys, busy timeout), runs the migrations at start-up,
//! and converts rows into domain types or DTOs; row structs stay private here.

mod events;
mod executions;
mod orchestrations;
mod owners;
mod recordings;
mod reports;
mod scenarios;
mod schedules;
mod suites;
mod teams;

pub use executions::{ExecutionRecord, HistoryFilter};
pub use orchestrations::{
    Imported, NewOrchestration, OrchestrationRecord, OrchestrationVersionRecord,
};
pub use recordings::{
    from_unix_ms, unix_ms, NewRecording, NewReplay, RecordingRecord, ReplayRecord,
};
pub use reports::{RecordedExecution, StoredExecution};
pub use scenarios::{NewVersion, ScenarioVersion, StoredScenario};
pub use schedules::{Claim, NewFiring, NewSchedule, ScheduleRecord, KEPT_FIRINGS};
pub use suites::{MemberRecord, NewMember, NewSuite, SuiteRecord};
pub use teams::{
    AuditFilter, NewAuditRecord, NewTokenRecord, SessionRecord, TokenRecord, UserRecord,
    UserRemoval, BOOTSTRAP,
};

use std::{path::Path, str::FromStr, time::Duration};

use sqlx::{
    migrate::MigrateError,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
    SqlitePool,
};

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database file could not be opened or created.
    #[error("cannot open database {path}: {source}")]
    Open {
        /// The file.
        path: String,
        /// sqlx's error.
        source: sqlx::Error,
    },
    /// A migration failed; start-up must stop.
    #[error("database migration failed: {0}")]
    Migrate(#[from] MigrateError),
    /// A query failed.
    #[error("database query failed: {0}")]
    Query(#[from] sqlx::Error),
    /// The database opened but cannot be written (file, folder or mount read-only).
    #[error("the database {path} is read-only ({source}); the coordinator must write to it: make the file and its folder writable, or choose another file (TEST_COORDINATOR_DATABASE or --database)")]
    ReadOnly {
        /// The file.
        path: String,
        /// SQLite's refusal.
        source: sqlx::Error,
    },
    /// A stored value is not one the code knows (a newer coordinator wrote it?).
    #[error("unexpected value in the database: {0}")]
    Corrupt(String),
}

/// Fails with [`StoreError::ReadOnly`] when SQLite refuses to write `pool`'s
/// database: a write inside a transaction that is rolled back, so nothing stays.
/// Without it a read-only file passes the (already applied) migrations and fails
/// at the first write, with a message about whatever that write was for.
async fn check_writable(pool: &SqlitePool, path: &Path) -> Result<(), StoreError> {
    let mut transaction = pool.begin().await?;
    let probe = sqlx::query("create table _write_probe (x integer) strict")
        .execute(&mut *transaction)
        .await;
    transaction.rollback().await?;
    match probe {
        Err(sqlx::Error::Database(error))
            if error.code().as_deref().is_some_and(|code| {
                // SQLITE_READONLY and its extended codes (…_RECOVERY, …_DIRECTORY, …).
                code.parse::<i32>().is_ok_and(|code| code & 0xff == 8)
            }) =>
        {
            Err(StoreError::ReadOnly {
                path: path.display().to_string(),
                source: sqlx::Error::Database(error),
            })
        }
        Err(other) => Err(StoreError::Open {
            path: path.display().to_string(),
            source: other,
        }),
        Ok(_) => Ok(()),
    }
}

/// Numbered placeholders (`$1`, `$2`, …) for a query whose text is built
/// piece by piece, handed out in the order the values are bound.
#[derive(Debug, Default)]
pub(super) struct Placeholders(usize);

impl Placeholders {
    /// The next placeholder.
    pub(super) fn next(&mut self) -> String {
        self.0 += 1;
        format!("${}", self.0)
    }

    /// The next `count` placeholders, separated by commas (for `in (…)`).
    pub(super) fn list(&mut self, count: usize) -> String {
        (0..count)
            .map(|_| self.next())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A cheap handle on the database; clone it freely.
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
}

impl Store {
    /// Opens (creating if missing) the SQLite file at `path` and migrates it.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| StoreError::Open {
                path: path.display().to_string(),
                source: sqlx::Error::Io(e),
            })?;
        }
        let options = SqliteConnectOptions::from_str("sqlite:")
            .map_err(|source| StoreError::Open {
                path: path.display().to_string(),
                source,
            })?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Open {
                path: path.display().to_string(),
                source,
            })?;
        check_writable(&pool, path).await?;
        sqlx::migrate!("../migrations").run(&pool).await?;
        Ok(Self { pool })
    }

    /// Whether the database answers; used by `/health`.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("select 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Closes every connection (checkpointing the WAL).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    #[cfg(test)]
    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_read_only_database_is_reported_as_read_only_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("coordinator.db");
        Store::open(&path).await.unwrap().close().await;
        // As root a chmod does not stop writes, so SQLite is told to open it read-only.
        let options = SqliteConnectOptions::new().filename(&path).read_only(true);
        let pool = SqlitePoolOptions::new()
            .connect_with(options)
            .await
            .unwrap();
        let error = check_writable(&pool, &path).await.unwrap_err();
        assert!(matches!(error, StoreError::ReadOnly { .. }), "{error:?}");
        let message = error.to_string();
        assert!(message.contains("is read-only"), "{message}");
        assert!(message.contains(&path.display().to_string()), "{message}");
        // A writable one passes, and the probe leaves nothing behind.
        let store = Store::open(&path).await.unwrap();
        check_writable(&store.pool, &path).await.unwrap();
        let probes: i64 =
            sqlx::query_scalar("select count(*) from sqlite_master where name = '_write_probe'")
                .fetch_one(&store.pool)
                .await
                .unwrap();
        assert_eq!(probes, 0);
    }

    #[tokio::test]
    async fn opening_creates_the_file_in_wal_mode_with_foreign_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/dir/coordinator.db");
        let store = Store::open(&path).await.unwrap();
        assert!(path.exists());
        let mode: String = sqlx::query_scalar("pragma journal_mode")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(mode, "wal");
        let fk: i64 = sqlx::query_scalar("pragma foreign_keys")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(fk, 1);
        let tables: Vec<String> = sqlx::query_scalar(
            "select name from sqlite_master where type = 'table' and name not like '\\_%' escape '\\' and name not like 'sqlite%' order by name",
        )
        .fetch_all(store.pool())
        .await
        .unwrap();
        assert_eq!(
            tables,
            [
                "audit",
                "events",
                "executions",
                "orchestration_versions",
                "orchestrations",
                "owners",
                "recording_events",
                "recordings",
                "replays",
                "scenario_versions",
                "scenarios",
                "schedule_firings",
                "schedules",
                "sessions",
                "suite_members",
                "suites",
                "tokens",
                "users"
            ]
        );
    }

    #[tokio::test]
    async fn reopening_keeps_what_was_stored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("coordinator.db");
        let store = Store::open(&path).await.unwrap();
        executions::tests::insert_execution(&store, "e1", "completed").await;
        store.close().await;
        let store = Store::open(&path).await.unwrap();
        assert_eq!(store.list_executions(10).await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn a_database_from_an_unknown_migration_refuses_to_start() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("coordinator.db");
        let store = Store::open(&path).await.unwrap();
        // A newer coordinator applied a migration this build does not know.
        sqlx::query(
            "insert into _sqlx_migrations (version, description, success, checksum, execution_time) values (99990101000000, 'from the future', 1, x'00', 0)",
        )
        .execute(store.pool())
        .await
        .unwrap();
        store.close().await;
        let error = Store::open(&path).await.unwrap_err();
        assert!(matches!(error, StoreError::Migrate(_)), "{error}");
        assert!(error.to_string().contains("migration"), "{error}");
    }

    #[tokio::test]
    async fn a_file_that_is_not_a_database_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("coordinator.db");
        std::fs::write(
            &path,
            b"this is not sqlite, just text that is long enough to look like a header",
        )
        .unwrap();
        let error = Store::open(&path).await.unwrap_err();
        assert!(
            error.to_string().contains("coordinator.db") || error.to_string().contains("migration"),
            "{error}"
        );
    }
}
