//! Server functions of orchestrations and their runs (issue 19, seed 001;
//! `Coordinator::*_orchestration*` and `*_suite*`): the Orchestrations pages
//! and the orchestration editor. Reads and checks are for viewers; changes for
//! operators, each audited under the action its REST twin records
//! (`server::auth::rules`).
//!
//! An orchestration's export is not a server function: the page links the REST
//! download (`GET /api/v1/orchestrations/{id}/export`), as the Recordings page
//! links a recording's.

// Each `#[server]` fn also defines a struct named after it (`list_orchestrations`
// → `ListOrchestrations`), hence no fn named like a type imported here.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use super::csrf::CsrfClient;

use crate::api::{
    orchestration::{
        OrchestrationCheck, OrchestrationChecked, OrchestrationDetail, OrchestrationImport,
        OrchestrationList, OrchestrationNames, OrchestrationSaved, OrchestrationStart,
    },
    suite::{SuiteAccepted, SuiteDetail},
    ApiError,
};

/// Every stored orchestration with its latest run.
#[server(endpoint = "orchestrations", input = Json, client = CsrfClient)]
pub async fn list_orchestrations() -> Result<OrchestrationList, ApiError> {
    crate::ssr::answer(crate::ssr::backend()?.list_orchestrations().await)
}

/// One orchestration at its latest version (or `version`), with its versions
/// and recent runs.
#[server(endpoint = "orchestration", input = Json, client = CsrfClient)]
pub async fn get_orchestration(
    id: String,
    version: Option<i64>,
) -> Result<OrchestrationDetail, ApiError> {
    crate::ssr::answer(
        crate::ssr::backend()?
            .orchestration_detail(id, version)
            .await,
    )
}

/// Checks a document against this coordinator's services and scenarios;
/// stores nothing.
#[server(endpoint = "check-orchestration", input = Json, client = CsrfClient)]
pub async fn check_orchestration(
    request: OrchestrationCheck,
) -> Result<OrchestrationChecked, ApiError> {
    crate::ssr::answer(crate::ssr::backend()?.check_orchestration(request).await)
}

/// The catalog and the names a step may use, for the browser's editor.
#[server(endpoint = "orchestration-names", input = Json, client = CsrfClient)]
pub async fn get_orchestration_names() -> Result<OrchestrationNames, ApiError> {
    crate::ssr::answer(crate::ssr::backend()?.orchestration_names().await)
}

/// Validates a document and stores it as its `name`'s next version, imported
/// by the viewer.
#[server(endpoint = "import-orchestration", input = Json, client = CsrfClient)]
pub async fn import_orchestration(
    request: OrchestrationImport,
) -> Result<OrchestrationSaved, ApiError> {
    crate::ssr::answer(
        crate::ssr::backend()?
            .import_orchestration(request, crate::ssr::principal()?)
            .await,
    )
}

/// Archives an orchestration; its versions and runs are kept.
#[server(endpoint = "remove-orchestration", input = Json, client = CsrfClient)]
pub async fn remove_orchestration(id: String) -> Result<(), ApiError> {
    crate::ssr::answer(crate::ssr::backend()?.remove_orchestration(id).await)
}

/// Starts a run of an orchestration (a suite), started by the viewer from the UI.
#[server(endpoint = "start-orchestration", input = Json, client = CsrfClient)]
pub async fn start_orchestration(request: OrchestrationStart) -> Result<SuiteAccepted, ApiError> {
    crate::ssr::answer(
        crate::ssr::backend()?
            .start_orchestration(request, crate::ssr::principal()?)
            .await,
    )
}

/// A run (a suite): its state, members and summary as of now.
#[server(endpoint = "suite", input = Json, client = CsrfClient)]
pub async fn get_suite(id: String) -> Result<SuiteDetail, ApiError> {
    crate::ssr::answer(crate::ssr::backend()?.suite_detail(id).await)
}

/// Pauses a run: its running members pause and every wait holds.
#[server(endpoint = "pause-suite", input = Json, client = CsrfClient)]
pub async fn pause_suite(id: String) -> Result<SuiteDetail, ApiError> {
    crate::ssr::answer(
        crate::ssr::backend()?
            .control_suite(
                id,
                crate::api::event::ControlCommand::Pause,
                None,
                crate::ssr::principal()?,
            )
            .await,
    )
}

/// Resumes a paused run where it stopped.
#[server(endpoint = "resume-suite", input = Json, client = CsrfClient)]
pub async fn resume_suite(id: String) -> Result<SuiteDetail, ApiError> {
    crate::ssr::answer(
        crate::ssr::backend()?
            .control_suite(
                id,
                crate::api::event::ControlCommand::Resume,
                None,
                crate::ssr::principal()?,
            )
            .await,
    )
}

/// Skips step `step` of a run (unnamed: the first of the current group that
/// has not ended): stopped with rollback, or never started.
#[server(endpoint = "skip-suite-step", input = Json, client = CsrfClient)]
pub async fn skip_suite_step(id: String, step: Option<String>) -> Result<SuiteDetail, ApiError> {
    crate::ssr::answer(
        crate::ssr::backend()?
            .control_suite(
                id,
                crate::api::event::ControlCommand::SkipPhase,
                step,
                crate::ssr::principal()?,
            )
            .await,
    )
}

/// Stops a run: its running members stop with rollback and nothing more starts.
#[server(endpoint = "stop-suite", input = Json, client = CsrfClient)]
pub async fn stop_suite(id: String) -> Result<SuiteDetail, ApiError> {
    crate::ssr::answer(
        crate::ssr::backend()?
            .control_suite(
                id,
                crate::api::event::ControlCommand::Stop,
                None,
                crate::ssr::principal()?,
            )
            .await,
    )
}
