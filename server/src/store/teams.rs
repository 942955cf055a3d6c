//! Teams (migration 0005, docs/auth.md): accounts, API tokens, browser
//! sessions and the append-only audit log. Secrets never reach this module:
//! tokens and sessions are found by the SHA-256 of theirs, and accounts keep
//! an argon2id PHC string.
//!
//! Limits that must hold under concurrent requests (the last admin, live
//! tokens per user) are single statements in a write transaction
//! ([`Store::begin_write`]), so two requests cannot both pass, on SQLite or on
//! PostgreSQL under read committed.

use app::api::auth::{AuditEntry, AuditOutcome, Role, TokenInfo, UserInfo};

use super::{events::now_text, owners::now_ms, Store, StoreError};

/// The name a bootstrap token (no user) is listed and acts under.
pub const BOOTSTRAP: &str = "bootstrap";

/// An account, with its password hash (for sign-in only).
#[derive(Debug, Clone)]
pub struct UserRecord {
    /// The account as listed.
    pub info: UserInfo,
    /// argon2id PHC string.
    pub password_hash: String,
}

/// A token found by its secret's hash, with its user's current role.
#[derive(Debug, Clone)]
pub struct TokenRecord {
    /// The token as listed (`user` is [`BOOTSTRAP`] for a bootstrap token).
    pub info: TokenInfo,
    /// Whether it is a bootstrap token (no user).
    pub bootstrap: bool,
    /// Its user's role now (none for a bootstrap token).
    pub user_role: Option<Role>,
}

/// A token to store.
#[derive(Debug, Clone)]
pub struct NewTokenRecord<'a> {
    /// Id (uuid).
    pub id: &'a str,
    /// Name.
    pub name: &'a str,
    /// Its user; none for a bootstrap token.
    pub user: Option<&'a str>,
    /// Role.
    pub role: Role,
    /// SHA-256 of its secret, hex.
    pub secret_sha256: &'a str,
    /// When it stops working (RFC 3339).
    pub expires_at: Option<&'a str>,
}

/// A session found by its secret's hash.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    /// Who.
    pub user: String,
    /// Their role now.
    pub role: Role,
    /// The CSRF token.
    pub csrf: String,
    /// When it ends (unix milliseconds).
    pub expires_at: i64,
}

/// What [`Store::delete_user`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserRemoval {
    /// Removed, with its tokens and sessions.
    Removed,
    /// No such user.
    NotFound,
    /// Refused: the only admin.
    LastAdmin,
}

/// A filter over the audit log, already checked.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Rows of this user: actor exactly, or `NAME (token …)`.
    pub user: Option<String>,
    /// Rows of this action.
    pub action: Option<String>,
    /// Rows at or after (RFC 3339 prefix, such as `2026-12-01`).
    pub from: Option<String>,
    /// Rows before (RFC 3339 prefix).
    pub until: Option<String>,
    /// Rows with a smaller id.
    pub before: Option<i64>,
    /// At most this many rows.
    pub limit: u32,
}

/// One audit row to append.
#[derive(Debug, Clone)]
pub struct NewAuditRecord<'a> {
    /// Who.
    pub actor: &'a str,
    /// From where.
    pub address: &'a str,
    /// The use case.
    pub action: &'a str,
    /// Its target.
    pub target: Option<&'a str>,
    /// The answer's status.
    pub status: u16,
}

fn role_from_db(text: &str) -> Result<Role, StoreError> {
    Role::parse(text).ok_or_else(|| StoreError::Corrupt(format!("unknown role {text:?}")))
}

type UserRow = (String, String, String, String, Option<String>);

/// `(id, at, actor, address, action, target, status, outcome)`.
type AuditRow = (
    i64,
    String,
    String,
    String,
    String,
    Option<String>,
    i64,
    String,
);

fn user_from_row(row: UserRow) -> Result<UserRecord, StoreError> {
    let (name, role, password_hash, created_at, last_sign_in_at) = row;
    Ok(UserRecord {
        info: UserInfo {
            name,
            role: role_from_db(&role)?,
            created_at,
            last_sign_in_at,
        },
        password_hash,
    })
}

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: String,
    name: String,
    user_name: Option<String>,
    role: String,
    created_at: String,
    expires_at: Option<String>,
    last_used_at: Option<String>,
    revoked_at: Option<String>,
    user_role: Option<String>,
}

const TOKEN_COLUMNS: &str = "t.id, t.name, t.user_name, t.role, t.created_at, t.expires_at,
    t.last_used_at, t.revoked_at, u.role as user_role
    from tokens t left join users u on u.name = t.user_name";

fn token_from_row(row: TokenRow) -> Result<TokenRecord, StoreError> {
    Ok(TokenRecord {
        bootstrap: row.user_name.is_none(),
        user_role: row.user_role.as_deref().map(role_from_db).transpose()?,
        info: TokenInfo {
            id: row.id,
            name: row.name,
            user: row.user_name.unwrap_or_else(|| BOOTSTRAP.to_owned()),
            role: role_from_db(&row.role)?,
            created_at: row.created_at,
            expires_at: row.expires_at,
            last_used_at: row.last_used_at,
            revoked_at: row.revoked_at,
        },
    })
}

/// A token counts as live until it is revoked or its expiry passes.
const LIVE_SQLITE: &str =
    "revoked_at is null and (expires_at is null or julianday(expires_at) > julianday('now'))";
/// The same on PostgreSQL, whose clock decides.
const LIVE_POSTGRES: &str =
    "revoked_at is null and (expires_at is null or expires_at::timestamptz > now())";

impl Store {
    /// How many accounts exist.
    pub async fn count_users(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("select count(*) from users")
            .fetch_one(&self.pool)
            .await?)
    }

    /// How many admins exist.
    pub async fn count_admins(&self) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar("select count(*) from users where role = 'admin'")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Stores an account; `None` when the name is taken.
    pub async fn insert_user(
        &self,
        name: &str,
        role: Role,
        password_hash: &str,
    ) -> Result<Option<UserInfo>, StoreError> {
        let created_at = now_text();
        let done = sqlx::query(
            "insert into users (name, role, password_hash, created_at) values ($1, $2, $3, $4)
             on conflict (name) do nothing",
        )
        .bind(name)
        .bind(role.as_str())
        .bind(password_hash)
        .bind(&created_at)
        .execute(&self.pool)
        .await?;
        Ok((done.rows_affected() == 1).then(|| UserInfo {
            name: name.to_owned(),
            role,
            created_at,
            last_sign_in_at: None,
        }))
    }

    /// The account `name`, with its hash.
    pub async fn fetch_user(&self, name: &str) -> Result<Option<UserRecord>, StoreError> {
        let row: Option<UserRow> = sqlx::query_as(
            "select name, role, password_hash, created_at, last_sign_in_at from users where name = $1",
        )
        .bind(name)
        .fetch_optional(&self.pool)
        .await?;
        row.map(user_from_row).transpose()
    }

    /// Every account, by name.
    pub async fn list_users(&self) -> Result<Vec<UserInfo>, StoreError> {
        let rows: Vec<UserRow> = sqlx::query_as(
            "select name, role, password_hash, created_at, last_sign_in_at from users order by name",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|row| user_from_row(row).map(|user| user.info))
            .collect()
    }

    /// Notes a successful sign-in.
    pub async fn mark_user_signed_in(&self, name: &str) -> Result<(), StoreError> {
        sqlx::query("update users set last_sign_in_at = $1 where name = $2")
            .bind(now_text())
            .bind(name)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Removes account `name` (its tokens and sessions go with it), unless it
    /// is the only admin. One statement in a write transaction, so two
    /// removals cannot both pass.
    pub async fn delete_user(&self, name: &str) -> Result<UserRemoval, StoreError> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "delete from users where name = $1 and not (role = 'admin'
               and (select count(*) from users where role = 'admin') <= 1)",
        )
        .bind(name)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        if done.rows_affected() == 1 {
            return Ok(UserRemoval::Removed);
        }
        Ok(match self.fetch_user(name).await? {
            Some(_) => UserRemoval::LastAdmin,
            None => UserRemoval::NotFound,
        })
    }

    /// Stores a token unless its user already has `max_live` live ones;
    /// `None` when refused. One statement in a write transaction, so
    /// concurrent creations cannot overshoot on either backend.
    pub async fn insert_token(
        &self,
        token: &NewTokenRecord<'_>,
        max_live: i64,
    ) -> Result<Option<TokenInfo>, StoreError> {
        let created_at = now_text();
        let live = self.dialect(LIVE_SQLITE, LIVE_POSTGRES);
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(&format!(
            "insert into tokens (id, name, user_name, role, secret_sha256, created_at, expires_at)
             select $1, $2, $3, $4, $5, $6, $7
             where (select count(*) from tokens where user_name is not distinct from $3 and {live}) < $8"
        ))
        .bind(token.id)
        .bind(token.name)
        .bind(token.user)
        .bind(token.role.as_str())
        .bind(token.secret_sha256)
        .bind(&created_at)
        .bind(token.expires_at)
        .bind(max_live)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok((done.rows_affected() == 1).then(|| TokenInfo {
            id: token.id.to_owned(),
            name: token.name.to_owned(),
            user: token.user.unwrap_or(BOOTSTRAP).to_owned(),
            role: token.role,
            created_at,
            expires_at: token.expires_at.map(str::to_owned),
            last_used_at: None,
            revoked_at: None,
        }))
    }

    /// The token whose secret hashes to `secret_sha256`.
    pub async fn fetch_token_by_secret(
        &self,
        secret_sha256: &str,
    ) -> Result<Option<TokenRecord>, StoreError> {
        let row: Option<TokenRow> = sqlx::query_as(&format!(
            "select {TOKEN_COLUMNS} where t.secret_sha256 = $1"
        ))
        .bind(secret_sha256)
        .fetch_optional(&self.pool)
        .await?;
        row.map(token_from_row).transpose()
    }

    /// Token `id`.
    pub async fn fetch_token(&self, id: &str) -> Result<Option<TokenRecord>, StoreError> {
        let row: Option<TokenRow> =
            sqlx::query_as(&format!("select {TOKEN_COLUMNS} where t.id = $1"))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        row.map(token_from_row).transpose()
    }

    /// `user`'s tokens, or every token; newest first.
    pub async fn list_tokens(&self, user: Option<&str>) -> Result<Vec<TokenInfo>, StoreError> {
        let rows: Vec<TokenRow> = sqlx::query_as(&format!(
            "select {TOKEN_COLUMNS} where $1 is null or t.user_name = $1
             order by t.created_at desc, t.rowid desc"
        ))
        .bind(user)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|row| token_from_row(row).map(|token| token.info))
            .collect()
    }

    /// Notes that token `id` authenticated a request now.
    pub async fn mark_token_used(&self, id: &str) -> Result<(), StoreError> {
        sqlx::query("update tokens set last_used_at = $1 where id = $2")
            .bind(now_text())
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Revokes token `id` (an already revoked one keeps its time).
    pub async fn revoke_token(&self, id: &str) -> Result<(), StoreError> {
        sqlx::query("update tokens set revoked_at = $1 where id = $2 and revoked_at is null")
            .bind(now_text())
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Revokes every bootstrap token still live; how many.
    pub async fn revoke_bootstrap_tokens(&self) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "update tokens set revoked_at = $1 where user_name is null and revoked_at is null",
        )
        .bind(now_text())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// Opens a session for `user` until `expires_at` (unix ms), and drops
    /// sessions that have ended.
    pub async fn insert_session(
        &self,
        secret_sha256: &str,
        user: &str,
        csrf: &str,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query("delete from sessions where expires_at <= $1")
            .bind(now_ms())
            .execute(&self.pool)
            .await?;
        sqlx::query(
            "insert into sessions (secret_sha256, user_name, csrf_token, created_at, expires_at)
             values ($1, $2, $3, $4, $5)",
        )
        .bind(secret_sha256)
        .bind(user)
        .bind(csrf)
        .bind(now_text())
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The session whose secret hashes to `secret_sha256`, with its user's role now.
    pub async fn fetch_session(
        &self,
        secret_sha256: &str,
    ) -> Result<Option<SessionRecord>, StoreError> {
        let row: Option<(String, String, String, i64)> = sqlx::query_as(
            "select s.user_name, u.role, s.csrf_token, s.expires_at
             from sessions s join users u on u.name = s.user_name where s.secret_sha256 = $1",
        )
        .bind(secret_sha256)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|(user, role, csrf, expires_at)| {
            Ok(SessionRecord {
                user,
                role: role_from_db(&role)?,
                csrf,
                expires_at,
            })
        })
        .transpose()
    }

    /// Moves a session's end to `expires_at` (unix ms).
    pub async fn extend_session(
        &self,
        secret_sha256: &str,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query("update sessions set expires_at = $1 where secret_sha256 = $2")
            .bind(expires_at)
            .bind(secret_sha256)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Ends a session (unknown ones are fine).
    pub async fn delete_session(&self, secret_sha256: &str) -> Result<(), StoreError> {
        sqlx::query("delete from sessions where secret_sha256 = $1")
            .bind(secret_sha256)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Appends one row to the audit log.
    pub async fn insert_audit(&self, record: &NewAuditRecord<'_>) -> Result<(), StoreError> {
        let outcome = if (200..300).contains(&record.status) {
            "accepted"
        } else {
            "refused"
        };
        sqlx::query(
            "insert into audit (at, actor, address, action, target, status, outcome)
             values ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(now_text())
        .bind(record.actor)
        .bind(record.address)
        .bind(record.action)
        .bind(record.target)
        .bind(i64::from(record.status))
        .bind(outcome)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Audit rows matching `filter`, newest first.
    pub async fn list_audit(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError> {
        let token_prefix = filter.user.as_ref().map(|user| format!("{user} (token "));
        let rows: Vec<AuditRow> = sqlx::query_as(
            "select id, at, actor, address, action, target, status, outcome from audit
                 where ($1 is null or actor = $1 or substr(actor, 1, length($2)) = $2)
                   and ($3 is null or action = $3)
                   and ($4 is null or at >= $4)
                   and ($5 is null or at < $5)
                   and ($6 is null or id < $6)
                 order by id desc limit $7",
        )
        .bind(filter.user.as_deref())
        .bind(token_prefix)
        .bind(filter.action.as_deref())
        .bind(filter.from.as_deref())
        .bind(filter.until.as_deref())
        .bind(filter.before)
        .bind(i64::from(filter.limit))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(
                |(id, at, actor, address, action, target, status, outcome)| {
                    Ok(AuditEntry {
                        id,
                        at,
                        actor,
                        address,
                        action,
                        target,
                        status: u16::try_from(status).map_err(|_| {
                            StoreError::Corrupt(format!("audit row {id} has status {status}"))
                        })?,
                        outcome: match outcome.as_str() {
                            "accepted" => AuditOutcome::Accepted,
                            "refused" => AuditOutcome::Refused,
                            other => {
                                return Err(StoreError::Corrupt(format!(
                                    "audit row {id} has outcome {other:?}"
                                )))
                            }
                        },
                    })
                },
            )
            .collect()
    }
}
