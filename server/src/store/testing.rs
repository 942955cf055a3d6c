//! The database a store test runs on: a fresh SQLite file, or, when
//! `TEST_COORDINATOR_STORE_BACKEND=postgres`, a fresh database on the
//! PostgreSQL server `TEST_COORDINATOR_PG_ADMIN_URL` names (a superuser URL;
//! `scripts/pg-throwaway.sh run --` starts one and sets it). `scripts/test.sh`
//! runs the store's tests both ways, so every query is proven on both
//! backends. Asked for PostgreSQL without a server, a test fails: it is never
//! skipped. [`scratch_database`] is also for the integration tests and
//! benchmarks (feature `test-hooks`).

use sqlx::{Connection, PgConnection};

use super::Database;
#[cfg(test)]
use super::Store;

/// Keeps a test's database alive: the SQLite file's folder is removed on drop;
/// a PostgreSQL test database is left to the throwaway server.
#[cfg(test)]
#[derive(Default)]
pub struct Guard {
    _dir: Option<tempfile::TempDir>,
}

/// Whether the tests were asked to run on PostgreSQL.
#[cfg(test)]
pub fn on_postgres() -> bool {
    std::env::var("TEST_COORDINATOR_STORE_BACKEND").is_ok_and(|b| b == "postgres")
}

/// A fresh, empty database of the backend under test.
#[cfg(test)]
pub async fn database() -> (Guard, Database) {
    if !on_postgres() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join("coordinator.db");
        return (Guard { _dir: Some(dir) }, Database::Sqlite(path));
    }
    let admin = std::env::var("TEST_COORDINATOR_PG_ADMIN_URL").expect(
        "TEST_COORDINATOR_STORE_BACKEND=postgres needs TEST_COORDINATOR_PG_ADMIN_URL: \
         run the tests under scripts/pg-throwaway.sh run -- …",
    );
    (
        Guard { _dir: None },
        scratch_database(&admin, "tc_test").await,
    )
}

/// A fresh, empty database named `<prefix>_<uuid>` on the PostgreSQL server
/// `admin` (a superuser URL) names. For tests and benchmarks: the throwaway
/// server of scripts/pg-throwaway.sh is deleted with everything on it.
pub async fn scratch_database(admin: &str, prefix: &str) -> Database {
    let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
    let mut connection = PgConnection::connect(admin)
        .await
        .expect("the PostgreSQL server of TEST_COORDINATOR_PG_ADMIN_URL answers");
    sqlx::query(&format!("create database {name}"))
        .execute(&mut connection)
        .await
        .expect("a scratch database");
    connection.close().await.ok();
    let mut url = url::Url::parse(admin).expect("TEST_COORDINATOR_PG_ADMIN_URL is a URL");
    url.set_path(&name);
    Database::from_setting(std::path::Path::new(url.as_str())).expect("a PostgreSQL URL")
}

/// A store on a fresh database of the backend under test.
#[cfg(test)]
pub async fn store() -> (Guard, Store) {
    let (guard, database) = database().await;
    let store = Store::connect(&database)
        .await
        .expect("the test database opens");
    (guard, store)
}
