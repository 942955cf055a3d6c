//! Server functions: each is one call on the server's [`crate::ssr::Backend`], so no
//! logic lives here and the UI and the REST API share every use case.

use leptos::prelude::*;

use crate::api::{ApiError, ExecutionSummary, LibraryEntry, Overview, ServiceInfo};

/// Counts and recent executions for the dashboard.
#[server(endpoint = "overview")]
pub async fn get_overview() -> Result<Overview, ApiError> {
    crate::ssr::backend()?.overview().await
}

/// The configured services.
#[server(endpoint = "services")]
pub async fn list_services() -> Result<Vec<ServiceInfo>, ApiError> {
    crate::ssr::backend()?.list_services().await
}

/// The most recent `limit` executions, newest first.
#[server(endpoint = "executions")]
pub async fn list_executions(limit: u32) -> Result<Vec<ExecutionSummary>, ApiError> {
    crate::ssr::backend()?.list_executions(limit).await
}

/// The built-in library's scenarios and templates.
#[server(endpoint = "library")]
pub async fn list_library() -> Result<Vec<LibraryEntry>, ApiError> {
    crate::ssr::backend()?.list_library().await
}
