//! Teams (issue 16, docs/auth.md): who is asking and what they may do.
//!
//! - `cookies`: the session and CSRF cookies' `Set-Cookie` values;
//! - `secret`: random secrets and their SHA-256 (tokens, sessions, CSRF);
//! - `password`: argon2id password hashes;
//! - `rules`: the role table, one rule per route and server function;
//! - `gate`: the middleware that resolves the principal (local, session,
//!   token or proxy), applies the role table and the CSRF check, limits
//!   sign-in attempts, and appends state changes to the audit log.
//!
//! The use cases (accounts, tokens, sessions, the log) are `service::auth`.

pub mod cookies;
pub mod gate;
pub mod password;
pub mod rules;
pub mod secret;

use app::api::auth::{Principal, Role, Via};

/// The principal of every request in `local` mode: the OS user running the
/// server, as admin.
pub fn local_principal() -> Principal {
    let user = whoami::fallible::username()
        .ok()
        .filter(|name| !name.is_empty())
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "unknown".to_owned());
    Principal::new(format!("local:{user}"), Role::Admin, Via::Local)
}
