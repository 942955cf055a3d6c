//! What the gate found out about a request, for handlers: [`Caller`], the
//! principal of a handler that records or depends on who asks
//! (`Caller(principal): Caller` in its arguments), and [`Viewer`], what an open
//! route may tell anyone about themselves (`GET /api/v1/me`).

use app::{
    api::auth::{Me, Principal},
    ssr::RequestFacts,
};
use axum::{
    extract::FromRequestParts,
    http::{header, request::Parts, HeaderMap},
};

use super::error::HttpError;
use crate::engine::{Channel, StartedBy};

/// The agent the CLI's client announces ([`crate::cli::client::Remote`]): a
/// request from it is recorded as the CLI's, any other as the API's.
pub const CLI_USER_AGENT: &str = concat!("test-coordinator-cli/", env!("CARGO_PKG_VERSION"));

/// Who is asking. The gate refused anonymous callers of every route that
/// takes this, so a missing principal is a wiring mistake (a 500, logged).
#[derive(Debug, Clone)]
pub struct Caller(pub Principal);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        facts(parts)?
            .me
            .principal
            .clone()
            .map(Caller)
            .ok_or_else(|| missing(parts, "a handler needs a caller but the gate set none"))
    }
}

impl Caller {
    /// The caller as the starter of an execution or suite (or the sender of a
    /// control command), through the CLI when its user agent says so, else the API.
    pub fn started_by(&self, headers: &HeaderMap) -> StartedBy {
        let agent = headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let channel = if agent.starts_with("test-coordinator-cli/") {
            Channel::Cli
        } else {
            Channel::Api
        };
        StartedBy::new(channel, self.0.actor())
    }
}

/// The server's mode and who is asking, if anyone (open routes): what the
/// gate put in [`RequestFacts`].
#[derive(Debug, Clone)]
pub struct Viewer(pub Me);

impl<S: Send + Sync> FromRequestParts<S> for Viewer {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Viewer(facts(parts)?.me.clone()))
    }
}

/// The gate's facts of this request; it sets them on every request it lets
/// through, so their absence is a wiring mistake.
fn facts(parts: &Parts) -> Result<&RequestFacts, HttpError> {
    parts.extensions.get::<RequestFacts>().ok_or_else(|| {
        missing(
            parts,
            "a handler needs the gate's facts but the gate set none",
        )
    })
}

fn missing(parts: &Parts, message: &'static str) -> HttpError {
    tracing::error!(path = %parts.uri.path(), "{message}");
    HttpError(app::api::ApiError::internal())
}
