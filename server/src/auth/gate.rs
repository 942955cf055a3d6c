//! The request gate: runs after routing, before every handler, page and server
//! function. It resolves who is asking and puts [`RequestFacts`] in the
//! request's extensions, where handlers (`http::Caller`), server functions
//! (`app::ssr::principal`) and pages (the shell's `tc-me` meta) read it.
//!
//! Skeleton: `local` mode only (every request is the local OS user, as admin).
//! The role table, the other modes, CSRF, sign-in limits and the audit log
//! come next (issue 16).

use std::net::SocketAddr;

use app::ssr::RequestFacts;
use axum::{
    extract::{ConnectInfo, Request, State},
    middleware::Next,
    response::Response,
};

use crate::state::AppState;

/// The client's address as the socket saw it ("unknown" for in-process tests
/// that serve without connection info).
pub fn peer(request: &Request) -> Option<SocketAddr> {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0)
}

/// The middleware (see the module docs).
pub async fn gate(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let address = peer(&request)
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".to_owned());
    let principal = crate::auth::local_principal();
    let facts = RequestFacts {
        me: state.coordinator.me(Some(principal), None),
        address,
        secure: false,
    };
    request.extensions_mut().insert(facts);
    next.run(request).await
}
