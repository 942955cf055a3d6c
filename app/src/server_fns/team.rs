//! Server functions of teams (docs/auth.md): the viewer, signing in and out,
//! accounts, API tokens and the audit log. The server's gate checks the role
//! table and the CSRF token before any of these runs.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use super::csrf::CsrfClient;

use crate::api::{
    auth::{
        AuditPage, AuditQuery, CreatedToken, Credentials, Me, NewToken, NewUser, TokenInfo,
        UserInfo,
    },
    ApiError,
};

/// Sets each `Set-Cookie` value on the server function's response.
#[cfg(feature = "ssr")]
fn set_cookies(cookies: Vec<String>) {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        for cookie in cookies {
            if let Ok(value) = http::HeaderValue::from_str(&cookie) {
                response.append_header(http::header::SET_COOKIE, value);
            }
        }
    }
}

/// Who is asking, in which mode, with which CSRF token.
#[server(endpoint = "me", input = Json, client = CsrfClient)]
pub async fn get_me() -> Result<Me, ApiError> {
    crate::ssr::request_facts()
        .map(|facts| facts.me)
        .ok_or_else(ApiError::internal)
}

/// Signs in with a name and password; the session travels in a cookie.
#[server(endpoint = "sign-in", input = Json, client = CsrfClient)]
pub async fn sign_in(request: Credentials) -> Result<Me, ApiError> {
    let secure = crate::ssr::request_facts().is_some_and(|f| f.secure);
    let (me, cookies) = crate::ssr::answer(crate::ssr::backend()?.sign_in(request, secure).await)?;
    set_cookies(cookies);
    Ok(me)
}

/// Ends this browser's session.
#[server(endpoint = "sign-out", input = Json, client = CsrfClient)]
pub async fn sign_out() -> Result<(), ApiError> {
    let secure = crate::ssr::request_facts().is_some_and(|f| f.secure);
    let session = use_context::<http::request::Parts>().and_then(|parts| {
        crate::api::auth::cookie(&parts.headers, crate::api::auth::SESSION_COOKIE)
    });
    let cookies = crate::ssr::answer(crate::ssr::backend()?.sign_out(session, secure).await)?;
    set_cookies(cookies);
    Ok(())
}

/// Every account (admin).
#[server(endpoint = "users", input = Json, client = CsrfClient)]
pub async fn list_users() -> Result<Vec<UserInfo>, ApiError> {
    crate::ssr::answer(crate::ssr::backend()?.list_users().await)
}

/// Creates an account (admin).
#[server(endpoint = "add-user", input = Json, client = CsrfClient)]
pub async fn add_user(user: NewUser) -> Result<UserInfo, ApiError> {
    crate::ssr::answer(crate::ssr::backend()?.add_user(user).await)
}

/// Removes an account (admin).
#[server(endpoint = "remove-user", input = Json, client = CsrfClient)]
pub async fn remove_user(name: String) -> Result<(), ApiError> {
    crate::ssr::answer(crate::ssr::backend()?.remove_user(name).await)
}

/// The caller's tokens (all, for an admin).
#[server(endpoint = "tokens", input = Json, client = CsrfClient)]
pub async fn list_tokens() -> Result<Vec<TokenInfo>, ApiError> {
    let caller = crate::ssr::principal()?;
    crate::ssr::answer(crate::ssr::backend()?.list_tokens(caller).await)
}

/// Creates a token; its secret is in the answer, this once.
#[server(endpoint = "create-token", input = Json, client = CsrfClient)]
pub async fn create_token(request: NewToken) -> Result<CreatedToken, ApiError> {
    let caller = crate::ssr::principal()?;
    crate::ssr::answer(crate::ssr::backend()?.create_token(caller, request).await)
}

/// Revokes a token.
#[server(endpoint = "revoke-token", input = Json, client = CsrfClient)]
pub async fn revoke_token(id: String) -> Result<TokenInfo, ApiError> {
    let caller = crate::ssr::principal()?;
    crate::ssr::answer(crate::ssr::backend()?.revoke_token(caller, id).await)
}

/// One page of the audit log, newest first.
#[server(endpoint = "audit", input = Json, client = CsrfClient)]
pub async fn get_audit(query: AuditQuery) -> Result<AuditPage, ApiError> {
    crate::ssr::answer(crate::ssr::backend()?.audit_page(query).await)
}
