//! Teams (issue 16, docs/auth.md): who is asking, what their role lets them do,
//! the accounts and API tokens an admin manages, and the audit log.
//!
//! The role table itself (which route needs which role) is the server's
//! (`server::auth::rules`); the browser only needs a principal's role to hide
//! what it may not use.

use serde::{Deserialize, Serialize};

/// What a principal may do. Ordered: each role may do everything the one
/// before it may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads everything: executions, reports, scenarios, services, the audit log.
    Viewer,
    /// Also runs, controls, uploads, schedules, and injects or clears chaos by hand.
    Operator,
    /// Also manages users, every user's tokens, and settings.
    Admin,
}

impl Role {
    /// Every role, lowest first.
    pub const ALL: [Role; 3] = [Role::Viewer, Role::Operator, Role::Admin];

    /// The name written in config, the database and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Operator => "operator",
            Self::Admin => "admin",
        }
    }

    /// The role named `name` (`viewer`, `operator`, `admin`).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == name)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the server knows who is asking (`auth.mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AuthMode {
    /// Loopback only, no sign-in: every request is the local OS user, as admin.
    Local,
    /// Accounts with passwords, sessions and API tokens.
    Users,
    /// A trusted SSO proxy's `X-Forwarded-User` (and groups) headers.
    Proxy,
}

impl AuthMode {
    /// The name written in config and `TEST_COORDINATOR_AUTH_MODE`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Local => "local",
            Self::Users => "users",
            Self::Proxy => "proxy",
        }
    }
}

/// How a principal proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Via {
    /// `auth.mode: local`: the OS user running the server.
    Local,
    /// A signed-in browser's session cookie.
    Session,
    /// An API token (`Authorization: Bearer …`).
    Token,
    /// A trusted proxy's headers.
    Proxy,
}

/// Who is asking, once the server has checked it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Principal {
    /// The user's name (`alice`), or `local:<os-user>` in local mode.
    pub name: String,
    /// What they may do (a token's role, when they came with a token).
    pub role: Role,
    /// How they proved it.
    pub via: Via,
    /// The token's name, when they came with one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

impl Principal {
    /// `name` with `role`, proved `via` a session, the proxy or local mode
    /// (no token).
    pub fn new(name: impl Into<String>, role: Role, via: Via) -> Self {
        Self {
            name: name.into(),
            role,
            via,
            token: None,
        }
    }

    /// `name` acting through their token `token` with `role`.
    pub fn with_token(name: impl Into<String>, role: Role, token: impl Into<String>) -> Self {
        Self {
            token: Some(token.into()),
            ..Self::new(name, role, Via::Token)
        }
    }

    /// Whether this principal's role is at least `role`.
    pub fn can(&self, role: Role) -> bool {
        self.role >= role
    }

    /// The name the history and the audit log record: `alice`, `local:ana`, or
    /// `alice (token ci-nightly)` for a token.
    pub fn actor(&self) -> String {
        match &self.token {
            Some(token) => format!("{} (token {token})", self.name),
            None => self.name.clone(),
        }
    }
}

/// What the page knows about its viewer: rendered into every page so the
/// browser can hide what the role may not use, and carry the CSRF token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Me {
    /// The server's mode.
    pub mode: AuthMode,
    /// Who is signed in; none for an anonymous visitor (users and proxy modes).
    pub principal: Option<Principal>,
    /// The token this browser sends in `x-csrf-token` on every state change:
    /// its session's, or before sign-in the `tc_csrf` cookie's. None where no
    /// cookie authenticates (local mode, API tokens).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csrf: Option<String>,
}

impl Me {
    /// Whether the viewer may do what `role` may (false for nobody signed in).
    pub fn can(&self, role: Role) -> bool {
        self.principal.as_ref().is_some_and(|p| p.can(role))
    }
}

/// An account, as an admin sees it (never its password hash).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UserInfo {
    /// Sign-in name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Created (RFC 3339).
    pub created_at: String,
    /// Last successful sign-in (RFC 3339), if any.
    pub last_sign_in_at: Option<String>,
}

/// An account to create (`POST /api/v1/users`, `users add`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// Sign-in name: 1-64 characters of `a-z`, `0-9`, `.`, `_`, `-`, `@`.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Password, 12-1024 characters; hashed with argon2id, never stored.
    pub password: String,
}

/// An API token, as listed (never its secret).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TokenInfo {
    /// Id, for revoking.
    pub id: String,
    /// The name its owner gave it (`ci-nightly`).
    pub name: String,
    /// The user it acts for.
    pub user: String,
    /// Its role, never above its owner's.
    pub role: Role,
    /// Created (RFC 3339).
    pub created_at: String,
    /// When it stops working (RFC 3339), if ever.
    pub expires_at: Option<String>,
    /// Last request it authenticated (RFC 3339), if any.
    pub last_used_at: Option<String>,
    /// When it was revoked (RFC 3339), if it was.
    pub revoked_at: Option<String>,
}

/// A token to create (`POST /api/v1/tokens`, `tokens create`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// A name for people: 1-64 characters of `a-z`, `0-9`, `.`, `_`, `-`.
    pub name: String,
    /// Its role; at most the owner's. The owner's role when left out.
    #[serde(default)]
    pub role: Option<Role>,
    /// The user it acts for; only an admin may name another user. The caller
    /// when left out.
    #[serde(default)]
    pub user: Option<String>,
    /// How long it works (`30d`, `12h`), at most 365 days; forever when left out.
    #[serde(default)]
    pub expires_in: Option<String>,
}

/// A token just created: its secret is shown this once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CreatedToken {
    /// The secret to send as `Authorization: Bearer …`. Stored only as a hash.
    pub token: String,
    /// The token as it will be listed.
    pub info: TokenInfo,
}

/// A sign-in attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Credentials {
    /// Sign-in name.
    pub name: String,
    /// Password.
    pub password: String,
}

/// Whether an audited request was carried out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AuditOutcome {
    /// Answered 2xx.
    Accepted,
    /// Refused before it ran (401, 403, 429) or answered with an error.
    Refused,
}

/// One row of the audit log: one state-changing request, accepted or refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
// The report has an `AuditEntry` of its own (an audit correlator's event):
// one name per component in the OpenAPI document.
#[cfg_attr(feature = "ssr", schema(as = AuditLogEntry))]
pub struct AuditEntry {
    /// Position in the log, increasing.
    pub id: i64,
    /// When (RFC 3339).
    pub at: String,
    /// Who: a user's name, `alice (token ci)`, `local:<os-user>`, or
    /// `anonymous` (a refused request from nobody signed in).
    pub actor: String,
    /// The address the request came from.
    pub address: String,
    /// What: the use case (`execute`, `stop-execution`, `sign-in`, …).
    pub action: String,
    /// Its target (an execution id, a scenario, a service, a user), if any.
    pub target: Option<String>,
    /// The HTTP status it was answered with.
    pub status: u16,
    /// Accepted or refused.
    pub outcome: AuditOutcome,
}

/// A filter over the audit log (`GET /api/v1/audit`, the `/audit` page).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, utoipa::IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Only this actor's rows (exact name; a token's rows count as its user's).
    #[serde(default)]
    pub user: Option<String>,
    /// Only this action.
    #[serde(default)]
    pub action: Option<String>,
    /// Only this UTC day (`2026-12-01`).
    #[serde(default)]
    pub day: Option<String>,
    /// Only rows older than this id (the next page).
    #[serde(default)]
    pub before: Option<i64>,
    /// At most this many rows (1-500, default 100).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// One page of the audit log, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuditPage {
    /// The rows.
    pub entries: Vec<AuditEntry>,
    /// `before` for the next page, when there is one.
    pub next_before: Option<i64>,
}

/// The cookie a signed-in browser's session travels in (`HttpOnly`, `SameSite=Lax`).
pub const SESSION_COOKIE: &str = "tc_session";
/// The cookie holding the pre-sign-in CSRF token (double submit; `SameSite=Strict`).
pub const CSRF_COOKIE: &str = "tc_csrf";
/// The header the browser sends its CSRF token in on every state change.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The `<meta name>` every page carries its viewer in (JSON of [`Me`] plus `csrf`).
pub const ME_META: &str = "tc-me";

/// The value of cookie `name` in `headers`' `Cookie` lines, if set.
#[cfg(feature = "ssr")]
pub fn cookie(headers: &http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|line| line.to_str().ok())
        .flat_map(|line| line.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim().to_owned())
}

/// Every action the audit log records (the use cases of `server::auth::rules`;
/// a test keeps the two equal): the audit page suggests them as filters.
pub const AUDIT_ACTIONS: [&str; 42] = [
    "sign-in",
    "sign-out",
    "execute",
    "rerun-execution",
    "stop-execution",
    "pause-execution",
    "resume-execution",
    "skip-phase",
    "start-suite",
    "save-scenario",
    "upload-scenario",
    "duplicate-scenario",
    "archive-scenario",
    "clear-chaos",
    "inject-chaos",
    "create-schedule",
    "enable-schedule",
    "disable-schedule",
    "set-schedule-enabled",
    "trigger-schedule",
    "remove-schedule",
    "start-recording",
    "stop-recording",
    "import-recording",
    "remove-recording",
    "start-replay",
    "pause-replay",
    "resume-replay",
    "stop-replay",
    "import-orchestration",
    "remove-orchestration",
    "start-orchestration",
    "stop-orchestration",
    "pause-suite",
    "resume-suite",
    "skip-suite-step",
    "stop-suite",
    "create-token",
    "revoke-token",
    "add-user",
    "remove-user",
    "control",
];
