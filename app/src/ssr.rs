//! The server side of the server functions. `server` depends on `app`, so `app`
//! cannot call into `server`; instead the server puts an `Arc<dyn Backend>` in the
//! Leptos context and every server function is one call on it.

use std::{future::Future, pin::Pin, sync::Arc};

use leptos::prelude::use_context;

use crate::api::{ApiError, ExecutionSummary, LibraryEntry, Overview, ServiceInfo};

/// A boxed future, so that [`Backend`] can be used as `dyn Backend`.
pub type BackendFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, ApiError>> + Send + 'a>>;

/// The use cases the UI needs from the server; REST handlers call the same ones.
pub trait Backend: Send + Sync + 'static {
    /// Counts and recent executions for the dashboard.
    fn overview(&self) -> BackendFuture<'_, Overview>;
    /// The configured services.
    fn list_services(&self) -> BackendFuture<'_, Vec<ServiceInfo>>;
    /// The execution history, newest first.
    fn list_executions(&self, limit: u32) -> BackendFuture<'_, Vec<ExecutionSummary>>;
    /// The built-in library's files.
    fn list_library(&self) -> BackendFuture<'_, Vec<LibraryEntry>>;
}

/// The backend the server provided, for use inside a server function.
pub fn backend() -> Result<Arc<dyn Backend>, ApiError> {
    use_context::<Arc<dyn Backend>>().ok_or_else(|| {
        // Only a wiring mistake in the server can cause this; say so in its log.
        leptos::logging::error!("server function called without a Backend in context");
        ApiError::internal()
    })
}
