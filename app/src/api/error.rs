//! `ApiError`: the single error shape of REST responses and server functions,
//! `{"error": {"kind", "message", "details"?}}` on the wire (`details` only when there are some).

use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

/// What went wrong, in a word clients can branch on. Each maps to one HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorKind {
    /// 400: the request is malformed.
    InvalidRequest,
    /// 401: nobody is signed in (no session, no token), or the token or
    /// session is unknown, expired or revoked; the message says which.
    Unauthorized,
    /// 403: the caller's role is too low for this request (docs/auth.md).
    InsufficientRole,
    /// 403: refused whoever asks: a request from another site (a web page on
    /// another origin), or a `Host` that is not this server's (DNS rebinding).
    Forbidden,
    /// 404: no such execution, scenario or service.
    NotFound,
    /// 409: the transition is not allowed in the current state.
    Conflict,
    /// 413: the body is too large.
    TooLarge,
    /// 422: the scenario does not validate; `details` holds the diagnostics.
    Validation,
    /// 429: too many attempts (sign-in); retry later.
    TooManyRequests,
    /// 503: at capacity or a dependency is down.
    Unavailable,
    /// 500: the coordinator itself failed; details are in its log, not here.
    Internal,
}

impl ErrorKind {
    /// The HTTP status code of this kind.
    pub fn status_code(self) -> u16 {
        match self {
            Self::InvalidRequest => 400,
            Self::Unauthorized => 401,
            Self::InsufficientRole => 403,
            Self::TooManyRequests => 429,
            Self::Forbidden => 403,
            Self::NotFound => 404,
            Self::Conflict => 409,
            Self::TooLarge => 413,
            Self::Validation => 422,
            Self::Unavailable => 503,
            Self::Internal => 500,
        }
    }
}

/// An error as a client sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[error("{message}")]
pub struct ApiError {
    /// The class of error.
    pub kind: ErrorKind,
    /// One sentence for a person.
    pub message: String,
    /// Structured detail (`{diagnostics: [...]}`, `{status: ...}`, …); left out
    /// of the body when there is none (`null` inside the program).
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    #[cfg_attr(feature = "ssr", schema(value_type = Object, required = false))]
    pub details: serde_json::Value,
}

impl ApiError {
    /// An error of `kind` with `message` and no details.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            details: serde_json::Value::Null,
        }
    }

    /// An internal error: the message is generic, the cause is logged by the caller.
    pub fn internal() -> Self {
        Self::new(
            ErrorKind::Internal,
            "the coordinator failed to handle this request; its log has the details",
        )
    }

    /// The HTTP status code to answer with.
    pub fn status_code(&self) -> u16 {
        self.kind.status_code()
    }
}

impl FromServerFnError for ApiError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // On the server these are the call's arguments that did not decode
            // (server_fn names both "results"): the caller's mistake.
            ServerFnErrorErr::Args(detail) | ServerFnErrorErr::Deserialization(detail)
                if cfg!(feature = "ssr") =>
            {
                Self::new(
                    ErrorKind::InvalidRequest,
                    format!("the call's arguments are not valid: {detail}"),
                )
            }
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::Deserialization(_) => {
                Self::new(ErrorKind::InvalidRequest, value.to_string())
            }
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) => {
                Self::new(ErrorKind::Unavailable, value.to_string())
            }
            _ => Self::new(ErrorKind::Internal, value.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_status() {
        let kinds = [
            ErrorKind::InvalidRequest,
            ErrorKind::Forbidden,
            ErrorKind::NotFound,
            ErrorKind::Conflict,
            ErrorKind::TooLarge,
            ErrorKind::Validation,
            ErrorKind::Unavailable,
            ErrorKind::Internal,
        ];
        let mut codes: Vec<u16> = kinds.iter().map(|k| k.status_code()).collect();
        codes.dedup();
        assert_eq!(codes, [400, 403, 404, 409, 413, 422, 503, 500]);
    }

    #[test]
    fn kinds_are_snake_case_on_the_wire() {
        let error = ApiError::new(ErrorKind::NotFound, "no execution abc");
        let json = serde_json::to_value(&error).unwrap();
        assert_eq!(json["kind"], "not_found");
        assert_eq!(json["message"], "no execution abc");
    }
}
