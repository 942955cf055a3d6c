//! `ApiError` as an HTTP response: `{"error": {kind, message, details}}` with the
//! kind's status; and a JSON extractor whose rejections take the same shape.

use app::api::{ApiError, ErrorKind};
use axum::{
    extract::{rejection::JsonRejection, FromRequest, Request},
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use serde::de::DeserializeOwned;

/// Wraps [`ApiError`] so handlers can return it (orphan rule).
#[derive(Debug)]
pub struct HttpError(pub ApiError);

impl From<ApiError> for HttpError {
    fn from(error: ApiError) -> Self {
        Self(error)
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(serde_json::json!({ "error": self.0 }))).into_response()
    }
}

/// The error body every 4xx/5xx answer carries (for the OpenAPI document).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ErrorBody {
    /// What went wrong.
    error: ApiError,
}

/// A 400 saying `message`.
pub fn bad_request(message: impl Into<String>) -> HttpError {
    HttpError(ApiError::new(ErrorKind::InvalidRequest, message))
}

/// The result type of handlers.
pub type Result<T, E = HttpError> = std::result::Result<T, E>;

/// JSON body extractor: a malformed body is a 400 (413 when too large) in the
/// API's error shape, naming what is wrong.
pub struct AppJson<T>(pub T);

impl<S, T> FromRequest<S> for AppJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = HttpError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(Self(value)),
            Err(rejection) => {
                let kind = match &rejection {
                    JsonRejection::BytesRejection(_)
                        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE =>
                    {
                        ErrorKind::TooLarge
                    }
                    _ => ErrorKind::InvalidRequest,
                };
                Err(HttpError(ApiError::new(kind, rejection.body_text())))
            }
        }
    }
}

/// The answer when a handler panicked (`CatchPanicLayer`): a bug in the
/// coordinator, so a 500 in the API's shape; the panic's message goes to the log
/// only. The process keeps serving.
pub fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!(
        panic = panic_message(panic.as_ref()),
        "a request handler panicked"
    );
    HttpError(ApiError::internal()).into_response()
}

/// What a caught panic says: its `String` or `&str` payload.
pub fn panic_message(panic: &(dyn std::any::Any + Send)) -> &str {
    panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("a panic without a message")
}

/// Largest error body rewritten by [`json_errors`] (axum's rejections are one line).
const MAX_REWRITTEN_BODY: usize = 4096;

/// Every error answer of the API in the API's shape: axum's own rejections
/// (a path segment that is not UTF-8, a method the route lacks, a WebSocket
/// handshake that is not one, …) are `text/plain` or empty; this turns them into
/// `{"error": {kind, message}}` with the same status, so the OpenAPI document's
/// error schema holds for every 4xx and 5xx.
pub async fn json_errors(request: Request, next: axum::middleware::Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, MAX_REWRITTEN_BODY)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        .unwrap_or_default();
    let message = if text.is_empty() {
        status
            .canonical_reason()
            .unwrap_or("the request was refused")
            .to_owned()
    } else {
        text
    };
    let kind = match status.as_u16() {
        401 => ErrorKind::Unauthorized,
        404 => ErrorKind::NotFound,
        429 => ErrorKind::TooManyRequests,
        409 => ErrorKind::Conflict,
        413 => ErrorKind::TooLarge,
        422 => ErrorKind::Validation,
        503 => ErrorKind::Unavailable,
        500..=599 => ErrorKind::Internal,
        _ => ErrorKind::InvalidRequest,
    };
    let mut rewritten = HttpError(ApiError::new(kind, message)).into_response();
    *rewritten.status_mut() = status;
    for (name, value) in &parts.headers {
        if name != axum::http::header::CONTENT_TYPE && name != axum::http::header::CONTENT_LENGTH {
            rewritten.headers_mut().insert(name.clone(), value.clone());
        }
    }
    rewritten
}

/// Largest server-function error body read by [`server_fn_status`].
const MAX_SERVER_FN_ERROR: usize = 64 * 1024;

/// A server function's error with its kind's status. Leptos answers every
/// server-function error with 500 (marked by the `serverfnerror` header);
/// `ssr::answer` sets the right status for errors the function's body returns,
/// but arguments that do not decode fail before the body runs. This reads such
/// a 500's [`ApiError`] and answers with its kind's status instead, so a
/// client's malformed call is a 400, never a server error.
pub async fn server_fn_status(request: Request, next: axum::middleware::Next) -> Response {
    let response = next.run(request).await;
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !response
            .headers()
            .contains_key(leptos::server_fn::error::SERVER_FN_ERROR_HEADER)
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_SERVER_FN_ERROR).await else {
        return HttpError(ApiError::internal()).into_response();
    };
    if let Some(status) = serde_json::from_slice::<ApiError>(&bytes)
        .ok()
        .and_then(|error| StatusCode::from_u16(error.status_code()).ok())
    {
        parts.status = status;
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}
