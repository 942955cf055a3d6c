//! The store: the one place that speaks SQL. One interface over two backends
//! (docs/scale-out.md): an SQLite file (the default; created if missing, WAL,
//! foreign keys, busy timeout) or a PostgreSQL database shared by replicas.
//! Both are reached through sqlx's `Any` driver with one text per statement
//! (`$N` placeholders), but for the few statements whose dialects differ
//! ([`Store::dialect`]). It opens the pool once, runs the backend's migrations
//! (`migrations/` and `migrations/postgres/`, kept in step) at start-up, and
//! converts rows into domain types or DTOs; row structs stay private here.

mod cluster;
mod database;
mod events;
mod executions;
mod orchestrations;
mod owners;
mod queue;
mod recordings;
mod reports;
mod scenarios;
mod schedules;
mod suites;
mod teams;
#[cfg(any(test, feature = "test-hooks"))]
pub mod testing;

pub use cluster::{ControlRequest, Ownership, CONTROL_CHANNEL, EVENTS_CHANNEL};
pub use database::{Backend, Database, DatabaseUrlError, PostgresUrl};
pub use executions::{ExecutionRecord, HistoryFilter};
pub use orchestrations::{
    Imported, NewOrchestration, OrchestrationRecord, OrchestrationVersionRecord,
};
pub use queue::QUEUE_CHANNEL;
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

use std::{path::Path, sync::Once, time::Duration};

use sqlx::{
    any::{AnyConnectOptions, AnyPoolOptions},
    migrate::MigrateError,
    AnyPool, Executor,
};

/// A transaction on either backend.
pub(crate) type Tx<'a> = sqlx::Transaction<'a, sqlx::Any>;

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be opened, created or reached.
    #[error("cannot open database {path}: {source}")]
    Open {
        /// The file, or the URL without its password.
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
async fn check_writable(pool: &AnyPool, path: &Path) -> Result<(), StoreError> {
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

/// The key of the advisory lock that serialises the store's write
/// transactions on PostgreSQL, as SQLite's database lock does (`"tc-store"`).
const WRITE_LOCK: i64 = 0x7463_2d73_746f_7265;

/// A cheap handle on the database; clone it freely.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

impl Store {
    /// Opens (creating if missing) the SQLite file at `path` and migrates it.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        Self::connect(&Database::Sqlite(path.to_owned())).await
    }

    /// Opens `database` and brings its schema up to date.
    pub async fn connect(database: &Database) -> Result<Self, StoreError> {
        static DRIVERS: Once = Once::new();
        DRIVERS.call_once(sqlx::any::install_default_drivers);
        match database {
            Database::Sqlite(path) => Self::open_sqlite(path).await,
            Database::Postgres(url) => Self::open_postgres(database, url).await,
        }
    }

    async fn open_sqlite(path: &Path) -> Result<Self, StoreError> {
        let open_error = |source| StoreError::Open {
            path: path.display().to_string(),
            source,
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| open_error(sqlx::Error::Io(e)))?;
        }
        // The Any driver takes a URL: the path is percent-encoded into it, and
        // what a URL cannot say is set on each new connection.
        let url = format!(
            "sqlite://{}?mode=rwc",
            url::form_urlencoded::byte_serialize(path.as_os_str().as_encoded_bytes())
                .collect::<String>()
                .replace("%2F", "/")
        );
        let options: AnyConnectOptions = url.parse().map_err(open_error)?;
        let pool = AnyPoolOptions::new()
            .max_connections(8)
            .after_connect(|connection, _| {
                Box::pin(async move {
                    connection
                        .execute(
                            "pragma busy_timeout = 5000; pragma foreign_keys = on; \
                             pragma journal_mode = wal; pragma synchronous = normal;",
                        )
                        .await?;
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .map_err(open_error)?;
        check_writable(&pool, path).await?;
        sqlx::migrate!("../migrations").run(&pool).await?;
        Ok(Self {
            pool,
            backend: Backend::Sqlite,
        })
    }

    async fn open_postgres(database: &Database, url: &PostgresUrl) -> Result<Self, StoreError> {
        let open_error = |source| StoreError::Open {
            path: database.to_string(),
            source,
        };
        let options: AnyConnectOptions = url.secret().parse().map_err(open_error)?;
        let pool = AnyPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(open_error)?;
        // sqlx holds an advisory lock while it migrates, so replicas starting
        // together apply each migration once.
        sqlx::migrate!("../migrations/postgres").run(&pool).await?;
        Ok(Self {
            pool,
            backend: Backend::Postgres,
        })
    }

    /// Which kind of database this store is on.
    #[must_use]
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The statement for this backend, where the two dialects differ.
    pub(crate) fn dialect(&self, sqlite: &'static str, postgres: &'static str) -> &'static str {
        match self.backend {
            Backend::Sqlite => sqlite,
            Backend::Postgres => postgres,
        }
    }

    /// A transaction that will write, serialised with every other such
    /// transaction of every process on the database. SQLite's database lock
    /// gives that; on PostgreSQL an advisory lock held until commit or
    /// rollback does, so a read-then-write (the next version number, a
    /// claim, the last admin) cannot interleave with another.
    pub(crate) async fn begin_write(&self) -> Result<Tx<'static>, StoreError> {
        let mut tx = self.pool.begin().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("select 1 from (select pg_advisory_xact_lock($1)) as locked")
                .bind(WRITE_LOCK)
                .execute(&mut *tx)
                .await?;
        }
        Ok(tx)
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
    pub(crate) fn pool(&self) -> &AnyPool {
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
        sqlx::any::install_default_drivers();
        let pool = AnyPoolOptions::new()
            .connect(&format!("sqlite://{}?mode=ro", path.display()))
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
                "execution_queue",
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
