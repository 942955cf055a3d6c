//! Teams' use cases (issue 16, docs/auth.md): signing in and out, accounts,
//! API tokens, resolving a presented secret to a [`Principal`], and the audit
//! log. The REST handlers (`http::auth`), the server functions
//! (`app::server_fns::team`), the request gate (`auth::gate`) and the CLI's
//! offline `users`/`tokens` commands all call these.

use app::api::{
    auth::{
        AuditPage, AuditQuery, CreatedToken, Credentials, Me, NewToken, NewUser, Principal,
        TokenInfo, UserInfo,
    },
    ApiError,
};

use super::Coordinator;

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
        let _ = secret;
        todo!("issue 16: store")
    }

    /// The principal and CSRF token of a session cookie's secret; extends the
    /// session (sliding `auth.session_ttl`). A 401 when unknown or expired.
    pub async fn principal_for_session(
        &self,
        secret: &str,
    ) -> Result<(Principal, String), ApiError> {
        let _ = secret;
        todo!("issue 16: store")
    }

    /// Checks `request`'s password (argon2id, off the async threads) and opens
    /// a session. A 401 "wrong name or password" whichever of the two is wrong.
    pub async fn sign_in(&self, request: Credentials) -> Result<OpenedSession, ApiError> {
        let _ = request;
        todo!("issue 16: store")
    }

    /// Ends the session with cookie secret `secret`; unknown secrets are fine.
    pub async fn sign_out(&self, secret: &str) -> Result<(), ApiError> {
        let _ = secret;
        todo!("issue 16: store")
    }

    /// Every account, by name.
    pub async fn list_users(&self) -> Result<Vec<UserInfo>, ApiError> {
        todo!("issue 16: store")
    }

    /// Creates an account (409 when the name is taken; 400 for a bad name or
    /// a password outside 12-1024 characters). Creating an admin revokes the
    /// bootstrap token.
    pub async fn add_user(&self, user: NewUser) -> Result<UserInfo, ApiError> {
        let _ = user;
        todo!("issue 16: store")
    }

    /// Removes an account with its tokens and sessions (404 unknown; 409 for
    /// the last admin).
    pub async fn remove_user(&self, name: &str) -> Result<(), ApiError> {
        let _ = name;
        todo!("issue 16: store")
    }

    /// The caller's tokens, or every token for an admin; newest first.
    pub async fn list_tokens(&self, caller: &Principal) -> Result<Vec<TokenInfo>, ApiError> {
        let _ = caller;
        todo!("issue 16: store")
    }

    /// Creates a token for the caller, or for `request.user` when the caller is
    /// an admin (403 otherwise); its role is at most its owner's (403 above).
    pub async fn create_token(
        &self,
        caller: &Principal,
        request: NewToken,
    ) -> Result<CreatedToken, ApiError> {
        let _ = (caller, request);
        todo!("issue 16: store")
    }

    /// Revokes token `id`: the caller's own, or any for an admin (404 otherwise).
    pub async fn revoke_token(&self, caller: &Principal, id: &str) -> Result<TokenInfo, ApiError> {
        let _ = (caller, id);
        todo!("issue 16: store")
    }

    /// One page of the audit log, newest first (400 for a bad day or limit).
    pub async fn audit_page(&self, query: AuditQuery) -> Result<AuditPage, ApiError> {
        let _ = query;
        todo!("issue 16: store")
    }

    /// Appends one row to the audit log.
    pub async fn record_audit(&self, record: AuditRecord) -> Result<(), ApiError> {
        let _ = record;
        todo!("issue 16: store")
    }

    /// In `users` mode with no admin: revokes any earlier bootstrap token and
    /// makes a new admin one, whose secret is returned to be printed once.
    /// `None` once an admin exists.
    pub async fn ensure_bootstrap_token(&self) -> Result<Option<String>, ApiError> {
        todo!("issue 16: store")
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
