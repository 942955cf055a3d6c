//! Teams' use cases (issue 16, docs/auth.md): signing in and out, accounts,
//! API tokens, resolving a presented secret to a [`Principal`], and the audit
//! log. The REST handlers (`http::auth`), the server functions
//! (`app::server_fns::team`), the request gate (`auth::gate`) and the CLI's
//! offline `users`/`tokens` commands all call these.

use std::time::Duration;

use app::api::{
    auth::{
        AuditPage, AuditQuery, AuthMode, CreatedToken, Credentials, Me, NewToken, NewUser,
        Principal, Role, TokenInfo, UserInfo, Via,
    },
    ApiError, ErrorKind,
};
use app::scenario::duration::parse_duration_within;
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

use super::{invalid, Coordinator};
use crate::{
    auth::{
        password,
        secret::{new_secret, sha256_hex, SESSION_PREFIX, TOKEN_PREFIX},
    },
    store::{AuditFilter, NewAuditRecord, NewTokenRecord, UserRemoval, BOOTSTRAP},
};

#[cfg(test)]
mod tests;

/// Most accounts a coordinator keeps.
pub const MAX_USERS: i64 = 10_000;
/// Most live (not revoked, not expired) tokens per user.
pub const MAX_LIVE_TOKENS: i64 = 100;
/// Shortest password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longest password accepted, in characters.
pub const MAX_PASSWORD_CHARS: usize = 1024;
/// Shortest token life.
pub const MIN_TOKEN_LIFE: Duration = Duration::from_secs(60);
/// Longest token life.
pub const MAX_TOKEN_LIFE: Duration = Duration::from_secs(365 * 86_400);
/// Audit rows per page when the query does not say.
pub const DEFAULT_AUDIT_LIMIT: u32 = 100;
/// Most audit rows per page.
pub const MAX_AUDIT_LIMIT: u32 = 500;
/// Longer presented secrets are refused unhashed (ours are 68 characters).
const MAX_SECRET_BYTES: usize = 256;

/// A session just opened by [`Coordinator::sign_in`].
#[derive(Debug, Clone)]
pub struct OpenedSession {
    /// The cookie's secret (only its SHA-256 is stored).
    pub secret: String,
    /// The session's CSRF token.
    pub csrf: String,
    /// Who signed in.
    pub principal: Principal,
}

/// One audit row to append (the log's id and time are the store's).
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    /// `Principal::actor()`, or `anonymous`.
    pub actor: String,
    /// The client's address.
    pub address: String,
    /// The use case (`execute`, `stop-execution`, `sign-in`, …).
    pub action: String,
    /// Its target, if any.
    pub target: Option<String>,
    /// The answer's status code.
    pub status: u16,
}

impl Coordinator {
    /// The principal an API token stands for, and records its use. A 401
    /// (`ErrorKind::Unauthorized`) says "token revoked", "token expired" or
    /// "unknown token".
    pub async fn principal_for_token(&self, secret: &str) -> Result<Principal, ApiError> {
        if secret.len() > MAX_SECRET_BYTES {
            return Err(unauthorized("unknown token"));
        }
        let Some(token) = self
            .store
            .fetch_token_by_secret(&sha256_hex(secret))
            .await?
        else {
            return Err(unauthorized("unknown token"));
        };
        let info = &token.info;
        if info.revoked_at.is_some() {
            return Err(unauthorized("token revoked"));
        }
        let now = OffsetDateTime::now_utc();
        if info
            .expires_at
            .as_deref()
            .is_some_and(|at| parse_time(at).is_none_or(|at| at <= now))
        {
            return Err(unauthorized("token expired"));
        }
        let principal = if token.bootstrap {
            bootstrap_principal()
        } else {
            // A token never does more than its user may do now.
            let Some(user_role) = token.user_role else {
                return Err(unauthorized("unknown token"));
            };
            Principal::with_token(&info.user, info.role.min(user_role), &info.name)
        };
        let stale = info
            .last_used_at
            .as_deref()
            .and_then(parse_time)
            .is_none_or(|at| now - at >= time::Duration::minutes(1));
        if stale {
            self.store.mark_token_used(&info.id).await?;
        }
        Ok(principal)
    }

    /// The principal and CSRF token of a session cookie's secret; extends the
    /// session (sliding `auth.session_ttl`). A 401 when unknown or expired.
    pub async fn principal_for_session(
        &self,
        secret: &str,
    ) -> Result<(Principal, String), ApiError> {
        if secret.len() > MAX_SECRET_BYTES {
            return Err(unauthorized("not signed in"));
        }
        let hash = sha256_hex(secret);
        let Some(session) = self.store.fetch_session(&hash).await? else {
            return Err(unauthorized("not signed in"));
        };
        let now = now_ms();
        if session.expires_at <= now {
            self.store.delete_session(&hash).await?;
            return Err(unauthorized("session expired"));
        }
        let ttl = duration_ms(self.config.auth.session_ttl);
        let expires_at = now.saturating_add(ttl);
        // Sliding expiry, written at most about once a minute per session.
        if expires_at - session.expires_at >= 60_000 {
            self.store.extend_session(&hash, expires_at).await?;
        }
        let principal = Principal::new(session.user, session.role, Via::Session);
        Ok((principal, session.csrf))
    }

    /// Checks `request`'s password (argon2id, off the async threads) and opens
    /// a session. A 401 "wrong name or password" whichever of the two is wrong.
    pub async fn sign_in(&self, request: Credentials) -> Result<OpenedSession, ApiError> {
        let wrong = || unauthorized("wrong name or password");
        // Longer than any stored password: refused without hashing a megabyte.
        if request.password.len() > 4 * MAX_PASSWORD_CHARS || request.name.len() > 256 {
            return Err(wrong());
        }
        let user = self.store.fetch_user(&request.name).await?;
        let hash = user.as_ref().map(|user| user.password_hash.clone());
        let matches = password::verify_password(request.password, hash)
            .await
            .map_err(password_failed)?;
        let Some(user) = user.filter(|_| matches) else {
            return Err(wrong());
        };
        self.store.mark_user_signed_in(&user.info.name).await?;
        let secret = new_secret(SESSION_PREFIX);
        let csrf = new_secret("");
        let expires_at = now_ms().saturating_add(duration_ms(self.config.auth.session_ttl));
        self.store
            .insert_session(&sha256_hex(&secret), &user.info.name, &csrf, expires_at)
            .await?;
        Ok(OpenedSession {
            secret,
            csrf,
            principal: Principal::new(user.info.name, user.info.role, Via::Session),
        })
    }

    /// Ends the session with cookie secret `secret`; unknown secrets are fine.
    pub async fn sign_out(&self, secret: &str) -> Result<(), ApiError> {
        if secret.len() <= MAX_SECRET_BYTES {
            self.store.delete_session(&sha256_hex(secret)).await?;
        }
        Ok(())
    }

    /// Every account, by name.
    pub async fn list_users(&self) -> Result<Vec<UserInfo>, ApiError> {
        Ok(self.store.list_users().await?)
    }

    /// Creates an account (409 when the name is taken; 400 for a bad name or
    /// a password outside 12-1024 characters). Creating an admin revokes the
    /// bootstrap token.
    pub async fn add_user(&self, user: NewUser) -> Result<UserInfo, ApiError> {
        check_user_name(&user.name)?;
        check_password(&user.password)?;
        if self.store.count_users().await? >= MAX_USERS {
            return Err(conflict(format!(
                "users: there are already {MAX_USERS} accounts, the most allowed; remove one first"
            )));
        }
        let hash = password::hash_password(user.password)
            .await
            .map_err(password_failed)?;
        let Some(info) = self.store.insert_user(&user.name, user.role, &hash).await? else {
            return Err(conflict(format!("name: user {} already exists", user.name)));
        };
        if info.role == Role::Admin {
            let revoked = self.store.revoke_bootstrap_tokens().await?;
            if revoked > 0 {
                tracing::info!(admin = %info.name, "the first admin exists: the bootstrap token is revoked");
            }
        }
        Ok(info)
    }

    /// Removes an account with its tokens and sessions (404 unknown; 409 for
    /// the last admin).
    pub async fn remove_user(&self, name: &str) -> Result<(), ApiError> {
        match self.store.delete_user(name).await? {
            UserRemoval::Removed => Ok(()),
            UserRemoval::NotFound => Err(no_user(name)),
            UserRemoval::LastAdmin => Err(conflict(format!(
                "{name} is the last admin; make another user admin before removing this one"
            ))),
        }
    }

    /// The caller's tokens, or every token for an admin; newest first.
    pub async fn list_tokens(&self, caller: &Principal) -> Result<Vec<TokenInfo>, ApiError> {
        let user = (!caller.can(Role::Admin)).then_some(caller.name.as_str());
        Ok(self.store.list_tokens(user).await?)
    }

    /// Creates a token for the caller, or for `request.user` when the caller is
    /// an admin (403 otherwise); its role is at most its owner's (403 above).
    pub async fn create_token(
        &self,
        caller: &Principal,
        request: NewToken,
    ) -> Result<CreatedToken, ApiError> {
        if is_bootstrap(caller) {
            return Err(ApiError::new(
                ErrorKind::InsufficientRole,
                "the bootstrap token cannot create tokens: create the first admin with POST /api/v1/users",
            ));
        }
        check_token_name(&request.name)?;
        let expires_at = request
            .expires_in
            .as_deref()
            .map(expiry_after)
            .transpose()?;
        let owner_name = request.user.unwrap_or_else(|| caller.name.clone());
        if owner_name != caller.name && !caller.can(Role::Admin) {
            return Err(ApiError::new(
                ErrorKind::InsufficientRole,
                "user: only an admin may create tokens for another user",
            ));
        }
        let Some(owner) = self.store.fetch_user(&owner_name).await? else {
            return Err(no_user(&owner_name));
        };
        // Never above the owner's role, nor above what the caller may do now
        // (a viewer token of an admin cannot mint an admin token).
        let ceiling = owner.info.role.min(caller.role);
        let role = request.role.unwrap_or(ceiling);
        if role > ceiling {
            return Err(ApiError::new(
                ErrorKind::InsufficientRole,
                format!("role: a token of {owner_name} may be at most {ceiling}, not {role}"),
            ));
        }
        let secret = new_secret(TOKEN_PREFIX);
        let id = uuid::Uuid::new_v4().to_string();
        let record = NewTokenRecord {
            id: &id,
            name: &request.name,
            user: Some(&owner_name),
            role,
            secret_sha256: &sha256_hex(&secret),
            expires_at: expires_at.as_deref(),
        };
        let Some(info) = self.store.insert_token(&record, MAX_LIVE_TOKENS).await? else {
            return Err(conflict(format!(
                "user: {owner_name} already has {MAX_LIVE_TOKENS} live tokens, the most allowed; revoke one first"
            )));
        };
        Ok(CreatedToken {
            token: secret,
            info,
        })
    }

    /// Revokes token `id`: the caller's own, or any for an admin (404 otherwise).
    pub async fn revoke_token(&self, caller: &Principal, id: &str) -> Result<TokenInfo, ApiError> {
        let no_token = || ApiError::new(ErrorKind::NotFound, format!("no token {id}"));
        if id.len() > 64 {
            return Err(no_token());
        }
        let Some(token) = self.store.fetch_token(id).await? else {
            return Err(no_token());
        };
        let own = !token.bootstrap && token.info.user == caller.name;
        if !own && !caller.can(Role::Admin) {
            return Err(no_token());
        }
        self.store.revoke_token(id).await?;
        let token = self.store.fetch_token(id).await?.ok_or_else(no_token)?;
        Ok(token.info)
    }

    /// One page of the audit log, newest first (400 for a bad day or limit).
    pub async fn audit_page(&self, query: AuditQuery) -> Result<AuditPage, ApiError> {
        let limit = query.limit.unwrap_or(DEFAULT_AUDIT_LIMIT);
        if !(1..=MAX_AUDIT_LIMIT).contains(&limit) {
            return Err(invalid(format!(
                "limit: expected 1 to {MAX_AUDIT_LIMIT}, got {limit}"
            )));
        }
        for (field, value) in [("user", &query.user), ("action", &query.action)] {
            if value.as_ref().is_some_and(|v| v.len() > 256) {
                return Err(invalid(format!("{field}: at most 256 characters")));
            }
        }
        let (from, until) = match query.day.as_deref() {
            None => (None, None),
            Some(day) => {
                let (from, until) = day_bounds(day)?;
                (Some(from), Some(until))
            }
        };
        let filter = AuditFilter {
            user: query.user.filter(|u| !u.is_empty()),
            action: query.action.filter(|a| !a.is_empty()),
            from,
            until,
            before: query.before,
            limit: limit + 1,
        };
        let mut entries = self.store.list_audit(&filter).await?;
        let more = entries.len() > limit as usize;
        entries.truncate(limit as usize);
        let next_before = if more {
            entries.last().map(|e| e.id)
        } else {
            None
        };
        Ok(AuditPage {
            entries,
            next_before,
        })
    }

    /// Appends one row to the audit log.
    pub async fn record_audit(&self, record: AuditRecord) -> Result<(), ApiError> {
        self.store
            .insert_audit(&NewAuditRecord {
                actor: &record.actor,
                address: &record.address,
                action: &record.action,
                target: record.target.as_deref(),
                status: record.status,
            })
            .await?;
        Ok(())
    }

    /// In `users` mode with no admin: revokes any earlier bootstrap token and
    /// makes a new admin one, whose secret is returned to be printed once.
    /// `None` once an admin exists.
    pub async fn ensure_bootstrap_token(&self) -> Result<Option<String>, ApiError> {
        if self.config.auth.mode != AuthMode::Users || self.store.count_admins().await? > 0 {
            return Ok(None);
        }
        self.store.revoke_bootstrap_tokens().await?;
        let secret = new_secret(TOKEN_PREFIX);
        let id = uuid::Uuid::new_v4().to_string();
        let record = NewTokenRecord {
            id: &id,
            name: BOOTSTRAP,
            user: None,
            role: Role::Admin,
            secret_sha256: &sha256_hex(&secret),
            expires_at: None,
        };
        self.store.insert_token(&record, 1).await?.ok_or_else(|| {
            tracing::error!("a bootstrap token is still live after revoking them all");
            ApiError::internal()
        })?;
        Ok(Some(secret))
    }

    /// The viewer `principal` (with `csrf`) as the page and `me` see it.
    pub fn me(&self, principal: Option<Principal>, csrf: Option<String>) -> Me {
        Me {
            mode: self.config.auth.mode,
            principal,
            csrf,
        }
    }
}

/// The principal of the bootstrap token: an admin that may only create the
/// first admin (it cannot make tokens).
pub fn bootstrap_principal() -> Principal {
    Principal::new(BOOTSTRAP, Role::Admin, Via::Token)
}

/// Whether `principal` came with the bootstrap token.
pub fn is_bootstrap(principal: &Principal) -> bool {
    principal.via == Via::Token && principal.name == BOOTSTRAP && principal.token.is_none()
}

/// Checks a user name: 1-64 characters of `a-z`, `0-9`, `.`, `_`, `-`, `@`
/// (not `bootstrap` nor `anonymous`, which the audit log uses).
pub fn check_user_name(name: &str) -> Result<(), ApiError> {
    if !(1..=64).contains(&name.len())
        || !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._@-".contains(&b))
    {
        return Err(invalid(format!(
            "name: expected 1-64 characters of a-z, 0-9, '.', '_', '-', '@', got {:?}",
            shorten(name)
        )));
    }
    if name == BOOTSTRAP || name == "anonymous" {
        return Err(invalid(format!(
            "name: {name} is reserved for the audit log; choose another"
        )));
    }
    Ok(())
}

/// Checks a token name: 1-64 characters of `a-z`, `0-9`, `.`, `_`, `-`.
pub fn check_token_name(name: &str) -> Result<(), ApiError> {
    if !(1..=64).contains(&name.len())
        || !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
    {
        return Err(invalid(format!(
            "name: expected 1-64 characters of a-z, 0-9, '.', '_', '-', got {:?}",
            shorten(name)
        )));
    }
    Ok(())
}

/// Checks a password's length: 12-1024 characters.
pub fn check_password(password: &str) -> Result<(), ApiError> {
    let chars = password.chars().take(MAX_PASSWORD_CHARS + 1).count();
    if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&chars) {
        return Err(invalid(format!(
            "password: expected {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters"
        )));
    }
    Ok(())
}

/// The expiry (RFC 3339) of a token created now that works for `expires_in`
/// (`30d`; 1 minute to 365 days).
pub fn expiry_after(expires_in: &str) -> Result<String, ApiError> {
    let refuse = || {
        invalid(format!(
            "expires_in: expected a duration from 1m to 365d such as 30d, got {:?}",
            shorten(expires_in)
        ))
    };
    let duration = parse_duration_within(expires_in, MAX_TOKEN_LIFE)
        .ok()
        .filter(|d| (MIN_TOKEN_LIFE..=MAX_TOKEN_LIFE).contains(d))
        .ok_or_else(refuse)?;
    let duration = time::Duration::try_from(duration).map_err(|_| refuse())?;
    (OffsetDateTime::now_utc() + duration)
        .format(&Rfc3339)
        .map_err(|_| refuse())
}

/// `[day, next day)` as RFC 3339 prefixes for `day` (`2026-12-01`).
fn day_bounds(day: &str) -> Result<(String, String), ApiError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let refuse = || {
        invalid(format!(
            "day: expected a date such as 2026-12-01, got {:?}",
            shorten(day)
        ))
    };
    let date = time::Date::parse(day, &format).map_err(|_| refuse())?;
    let next = date.next_day().ok_or_else(refuse)?;
    let text = |d: time::Date| d.format(&format).map_err(|_| refuse());
    Ok((text(date)?, text(next)?))
}

fn parse_time(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

fn now_ms() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(now.as_millis()).unwrap_or(i64::MAX)
}

fn duration_ms(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// At most 40 characters of a refused value, for messages.
fn shorten(text: &str) -> String {
    text.chars().take(40).collect()
}

fn unauthorized(message: &str) -> ApiError {
    ApiError::new(ErrorKind::Unauthorized, message)
}

fn conflict(message: String) -> ApiError {
    ApiError::new(ErrorKind::Conflict, message)
}

fn no_user(name: &str) -> ApiError {
    ApiError::new(ErrorKind::NotFound, format!("no user {}", shorten(name)))
}

fn password_failed(error: password::PasswordError) -> ApiError {
    tracing::error!(error.cause_chain = ?error, "password hashing failed");
    ApiError::internal()
}
