//! Server functions of recordings and replays (issue 19; `Coordinator::*_recording*`
//! and `*_replay*`): the Recordings page and the editor opened on a recording's
//! scenario. Reads are for viewers; changes for operators, each audited under
//! the action its REST twin records (`server::auth::rules`).
//!
//! A recording's export is not a server function: the page links the REST
//! download (`GET /api/v1/recordings/{id}/export`), as a scenario page links
//! its YAML, so the browser saves the server's text as it is.

// Each `#[server]` fn also defines a struct named after it (`get_recording_status`
// → `GetRecordingStatus`), hence no fn named like a type imported here.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use super::csrf::CsrfClient;

use crate::api::{
    recording::{
        RecordingDetail, RecordingList, RecordingScenario, RecordingStartRequest, RecordingStatus,
        RecordingView, ReplayRequest, ReplayShape, ReplayView,
    },
    ApiError,
};

/// Every recording, newest first.
#[server(endpoint = "recordings", input = Json, client = CsrfClient)]
pub async fn list_recordings() -> Result<RecordingList, ApiError> {
    crate::ssr::answer(crate::ssr::backend()?.list_recordings().await)
}

/// A recording with its events and its replays.
#[server(endpoint = "recording", input = Json, client = CsrfClient)]
pub async fn get_recording(id: String) -> Result<RecordingDetail, ApiError> {
    crate::ssr::answer(crate::ssr::backend()?.recording_detail(id).await)
}

/// Whether a recording captures now, and it (or else the newest).
#[server(endpoint = "recording-status", input = Json, client = CsrfClient)]
pub async fn get_recording_status() -> Result<RecordingStatus, ApiError> {
    crate::ssr::answer(crate::ssr::backend()?.recording_status().await)
}

/// Starts capturing, for the viewer (one recording at a time).
#[server(endpoint = "start-recording", input = Json, client = CsrfClient)]
pub async fn start_recording(request: RecordingStartRequest) -> Result<RecordingView, ApiError> {
    crate::ssr::answer(
        crate::ssr::backend()?
            .start_recording(request, crate::ssr::principal()?)
            .await,
    )
}

/// Stops the recording under way (`id`, when given, must be it).
#[server(endpoint = "stop-recording", input = Json, client = CsrfClient)]
pub async fn stop_recording(id: Option<String>) -> Result<RecordingView, ApiError> {
    crate::ssr::answer(crate::ssr::backend()?.stop_recording(id).await)
}

/// Removes a recording that is not capturing (its replays' executions stay).
#[server(endpoint = "remove-recording", input = Json, client = CsrfClient)]
pub async fn remove_recording(id: String) -> Result<(), ApiError> {
    crate::ssr::answer(crate::ssr::backend()?.remove_recording(id).await)
}

/// Stores a recording document written as JSON or YAML (seed 004's shape),
/// imported by the viewer.
#[server(endpoint = "import-recording", input = Json, client = CsrfClient)]
pub async fn import_recording(text: String) -> Result<RecordingView, ApiError> {
    crate::ssr::answer(
        crate::ssr::backend()?
            .import_recording(text, crate::ssr::principal()?)
            .await,
    )
}

/// "Save as scenario": the scenario a replay of the recording with `shape`
/// runs, as YAML to review; stores nothing.
#[server(endpoint = "recording-scenario", input = Json, client = CsrfClient)]
pub async fn recording_as_scenario(
    id: String,
    shape: ReplayShape,
) -> Result<RecordingScenario, ApiError> {
    crate::ssr::answer(crate::ssr::backend()?.recording_scenario(id, shape).await)
}

/// Replays a recording: an execution started by the viewer from the UI.
#[server(endpoint = "start-replay", input = Json, client = CsrfClient)]
pub async fn start_replay(request: ReplayRequest) -> Result<ReplayView, ApiError> {
    crate::ssr::answer(
        crate::ssr::backend()?
            .start_replay(request, crate::ssr::principal()?)
            .await,
    )
}

/// One replay and how far it got, by its execution's id.
#[server(endpoint = "replay", input = Json, client = CsrfClient)]
pub async fn get_replay(execution_id: String) -> Result<ReplayView, ApiError> {
    crate::ssr::answer(crate::ssr::backend()?.replay(execution_id).await)
}

/// Pauses a replay (its execution's pause).
#[server(endpoint = "pause-replay", input = Json, client = CsrfClient)]
pub async fn pause_replay(execution_id: String) -> Result<ReplayView, ApiError> {
    crate::ssr::answer(
        crate::ssr::backend()?
            .control_replay(
                execution_id,
                crate::api::event::ControlCommand::Pause,
                crate::ssr::principal()?,
            )
            .await,
    )
}

/// Resumes a paused replay.
#[server(endpoint = "resume-replay", input = Json, client = CsrfClient)]
pub async fn resume_replay(execution_id: String) -> Result<ReplayView, ApiError> {
    crate::ssr::answer(
        crate::ssr::backend()?
            .control_replay(
                execution_id,
                crate::api::event::ControlCommand::Resume,
                crate::ssr::principal()?,
            )
            .await,
    )
}

/// Stops a replay; its rollback clears the chaos it made.
#[server(endpoint = "stop-replay", input = Json, client = CsrfClient)]
pub async fn stop_replay(execution_id: String) -> Result<ReplayView, ApiError> {
    crate::ssr::answer(
        crate::ssr::backend()?
            .control_replay(
                execution_id,
                crate::api::event::ControlCommand::Stop,
                crate::ssr::principal()?,
            )
            .await,
    )
}
