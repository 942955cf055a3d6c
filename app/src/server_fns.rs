//! Server functions: each is one call on the server's [`crate::ssr::Backend`], so no
//! logic lives here and the UI and the REST API share every use case. Each answers
//! its error with the error's HTTP status, as the REST API does
//! ([`crate::ssr::answer`]).
//!
//! Every one takes its arguments as JSON (`input = Json`): an `application/json`
//! POST is not a CORS "simple" request, so another site's page cannot send one
//! (the server's request guard refuses form and `text/plain` bodies; docs/api.md,
//! Security). Every one is called through [`csrf::CsrfClient`], which sends the
//! viewer's CSRF token (docs/auth.md).

pub mod csrf;
pub mod orchestration;
pub mod recording;
mod resource;
pub mod schedule;
pub mod team;

use leptos::prelude::*;

use leptos::server_fn::codec::Json;

use csrf::CsrfClient;
pub use resource::{server_resource, JsonBytes};

use crate::api::{
    ui::{
        ActiveExecution, ClearedChaos, HistoryPage, HistoryQuery, LibraryCard, LiveExecution,
        SavedScenario, ScenarioVersionText, ScenarioView, ServiceState,
    },
    ApiError, ExecuteRequest, ExecuteResponse, ExecutionDetail, ExecutionSummary, LibraryEntry,
    Overview, ServiceInfo,
};
use crate::scenario::catalog::Catalog;

/// Counts and recent executions for the dashboard.
#[server(endpoint = "overview", input = Json, client = CsrfClient)]
pub async fn get_overview() -> Result<Overview, ApiError> {
    crate::ssr::answer(crate::ssr::backend()?.overview().await)
}

/// The configured services.
#[server(endpoint = "services", input = Json, client = CsrfClient)]
pub async fn list_services() -> Result<Vec<ServiceInfo>, ApiError> {
    crate::ssr::answer(crate::ssr::backend()?.list_services().await)
}

/// The most recent `limit` executions, newest first.
#[server(endpoint = "executions", input = Json, client = CsrfClient)]
pub async fn list_executions(limit: u32) -> Result<Vec<ExecutionSummary>, ApiError> {
    crate::ssr::answer(crate::ssr::backend()?.list_executions(limit).await)
}

/// The built-in library's scenarios and templates.
#[server(endpoint = "library", input = Json, client = CsrfClient)]
pub async fn list_library() -> Result<Vec<LibraryEntry>, ApiError> {
    crate::ssr::answer(crate::ssr::backend()?.list_library().await)
}

/// Library and uploaded scenarios and templates as cards.
#[server(endpoint = "scenario-cards", input = Json, client = CsrfClient)]
pub async fn list_scenario_cards() -> Result<Vec<LibraryCard>, ApiError> {
    crate::ssr::answer(crate::ssr::backend()?.list_scenario_cards().await)
}

/// One scenario: text, plan and recent executions.
#[server(endpoint = "scenario", input = Json, client = CsrfClient)]
pub async fn get_scenario(name: String) -> Result<ScenarioView, ApiError> {
    crate::ssr::answer(crate::ssr::backend()?.scenario_view(name).await)
}

/// Starts an execution (recorded as started by the UI).
#[server(endpoint = "execute", input = Json, client = CsrfClient)]
pub async fn start_execution(request: ExecuteRequest) -> Result<ExecuteResponse, ApiError> {
    crate::ssr::answer(
        crate::ssr::backend()?
            .start_execution(request, crate::ssr::principal()?)
            .await,
    )
}

/// An execution and its events so far, without the `assertion_checked` events a
/// later check supersedes (they fold to the same live state; there can be
/// thousands).
#[server(endpoint = "execution", input = Json, client = CsrfClient)]
pub async fn get_live_execution(id: String) -> Result<LiveExecution, ApiError> {
    crate::ssr::answer(
        crate::ssr::backend()?
            .live_execution(id)
            .await
            .map(|mut live| {
                live.events = crate::components::live::state::compact(live.events);
                live
            }),
    )
}

/// Pause, resume, skip the phase or stop.
#[server(endpoint = "control", input = Json, client = CsrfClient)]
pub async fn control_execution(id: String, command: String) -> Result<ExecutionDetail, ApiError> {
    crate::ssr::answer(
        crate::ssr::backend()?
            .control_execution(id, command, crate::ssr::principal()?)
            .await,
    )
}

/// The validator's catalog, for live validation in the browser.
#[server(endpoint = "catalog", input = Json, client = CsrfClient)]
pub async fn get_catalog() -> Result<Catalog, ApiError> {
    crate::ssr::answer(crate::ssr::backend()?.catalog().await)
}

/// Saves scenario text as a new version; `opened_from` is the scenario the
/// editor was opened on (saving under its name may replace a library scenario).
#[server(endpoint = "save-scenario", input = Json, client = CsrfClient)]
pub async fn save_scenario(
    yaml: String,
    opened_from: Option<String>,
) -> Result<SavedScenario, ApiError> {
    crate::ssr::answer(
        crate::ssr::backend()?
            .save_scenario(yaml, opened_from)
            .await,
    )
}

/// One page of the history.
#[server(endpoint = "history", input = Json, client = CsrfClient)]
pub async fn get_history(query: HistoryQuery) -> Result<HistoryPage, ApiError> {
    crate::ssr::answer(crate::ssr::backend()?.history_page(query).await)
}

/// Executions queued, running or paused.
#[server(endpoint = "active", input = Json, client = CsrfClient)]
pub async fn list_active() -> Result<Vec<ExecutionSummary>, ApiError> {
    crate::ssr::answer(crate::ssr::backend()?.active_executions().await)
}

/// Health and chaos of every service.
#[server(endpoint = "service-states", input = Json, client = CsrfClient)]
pub async fn list_service_states() -> Result<Vec<ServiceState>, ApiError> {
    crate::ssr::answer(crate::ssr::backend()?.service_states().await)
}

/// Clears chaos on one service, or on all when `service` is `None`.
/// Injects a fault by hand on `service` (operators; audited).
#[server(endpoint = "inject-chaos", input = Json, client = CsrfClient)]
pub async fn inject_chaos(
    service: String,
    request: crate::api::rest::InjectChaosRequest,
) -> Result<crate::api::rest::InjectedChaos, ApiError> {
    crate::ssr::answer(crate::ssr::backend()?.inject_chaos(service, request).await)
}

#[server(endpoint = "clear-chaos", input = Json, client = CsrfClient)]
pub async fn clear_chaos(service: Option<String>) -> Result<Vec<ClearedChaos>, ApiError> {
    crate::ssr::answer(crate::ssr::backend()?.clear_chaos(service).await)
}

/// Every saved version of an uploaded scenario, oldest first (none for a library
/// scenario never saved).
#[server(endpoint = "scenario-versions", input = Json, client = CsrfClient)]
pub async fn list_scenario_versions(name: String) -> Result<Vec<ScenarioVersionText>, ApiError> {
    crate::ssr::answer(crate::ssr::backend()?.scenario_versions(name).await)
}

/// Saves a copy of scenario `name` as `new_name` (its version 1).
#[server(endpoint = "duplicate-scenario", input = Json, client = CsrfClient)]
pub async fn duplicate_scenario(name: String, new_name: String) -> Result<SavedScenario, ApiError> {
    crate::ssr::answer(
        crate::ssr::backend()?
            .duplicate_scenario(name, new_name)
            .await,
    )
}

/// Executions queued, running or paused, with their progress.
#[server(endpoint = "active-progress", input = Json, client = CsrfClient)]
pub async fn list_active_progress() -> Result<Vec<ActiveExecution>, ApiError> {
    crate::ssr::answer(crate::ssr::backend()?.active_progress().await)
}

/// Runs execution `id`'s scenario text again with the same options ("Run again").
#[server(endpoint = "rerun-execution", input = Json, client = CsrfClient)]
pub async fn rerun_execution(id: String) -> Result<ExecuteResponse, ApiError> {
    crate::ssr::answer(
        crate::ssr::backend()?
            .rerun_execution(id, crate::ssr::principal()?)
            .await,
    )
}

/// Archives the uploaded scenario `name`: hidden from the library; its versions
/// and executions are kept.
#[server(endpoint = "archive-scenario", input = Json, client = CsrfClient)]
pub async fn archive_scenario(name: String) -> Result<(), ApiError> {
    crate::ssr::answer(crate::ssr::backend()?.archive_scenario(name).await)
}

/// `b` compared with the baseline `a`: verdicts, criteria, assertions, actions,
/// workload, recovery and both timelines.
#[server(endpoint = "compare", input = Json, client = CsrfClient)]
pub async fn compare_executions(
    a: String,
    b: String,
) -> Result<crate::api::compare::ExecutionComparison, ApiError> {
    crate::ssr::answer(crate::ssr::backend()?.compare_executions(a, b).await)
}

/// The previous finished run of the same scenario, if any.
#[server(endpoint = "previous-execution", input = Json, client = CsrfClient)]
pub async fn previous_execution(id: String) -> Result<Option<ExecutionSummary>, ApiError> {
    crate::ssr::answer(crate::ssr::backend()?.previous_execution(id).await)
}
