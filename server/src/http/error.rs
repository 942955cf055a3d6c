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
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("a panic without a message");
    tracing::error!(panic = message, "a request handler panicked");
    HttpError(ApiError::internal()).into_response()
}
