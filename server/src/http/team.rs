//! Teams over REST (docs/auth.md): who is asking, accounts (admins), API
//! tokens (a user's own; an admin's for anyone) and the audit log. The gate
//! (`auth::gate`) applied the role table and wrote the audit row of every
//! state change before and after these run; handlers only translate HTTP to
//! a [`Coordinator`] call and back. A 401 (nobody signed in, or a bad token)
//! and the 403 of a role too low are documented on every operation by
//! `http::openapi` from the role table.

use std::sync::Arc;

use app::api::auth::{
    AuditPage, AuditQuery, CreatedToken, Me, NewToken, NewUser, TokenInfo, UserInfo,
};
use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    Json,
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    caller::{Caller, Viewer},
    error::{AppJson, ErrorBody, Result},
};
use crate::{service::Coordinator, state::AppState};

/// The teams routes, each registered with its OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(me))
        .routes(routes!(list_users, add_user))
        .routes(routes!(remove_user))
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
        .routes(routes!(audit_page))
}

type Coord = State<Arc<Coordinator>>;

/// Open to anyone: the server's mode and who is asking.
#[utoipa::path(get, path = "/api/v1/me", tag = "teams",
    responses((status = 200, description = "the server's `mode`, and who is asking (`principal`; none for nobody signed in); `csrf` is the token a signed-in browser sends in `x-csrf-token`", body = Me)))]
async fn me(Viewer(me): Viewer) -> Json<Me> {
    Json(me)
}

#[utoipa::path(get, path = "/api/v1/users", tag = "teams",
    responses((status = 200, description = "every account, by name (never a password hash)", body = [UserInfo])))]
async fn list_users(State(c): Coord) -> Result<Json<Vec<UserInfo>>> {
    Ok(Json(c.list_users().await?))
}

/// Creates an account; creating an admin revokes the bootstrap token.
#[utoipa::path(post, path = "/api/v1/users", tag = "teams", request_body = NewUser,
    responses((status = 201, description = "created", body = UserInfo),
        (status = 400, description = "a name outside 1-64 of `a-z 0-9 . _ - @` (or a reserved one), or a password outside 12-1024 characters; the message names the field", body = ErrorBody),
        (status = 409, description = "the name is taken, or 10,000 accounts exist already", body = ErrorBody)))]
async fn add_user(
    State(c): Coord,
    AppJson(user): AppJson<NewUser>,
) -> Result<(StatusCode, Json<UserInfo>)> {
    Ok((StatusCode::CREATED, Json(c.add_user(user).await?)))
}

/// Removes an account with its tokens and sessions.
#[utoipa::path(delete, path = "/api/v1/users/{name}", tag = "teams", params(("name" = String, Path, description = "user name")),
    responses((status = 204, description = "removed, with its tokens and sessions"),
        (status = 404, description = "no such user", body = ErrorBody),
        (status = 409, description = "the last admin: make another user admin first", body = ErrorBody)))]
async fn remove_user(State(c): Coord, Path(name): Path<String>) -> Result<StatusCode> {
    c.remove_user(&name).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/tokens", tag = "teams",
    responses((status = 200, description = "the caller's tokens (every user's for an admin), newest first; never a secret", body = [TokenInfo])))]
async fn list_tokens(State(c): Coord, Caller(caller): Caller) -> Result<Json<Vec<TokenInfo>>> {
    Ok(Json(c.list_tokens(&caller).await?))
}

/// Creates a token for the caller, or for `user` (admins); its secret is in
/// this answer only.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "teams", request_body = NewToken,
    responses((status = 201, description = "created; `token` is the secret, shown this once", body = CreatedToken),
        (status = 400, description = "a name outside 1-64 of `a-z 0-9 . _ -`, or `expires_in` not a duration from 1m to 365d", body = ErrorBody),
        (status = 403, description = "a role above the owner's (or the caller's own), another user's token asked by a non-admin, or the bootstrap token (it only creates the first admin)", body = ErrorBody),
        (status = 404, description = "`user` (or the caller, when it is left out) has no account; in local mode name a `user`", body = ErrorBody),
        (status = 409, description = "the owner has 100 live tokens already", body = ErrorBody)))]
async fn create_token(
    State(c): Coord,
    Caller(caller): Caller,
    AppJson(request): AppJson<NewToken>,
) -> Result<(StatusCode, Json<CreatedToken>)> {
    Ok((
        StatusCode::CREATED,
        Json(c.create_token(&caller, request).await?),
    ))
}

/// Revokes a token: the caller's own, or any for an admin.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "teams", params(("id" = String, Path, description = "token id")),
    responses((status = 204, description = "revoked (it stays listed, with `revoked_at`)"),
        (status = 404, description = "no such token, or another user's for a non-admin", body = ErrorBody)))]
async fn revoke_token(
    State(c): Coord,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    c.revoke_token(&caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One page of the audit log, newest first.
#[utoipa::path(get, path = "/api/v1/audit", tag = "teams", params(AuditQuery),
    responses((status = 200, description = "the rows, newest first; `next_before` asks for the next page", body = AuditPage),
        (status = 400, description = "`limit` outside 1-500, `day` not a date such as 2026-12-01, or a filter longer than 256 characters", body = ErrorBody)))]
async fn audit_page(State(c): Coord, Query(query): Query<AuditQuery>) -> Result<Json<AuditPage>> {
    Ok(Json(c.audit_page(query).await?))
}
