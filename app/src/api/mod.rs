//! Data the server sends to the UI and to API clients, and the one error shape
//! both receive (DESIGN.md §8).

mod error;
mod status;

pub use error::{ApiError, ErrorKind};
pub use status::ExecutionStatus;

use serde::{Deserialize, Serialize};

/// A service the coordinator is configured to act on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceInfo {
    /// The name scenarios use (`exchange-simulator`).
    pub name: String,
    /// Base URL of the service.
    pub url: String,
    /// Path of its health endpoint.
    pub health_endpoint: String,
    /// Path of its chaos API, when it has one.
    pub chaos_api_path: Option<String>,
    /// Per-request timeout, canonical duration text (`30s`).
    pub timeout: String,
}

/// One row of the execution history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutionSummary {
    /// Execution id.
    pub id: String,
    /// Name of the scenario it runs.
    pub scenario_name: String,
    /// State (`queued`, `running`, … `completed`).
    pub status: String,
    /// Who started it: `cli`, `ui`, `api` or `schedule`.
    pub started_by: String,
    /// When it was submitted (RFC 3339).
    pub created_at: String,
    /// When it ended (RFC 3339), if it has.
    pub finished_at: Option<String>,
}

/// A scenario or template file of the built-in library.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LibraryEntry {
    /// `metadata.name`, or the file stem when the file has none.
    pub name: String,
    /// `Scenario` or `Template`.
    pub kind: String,
    /// Path relative to the library folder.
    pub file: String,
    /// `metadata.description`.
    pub description: Option<String>,
    /// `metadata.category`.
    pub category: Option<String>,
}

/// What the dashboard shows at a glance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Overview {
    /// Number of executions per state, in state order; states with none are left out.
    pub executions_by_status: Vec<(String, u64)>,
    /// The most recent executions, newest first.
    pub recent_executions: Vec<ExecutionSummary>,
    /// How many services are configured.
    pub service_count: usize,
    /// How many files the built-in library has.
    pub library_count: usize,
}
