//! Data shaped for the web UI's pages: what one server function returns so that a
//! page renders from a single call. REST clients use the types in the parent module.

use serde::{Deserialize, Serialize};

use super::{ExecutionDetail, ExecutionSummary, Progress};
use crate::scenario::{diagnostic::Diagnostic, plan::Plan};

/// Everything the scenario page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioView {
    /// `metadata.name` (the id).
    pub name: String,
    /// `Scenario` or `Template` (library), `scenario` or `template` (uploaded).
    pub kind: String,
    /// `library` (a file) or `custom` (uploaded).
    pub source: String,
    /// `metadata.category`.
    pub category: Option<String>,
    /// `metadata.description`.
    pub description: Option<String>,
    /// `metadata.tags`.
    pub tags: Vec<String>,
    /// Latest version of an uploaded scenario.
    pub version: Option<i64>,
    /// The text as written.
    pub definition: String,
    /// The plan, when it validates (templates have none until rendered).
    pub plan: Option<Plan>,
    /// What the validator said.
    pub diagnostics: Vec<Diagnostic>,
    /// Its most recent executions, newest first.
    pub recent: Vec<ExecutionSummary>,
}

/// One card of the library.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LibraryCard {
    /// `metadata.name`.
    pub name: String,
    /// `scenario` or `template`.
    pub kind: String,
    /// `library` or `custom`.
    pub source: String,
    /// `metadata.category`.
    pub category: Option<String>,
    /// `metadata.description`.
    pub description: Option<String>,
    /// `metadata.tags`.
    pub tags: Vec<String>,
    /// Planned length, ms (scenarios that validate).
    pub duration_ms: Option<u64>,
    /// Number of phases.
    pub phases: usize,
    /// Services its actions and assertions touch, sorted.
    pub services: Vec<String>,
    /// State of its latest execution.
    pub last_status: Option<String>,
}

/// An execution with every event recorded so far (each as the WebSocket sends
/// it), so the live view renders the full history at once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveExecution {
    /// The execution.
    pub detail: ExecutionDetail,
    /// Its events in `seq` order.
    pub events: Vec<super::event::Event>,
}

/// One page of the history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryPage {
    /// The rows, newest first.
    pub rows: Vec<ExecutionSummary>,
    /// How many match the filter in all.
    pub total: u64,
}

/// A service's health and chaos right now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceState {
    /// Name scenarios use.
    pub name: String,
    /// Base URL.
    pub url: String,
    /// Whether its health endpoint answered 2xx.
    pub healthy: bool,
    /// The health endpoint's HTTP status, if it answered.
    pub status: Option<u16>,
    /// Whether it has a chaos API (only those can be cleared).
    pub has_chaos_api: bool,
    /// Its active chaos as it reports it (`null` when unknown).
    pub active_chaos: serde_json::Value,
    /// Its fault-injection proxy, when it is behind one (docs/proxy.md).
    #[serde(default)]
    pub proxy: Option<ProxyView>,
}

/// A proxied service's proxy as the services page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProxyView {
    /// Where its callers connect (`127.0.0.1:18092`).
    pub listen: String,
    /// Where the proxy forwards (`127.0.0.1:18082`).
    pub upstream: String,
    /// `http` or `tcp`.
    pub protocol: String,
    /// Whether its chaos API answered (else the rest is empty).
    pub reachable: bool,
    /// Its active faults, in the order they act.
    pub faults: Vec<ProxyFault>,
    /// Requests (HTTP) or connections (TCP) so far: `none` (untouched) and
    /// per action.
    pub requests: std::collections::BTreeMap<String, u64>,
}

/// One active fault of a proxy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProxyFault {
    /// Its id (`fault-000001`).
    pub id: String,
    /// The action.
    pub action: String,
    /// Its parameters, as JSON text.
    pub parameters: String,
    /// The execution holding it; none when injected by hand.
    pub owner: Option<String>,
    /// Time left on its lease, ms; none: until cleared.
    pub remaining_ms: Option<u64>,
}

/// What saving a scenario gave.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedScenario {
    /// Its id.
    pub scenario_id: String,
    /// The new version number.
    pub version: i64,
}

/// What clearing chaos did, per service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClearedChaos {
    /// Service name.
    pub service: String,
    /// Whether its chaos API accepted the clear.
    pub cleared: bool,
}

/// One saved version of an uploaded scenario, with its text (the editor lists
/// them, shows one and diffs two).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ScenarioVersionText {
    /// Version number, from 1.
    pub version: i64,
    /// When it was saved (RFC 3339).
    pub created_at: String,
    /// The text as saved.
    pub definition: String,
}

/// An execution queued, running or paused, with how far it has got (the
/// dashboard's progress bars).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActiveExecution {
    /// The execution.
    pub summary: ExecutionSummary,
    /// Where it is, from its events.
    pub progress: Progress,
    /// Number of phases in its plan.
    pub phase_count: usize,
}

/// The history's filters and page (all optional but the page).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HistoryQuery {
    /// Scenario names containing this text.
    pub scenario: Option<String>,
    /// One state (`completed`, …).
    pub status: Option<String>,
    /// Submitted on or after this day (`YYYY-MM-DD`, UTC).
    pub from: Option<String>,
    /// Submitted on or before this day (`YYYY-MM-DD`, UTC).
    pub to: Option<String>,
    /// Page size.
    pub limit: u32,
    /// Rows to skip.
    pub offset: u32,
}
