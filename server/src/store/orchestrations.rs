//! Orchestrations: seed 001's documents, with every imported version kept as
//! written (like uploaded scenarios). Their runs are suites (see `suites.rs`).

use time::{format_description::well_known::Rfc3339, OffsetDateTime};

use super::{Store, StoreError};

fn now() -> String {
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_default()
}

/// A stored orchestration at one version.
#[derive(Debug, Clone, PartialEq)]
pub struct OrchestrationRecord {
    /// Its id (the document's `name`).
    pub id: String,
    /// `description`, as of the latest version.
    pub description: Option<String>,
    /// `tags`, as of the latest version.
    pub tags: Vec<String>,
    /// This version's number.
    pub version: i64,
    /// The latest version's number.
    pub latest_version: i64,
    /// This version's text as imported.
    pub source: String,
    /// When it was first imported.
    pub created_at: String,
    /// Who first imported it.
    pub created_by: String,
    /// When its latest version was imported.
    pub updated_at: String,
    /// Who imported this version.
    pub version_by: String,
}

/// One version as the history lists it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct OrchestrationVersionRecord {
    /// Version number, from 1.
    pub version: i64,
    /// When it was imported.
    pub created_at: String,
    /// Who imported it.
    pub created_by: String,
}

/// What an import stores.
#[derive(Debug, Clone)]
pub struct NewOrchestration<'a> {
    /// The id (`name`).
    pub id: &'a str,
    /// `description`.
    pub description: Option<&'a str>,
    /// `tags`.
    pub tags: &'a [String],
    /// The text.
    pub source: &'a str,
    /// Who imports it.
    pub by: &'a str,
}

/// How an import was stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Imported {
    /// The version that holds the text.
    pub version: i64,
    /// Whether this import made the orchestration (or brought it back from the archive).
    pub created: bool,
    /// Whether the text equalled the latest version's, so no version was added.
    pub unchanged: bool,
}

/// `(id, description, tags, version, latest, source, created_at, created_by, updated_at, version_by)`.
type Row = (
    String,
    Option<String>,
    String,
    i64,
    i64,
    String,
    String,
    String,
    String,
    String,
);

impl Store {
    /// Stores `new` as the orchestration's next version (creating it, or
    /// bringing it back from the archive). The same text as the latest
    /// version adds nothing.
    pub async fn import_orchestration(
        &self,
        new: &NewOrchestration<'_>,
    ) -> Result<Imported, StoreError> {
        let now = now();
        let tags = serde_json::to_string(new.tags).unwrap_or_else(|_| "[]".to_owned());
        let mut tx = self.begin_write().await?;
        // A write first (one that may change no row still takes the write
        // lock), so the reads below cannot turn into a write that fails with
        // SQLITE_BUSY_SNAPSHOT when another connection wrote in between.
        sqlx::query("update orchestrations set id = id where id = $1")
            .bind(new.id)
            .execute(&mut *tx)
            .await?;
        let existing: Option<(Option<String>, Option<i64>, Option<String>)> = sqlx::query_as(
            "select o.archived_at, max(v.version),
                    (select source from orchestration_versions where orchestration_id = o.id order by version desc limit 1)
             from orchestrations o left join orchestration_versions v on v.orchestration_id = o.id
             where o.id = $1 group by o.id",
        )
        .bind(new.id)
        .fetch_optional(&mut *tx)
        .await?;
        let created = existing
            .as_ref()
            .is_none_or(|(archived, _, _)| archived.is_some());
        if let Some((None, Some(latest), Some(source))) = &existing {
            if source == new.source {
                return Ok(Imported {
                    version: *latest,
                    created: false,
                    unchanged: true,
                });
            }
        }
        sqlx::query(
            "insert into orchestrations (id, description, tags, created_at, created_by, updated_at)
             values ($1, $2, $3, $4, $5, $6)
             on conflict (id) do update set description = excluded.description, tags = excluded.tags,
               updated_at = excluded.updated_at, archived_at = null",
        )
        .bind(new.id)
        .bind(new.description)
        .bind(&tags)
        .bind(&now)
        .bind(new.by)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        let version = existing.and_then(|(_, latest, _)| latest).unwrap_or(0) + 1;
        sqlx::query(
            "insert into orchestration_versions (orchestration_id, version, source, created_at, created_by)
             values ($1, $2, $3, $4, $5)",
        )
        .bind(new.id)
        .bind(version)
        .bind(new.source)
        .bind(&now)
        .bind(new.by)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Imported {
            version,
            created,
            unchanged: false,
        })
    }

    /// An orchestration not archived, at its latest version (or `version`).
    pub async fn fetch_orchestration(
        &self,
        id: &str,
        version: Option<i64>,
    ) -> Result<Option<OrchestrationRecord>, StoreError> {
        let row: Option<Row> = sqlx::query_as(
            "select o.id, o.description, o.tags, v.version,
                    (select max(version) from orchestration_versions where orchestration_id = o.id),
                    v.source, o.created_at, o.created_by, o.updated_at, v.created_by
             from orchestrations o join orchestration_versions v on v.orchestration_id = o.id
             where o.id = $1 and o.archived_at is null
               and v.version = coalesce($2, (select max(version) from orchestration_versions where orchestration_id = o.id))",
        )
        .bind(id)
        .bind(version)
        .fetch_optional(&self.pool)
        .await?;
        row.map(record).transpose()
    }

    /// Every orchestration not archived, at its latest version, by id.
    pub async fn list_orchestrations(&self) -> Result<Vec<OrchestrationRecord>, StoreError> {
        let rows: Vec<Row> = sqlx::query_as(
            "select o.id, o.description, o.tags, v.version, v.version,
                    v.source, o.created_at, o.created_by, o.updated_at, v.created_by
             from orchestrations o join orchestration_versions v on v.orchestration_id = o.id
             where o.archived_at is null
               and v.version = (select max(version) from orchestration_versions where orchestration_id = o.id)
             order by o.id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(record).collect()
    }

    /// Every version of an orchestration, oldest first.
    pub async fn list_orchestration_versions(
        &self,
        id: &str,
    ) -> Result<Vec<OrchestrationVersionRecord>, StoreError> {
        Ok(sqlx::query_as(
            "select version, created_at, created_by from orchestration_versions
             where orchestration_id = $1 order by version",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Archives an orchestration (its versions and runs are kept); false if there is none.
    pub async fn archive_orchestration(&self, id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "update orchestrations set archived_at = $1 where id = $2 and archived_at is null",
        )
        .bind(now())
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}

fn record(row: Row) -> Result<OrchestrationRecord, StoreError> {
    let (
        id,
        description,
        tags,
        version,
        latest_version,
        source,
        created_at,
        created_by,
        updated_at,
        version_by,
    ) = row;
    let tags = serde_json::from_str(&tags)
        .map_err(|e| StoreError::Corrupt(format!("orchestration {id}: tags: {e}")))?;
    Ok(OrchestrationRecord {
        id,
        description,
        tags,
        version,
        latest_version,
        source,
        created_at,
        created_by,
        updated_at,
        version_by,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn imports_keep_every_version_skip_unchanged_text_and_archiving_hides() {
        let (_guard, store) = crate::store::testing::store().await;
        let tags = vec!["chaos".to_owned()];
        let new = |source| NewOrchestration {
            id: "game-day",
            description: Some("d"),
            tags: &tags,
            source,
            by: "alice",
        };
        let first = store.import_orchestration(&new("v1")).await.unwrap();
        assert_eq!(
            (first.version, first.created, first.unchanged),
            (1, true, false)
        );
        let same = store.import_orchestration(&new("v1")).await.unwrap();
        assert_eq!(
            (same.version, same.created, same.unchanged),
            (1, false, true)
        );
        let second = store.import_orchestration(&new("v2")).await.unwrap();
        assert_eq!((second.version, second.created), (2, false));

        let latest = store
            .fetch_orchestration("game-day", None)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((latest.version, latest.latest_version), (2, 2));
        assert_eq!(latest.source, "v2");
        assert_eq!(latest.tags, tags);
        let old = store
            .fetch_orchestration("game-day", Some(1))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (old.version, old.latest_version, old.source.as_str()),
            (1, 2, "v1")
        );
        assert!(store
            .fetch_orchestration("game-day", Some(3))
            .await
            .unwrap()
            .is_none());
        assert_eq!(
            store
                .list_orchestration_versions("game-day")
                .await
                .unwrap()
                .len(),
            2
        );
        assert_eq!(store.list_orchestrations().await.unwrap().len(), 1);

        assert!(store.archive_orchestration("game-day").await.unwrap());
        assert!(!store.archive_orchestration("game-day").await.unwrap());
        assert!(store
            .fetch_orchestration("game-day", None)
            .await
            .unwrap()
            .is_none());
        assert!(store.list_orchestrations().await.unwrap().is_empty());
        // Importing it again brings it back with its history.
        let back = store.import_orchestration(&new("v2")).await.unwrap();
        assert_eq!(
            (back.version, back.created, back.unchanged),
            (3, true, false)
        );
    }
}
