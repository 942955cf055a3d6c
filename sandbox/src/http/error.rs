//! The error body every sandbox endpoint uses:
//! `{"error": {"kind", "message", "details"}}` with a fitting status.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

/// An error answer.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Machine-readable kind (`invalid_parameter`, `not_found`, …).
    pub kind: &'static str,
    /// Human-readable message.
    pub message: String,
    /// Extra data (null if none).
    pub details: Value,
}

impl ApiError {
    /// An error without details.
    pub fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            kind,
            message: message.into(),
            details: Value::Null,
        }
    }

    /// Adds details.
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body =
            json!({"error": {"kind": self.kind, "message": self.message, "details": self.details}});
        (self.status, Json(body)).into_response()
    }
}
