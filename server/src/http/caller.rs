//! [`Caller`]: the principal the gate resolved, for a handler that records or
//! depends on who asks (`Caller(principal): Caller` in its arguments).

use app::{api::auth::Principal, ssr::RequestFacts};
use axum::{extract::FromRequestParts, http::request::Parts};

use super::error::HttpError;

/// Who is asking. The gate refused anonymous callers of every route that
/// takes this, so a missing principal is a wiring mistake (a 500, logged).
#[derive(Debug, Clone)]
pub struct Caller(pub Principal);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<RequestFacts>()
            .and_then(|facts| facts.me.principal.clone())
            .map(Caller)
            .ok_or_else(|| {
                tracing::error!(path = %parts.uri.path(), "a handler needs a caller but the gate set none");
                HttpError(app::api::ApiError::internal())
            })
    }
}
