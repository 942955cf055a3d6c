//! Custom scenarios: uploaded definitions with every version kept.

use time::{format_description::well_known::Rfc3339, OffsetDateTime};

use super::{Store, StoreError};

/// A stored custom scenario (its latest version).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StoredScenario {
    /// Its id (the `metadata.name`).
    pub id: String,
    /// `scenario` or `template`.
    pub kind: String,
    /// `metadata.category`.
    pub category: Option<String>,
    /// `metadata.description`.
    pub description: Option<String>,
    /// Latest version number.
    pub version: i64,
    /// The latest version's text.
    pub definition: String,
    /// When it was first saved.
    pub created_at: String,
    /// When its latest version was saved.
    pub updated_at: String,
}

/// One saved version.
#[derive(Debug, Clone, PartialEq, serde::Serialize, sqlx::FromRow)]
pub struct ScenarioVersion {
    /// Version number, from 1.
    pub version: i64,
    /// The text as saved.
    pub definition: String,
    /// When it was saved.
    pub created_at: String,
}

/// What an upload stores.
#[derive(Debug, Clone)]
pub struct NewVersion<'a> {
    /// The id (`metadata.name`).
    pub id: &'a str,
    /// `scenario` or `template`.
    pub kind: &'a str,
    /// `metadata.category`.
    pub category: Option<&'a str>,
    /// `metadata.description`.
    pub description: Option<&'a str>,
    /// The text.
    pub definition: &'a str,
}

/// `(id, kind, category, description, version, definition, created_at, updated_at)`.
type ScenarioRow = (
    String,
    String,
    Option<String>,
    Option<String>,
    i64,
    String,
    String,
    String,
);

fn now() -> String {
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_default()
}

impl Store {
    /// Saves a new version of a custom scenario (creating it, or bringing it
    /// back from the archive); returns its version number.
    pub async fn insert_scenario_version(&self, new: &NewVersion<'_>) -> Result<i64, StoreError> {
        let now = now();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "insert into scenarios (id, name, kind, source, category, description, created_at, updated_at)
             values ($1, $2, $3, 'custom', $4, $5, $6, $7)
             on conflict (id) do update set kind = excluded.kind, category = excluded.category,
               description = excluded.description, updated_at = excluded.updated_at, archived_at = null",
        )
        .bind(new.id)
        .bind(new.id)
        .bind(new.kind)
        .bind(new.category)
        .bind(new.description)
        .bind(&now)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        let version: i64 = sqlx::query_scalar(
            "select coalesce(max(version), 0) + 1 from scenario_versions where scenario_id = $1",
        )
        .bind(new.id)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("insert into scenario_versions (scenario_id, version, definition, created_at) values ($1, $2, $3, $4)")
            .bind(new.id)
            .bind(version)
            .bind(new.definition)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(version)
    }

    /// A custom scenario not archived, at its latest version (or `version`).
    pub async fn fetch_scenario(
        &self,
        id: &str,
        version: Option<i64>,
    ) -> Result<Option<StoredScenario>, StoreError> {
        let row: Option<ScenarioRow> = sqlx::query_as(
            "select s.id, s.kind, s.category, s.description, v.version, v.definition, s.created_at, v.created_at
             from scenarios s join scenario_versions v on v.scenario_id = s.id
             where s.id = $1 and s.archived_at is null and ($2 is null and v.version = (select max(version) from scenario_versions where scenario_id = s.id) or v.version = $3)",
        )
        .bind(id)
        .bind(version)
        .bind(version)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(
            |(id, kind, category, description, version, definition, created_at, updated_at)| {
                StoredScenario {
                    id,
                    kind,
                    category,
                    description,
                    version,
                    definition,
                    created_at,
                    updated_at,
                }
            },
        ))
    }

    /// Every custom scenario not archived, at its latest version.
    pub async fn list_scenarios(&self) -> Result<Vec<StoredScenario>, StoreError> {
        let ids: Vec<String> = sqlx::query_scalar(
            "select id from scenarios where source = 'custom' and archived_at is null order by id",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(s) = self.fetch_scenario(&id, None).await? {
                out.push(s);
            }
        }
        Ok(out)
    }

    /// Every version of a custom scenario, oldest first.
    pub async fn list_scenario_versions(
        &self,
        id: &str,
    ) -> Result<Vec<ScenarioVersion>, StoreError> {
        Ok(sqlx::query_as("select version, definition, created_at from scenario_versions where scenario_id = $1 order by version")
            .bind(id)
            .fetch_all(&self.pool)
            .await?)
    }

    /// The id of a custom scenario (archived or not) that equals `id` in any case
    /// but is spelled differently (`Market-Crash` for `market-crash`), if any.
    pub async fn fetch_case_variant(&self, id: &str) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "select id from scenarios where lower(id) = lower($1) and id <> $2 limit 1",
        )
        .bind(id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Archives a custom scenario (its versions and executions are kept); false if there is none.
    pub async fn archive_scenario(&self, id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("update scenarios set archived_at = $1 where id = $2 and source = 'custom' and archived_at is null")
            .bind(now())
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn uploads_keep_every_version_and_archiving_hides_without_losing() {
        let (_guard, store) = crate::store::testing::store().await;
        let new = |definition| NewVersion {
            id: "my-test",
            kind: "scenario",
            category: Some("market"),
            description: None,
            definition,
        };
        assert_eq!(store.insert_scenario_version(&new("v1")).await.unwrap(), 1);
        assert_eq!(store.insert_scenario_version(&new("v2")).await.unwrap(), 2);
        let latest = store
            .fetch_scenario("my-test", None)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((latest.version, latest.definition.as_str()), (2, "v2"));
        assert_eq!(
            store
                .fetch_scenario("my-test", Some(1))
                .await
                .unwrap()
                .unwrap()
                .definition,
            "v1"
        );
        assert_eq!(
            store.list_scenario_versions("my-test").await.unwrap().len(),
            2
        );
        assert!(store.archive_scenario("my-test").await.unwrap());
        assert!(store
            .fetch_scenario("my-test", None)
            .await
            .unwrap()
            .is_none());
        assert!(store.list_scenarios().await.unwrap().is_empty());
        assert_eq!(
            store.list_scenario_versions("my-test").await.unwrap().len(),
            2,
            "versions survive the archive"
        );
        assert!(!store.archive_scenario("my-test").await.unwrap());
        assert_eq!(
            store.insert_scenario_version(&new("v3")).await.unwrap(),
            3,
            "uploading again restores it"
        );
    }
}
