//! The server side of the server functions. `server` depends on `app`, so `app`
//! cannot call into `server`; instead the server puts an `Arc<dyn Backend>` in the
//! Leptos context and every server function is one call on it.

use std::{future::Future, pin::Pin, sync::Arc};

use leptos::prelude::use_context;

use crate::api::auth::{
    AuditPage, AuditQuery, CreatedToken, Credentials, Me, NewToken, NewUser, Principal, TokenInfo,
    UserInfo,
};
use crate::api::event::ControlCommand;
use crate::api::orchestration::OrchestrationNames;
use crate::api::orchestration::{
    OrchestrationCheck, OrchestrationChecked, OrchestrationDetail, OrchestrationImport,
    OrchestrationList, OrchestrationSaved, OrchestrationStart,
};
use crate::api::recording::{
    RecordingDetail, RecordingList, RecordingScenario, RecordingStartRequest, RecordingStatus,
    RecordingView, ReplayRequest, ReplayShape, ReplayView,
};
use crate::api::schedule::{
    ScheduleDetail, SchedulePreview, SchedulePreviewRequest, ScheduleRequest, ScheduleTriggered,
    ScheduleView,
};
use crate::api::suite::{SuiteAccepted, SuiteDetail};
use crate::api::{
    ui::{
        ActiveExecution, ClearedChaos, HistoryPage, HistoryQuery, LibraryCard, LiveExecution,
        SavedScenario, ScenarioVersionText, ScenarioView, ServiceState,
    },
    ApiError, ExecuteRequest, ExecuteResponse, ExecutionDetail, ExecutionSummary, LibraryEntry,
    Overview, ServiceInfo,
};
use crate::scenario::catalog::Catalog;

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
    /// Library and uploaded scenarios and templates, with their plans' outlines and
    /// last results.
    fn list_scenario_cards(&self) -> BackendFuture<'_, Vec<LibraryCard>>;
    /// A scenario's text, plan and recent executions, by name.
    fn scenario_view(&self, name: String) -> BackendFuture<'_, ScenarioView>;
    /// Validates and queues an execution `caller` started from the UI.
    fn start_execution(
        &self,
        request: ExecuteRequest,
        caller: Principal,
    ) -> BackendFuture<'_, ExecuteResponse>;
    /// An execution and every event recorded so far.
    fn live_execution(&self, id: String) -> BackendFuture<'_, LiveExecution>;
    /// Sends `pause`, `resume`, `skip_phase` or `stop` to an execution on
    /// `caller`'s behalf.
    fn control_execution(
        &self,
        id: String,
        command: String,
        caller: Principal,
    ) -> BackendFuture<'_, ExecutionDetail>;
    /// The catalog the validator uses, for the browser's editor.
    fn catalog(&self) -> BackendFuture<'_, Catalog>;
    /// Saves scenario text as a new version. `opened_from` is the scenario the
    /// editor was opened on: saving under that name may replace a library one.
    fn save_scenario(
        &self,
        yaml: String,
        opened_from: Option<String>,
    ) -> BackendFuture<'_, SavedScenario>;
    /// One page of the history, filtered.
    fn history_page(&self, query: HistoryQuery) -> BackendFuture<'_, HistoryPage>;
    /// Executions queued, running or paused.
    fn active_executions(&self) -> BackendFuture<'_, Vec<ExecutionSummary>>;
    /// Health and active chaos of every service.
    fn service_states(&self) -> BackendFuture<'_, Vec<ServiceState>>;
    /// Clears chaos on one service, or on every service with a chaos API.
    fn clear_chaos(&self, service: Option<String>) -> BackendFuture<'_, Vec<ClearedChaos>>;
    /// Injects a fault by hand on `service` (docs/proxy.md, "By hand").
    fn inject_chaos(
        &self,
        service: String,
        request: crate::api::rest::InjectChaosRequest,
    ) -> BackendFuture<'_, crate::api::rest::InjectedChaos>;
    /// Every saved version of an uploaded scenario, oldest first; none for a
    /// library scenario that was never saved.
    fn scenario_versions(&self, name: String) -> BackendFuture<'_, Vec<ScenarioVersionText>>;
    /// Saves a copy of `name` under `new_name`; `new_name` must be free.
    fn duplicate_scenario(
        &self,
        name: String,
        new_name: String,
    ) -> BackendFuture<'_, SavedScenario>;
    /// Executions queued, running or paused, with their progress.
    fn active_progress(&self) -> BackendFuture<'_, Vec<ActiveExecution>>;
    /// Starts execution `id`'s scenario text again with its options, for `caller`.
    fn rerun_execution(&self, id: String, caller: Principal) -> BackendFuture<'_, ExecuteResponse>;
    /// Archives an uploaded scenario (versions and history are kept).
    fn archive_scenario(&self, name: String) -> BackendFuture<'_, ()>;
    /// `b` compared with the baseline `a` (both finished, not the same).
    fn compare_executions(
        &self,
        a: String,
        b: String,
    ) -> BackendFuture<'_, crate::api::compare::ExecutionComparison>;
    /// The latest finished execution of the same scenario submitted before `id`.
    fn previous_execution(&self, id: String) -> BackendFuture<'_, Option<ExecutionSummary>>;

    // Schedules (issue 18).

    /// Every schedule, by next due time.
    fn list_schedules(&self) -> BackendFuture<'_, Vec<ScheduleView>>;
    /// A schedule, its next due times and its firings.
    fn schedule_detail(&self, id: String) -> BackendFuture<'_, ScheduleDetail>;
    /// Validates and stores a schedule `caller` created.
    fn create_schedule(
        &self,
        request: ScheduleRequest,
        caller: Principal,
    ) -> BackendFuture<'_, ScheduleView>;
    /// A timing and its policies in plain words with the next due times.
    fn preview_schedule(
        &self,
        request: SchedulePreviewRequest,
    ) -> BackendFuture<'_, SchedulePreview>;
    /// Enables or disables a schedule.
    fn set_schedule_enabled(&self, id: String, enabled: bool) -> BackendFuture<'_, ScheduleView>;
    /// Runs a schedule now (a manual firing).
    fn trigger_schedule(&self, id: String) -> BackendFuture<'_, ScheduleTriggered>;
    /// Removes a schedule and its firing history.
    fn remove_schedule(&self, id: String) -> BackendFuture<'_, ()>;

    // Recordings and replays (issue 19).

    /// Every recording, newest first.
    fn list_recordings(&self) -> BackendFuture<'_, RecordingList>;
    /// A recording with its events and its replays.
    fn recording_detail(&self, id: String) -> BackendFuture<'_, RecordingDetail>;
    /// Whether a recording captures now, and it (or else the newest).
    fn recording_status(&self) -> BackendFuture<'_, RecordingStatus>;
    /// Starts capturing for `caller` (one recording at a time).
    fn start_recording(
        &self,
        request: RecordingStartRequest,
        caller: Principal,
    ) -> BackendFuture<'_, RecordingView>;
    /// Stops the recording under way (`id`, when given, must be it).
    fn stop_recording(&self, id: Option<String>) -> BackendFuture<'_, RecordingView>;
    /// Removes a recording that is not capturing.
    fn remove_recording(&self, id: String) -> BackendFuture<'_, ()>;
    /// Stores a recording document written as JSON or YAML, imported by `caller`.
    fn import_recording(&self, text: String, caller: Principal)
        -> BackendFuture<'_, RecordingView>;
    /// A recording as the scenario a replay with `shape` runs, to review.
    fn recording_scenario(
        &self,
        id: String,
        shape: ReplayShape,
    ) -> BackendFuture<'_, RecordingScenario>;
    /// Replays a recording: an execution `caller` started from the UI.
    fn start_replay(
        &self,
        request: ReplayRequest,
        caller: Principal,
    ) -> BackendFuture<'_, ReplayView>;
    /// One replay, by its execution's id.
    fn replay(&self, execution_id: String) -> BackendFuture<'_, ReplayView>;
    /// Pauses, resumes or stops a replay on `caller`'s behalf.
    fn control_replay(
        &self,
        execution_id: String,
        command: ControlCommand,
        caller: Principal,
    ) -> BackendFuture<'_, ReplayView>;

    // Orchestrations and their runs (issue 19, seed 001).

    /// Every stored orchestration with its latest run.
    fn list_orchestrations(&self) -> BackendFuture<'_, OrchestrationList>;
    /// One orchestration at its latest version (or `version`), with its
    /// versions and recent runs.
    fn orchestration_detail(
        &self,
        id: String,
        version: Option<i64>,
    ) -> BackendFuture<'_, OrchestrationDetail>;
    /// Checks a document against this coordinator's services and scenarios.
    fn check_orchestration(
        &self,
        request: OrchestrationCheck,
    ) -> BackendFuture<'_, OrchestrationChecked>;
    /// The catalog and the names a step may use, for the browser's editor.
    fn orchestration_names(&self) -> BackendFuture<'_, OrchestrationNames>;
    /// Validates a document and stores it as its next version, imported by `caller`.
    fn import_orchestration(
        &self,
        request: OrchestrationImport,
        caller: Principal,
    ) -> BackendFuture<'_, OrchestrationSaved>;
    /// Archives an orchestration (its versions and runs are kept).
    fn remove_orchestration(&self, id: String) -> BackendFuture<'_, ()>;
    /// Starts a run of an orchestration: a suite `caller` started from the UI.
    fn start_orchestration(
        &self,
        request: OrchestrationStart,
        caller: Principal,
    ) -> BackendFuture<'_, SuiteAccepted>;
    /// A suite (an orchestration's run): its state, members and summary.
    fn suite_detail(&self, id: String) -> BackendFuture<'_, SuiteDetail>;
    /// Pauses, resumes, skips in (`SkipPhase`: step `step`, or the current
    /// one) or stops a suite on `caller`'s behalf.
    fn control_suite(
        &self,
        id: String,
        command: ControlCommand,
        step: Option<String>,
        caller: Principal,
    ) -> BackendFuture<'_, SuiteDetail>;

    // Teams (docs/auth.md). The request's principal is checked against the role
    // table before any of these runs; `caller` is passed where the use case
    // depends on who asks.

    /// Checks a name and password and opens a session: the viewer signed in,
    /// and the `Set-Cookie` values to send (`secure`: the request came over https).
    fn sign_in(&self, request: Credentials, secure: bool) -> BackendFuture<'_, (Me, Vec<String>)>;
    /// Ends the session whose cookie secret is `session` (if any): the
    /// `Set-Cookie` values that clear it.
    fn sign_out(&self, session: Option<String>, secure: bool) -> BackendFuture<'_, Vec<String>>;
    /// Every account.
    fn list_users(&self) -> BackendFuture<'_, Vec<UserInfo>>;
    /// Creates an account.
    fn add_user(&self, user: NewUser) -> BackendFuture<'_, UserInfo>;
    /// Removes an account and its tokens and sessions.
    fn remove_user(&self, name: String) -> BackendFuture<'_, ()>;
    /// The caller's tokens (every token, for an admin).
    fn list_tokens(&self, caller: Principal) -> BackendFuture<'_, Vec<TokenInfo>>;
    /// Creates a token for the caller (or, for an admin, for any user).
    fn create_token(&self, caller: Principal, request: NewToken)
        -> BackendFuture<'_, CreatedToken>;
    /// Revokes one of the caller's tokens (any token, for an admin).
    fn revoke_token(&self, caller: Principal, id: String) -> BackendFuture<'_, TokenInfo>;
    /// One page of the audit log.
    fn audit_page(&self, query: AuditQuery) -> BackendFuture<'_, AuditPage>;
}

/// What the server's request gate learned about the request being answered,
/// in its extensions for server functions and pages to read.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestFacts {
    /// The viewer: mode, principal, CSRF token.
    pub me: Me,
    /// The client's address (the proxy's client, when a trusted proxy says so).
    pub address: String,
    /// The request came over https (directly or through a trusted proxy).
    pub secure: bool,
}

/// The request's [`RequestFacts`], when the server's gate ran (always, in the server).
pub fn request_facts() -> Option<RequestFacts> {
    use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<RequestFacts>().cloned())
}

/// The principal of the request being answered; a server function that needs
/// the caller says `principal()?`. The gate refused anonymous callers of such
/// functions already, so an error here is a wiring mistake.
pub fn principal() -> Result<Principal, ApiError> {
    request_facts()
        .and_then(|facts| facts.me.principal)
        .ok_or_else(|| {
            leptos::logging::error!("server function needs a principal but the gate set none");
            ApiError::internal()
        })
}

/// The backend the server provided, for use inside a server function.
pub fn backend() -> Result<Arc<dyn Backend>, ApiError> {
    use_context::<Arc<dyn Backend>>().ok_or_else(|| {
        // Only a wiring mistake in the server can cause this; say so in its log.
        leptos::logging::error!("server function called without a Backend in context");
        ApiError::internal()
    })
}

/// A server function's result, with its HTTP status set from the error's kind
/// (Leptos answers every server-function error with 500 otherwise, and a refused
/// request is not a server failure). Only when the server function was called
/// over HTTP: run during server rendering, the page's status is the page's.
pub fn answer<T>(result: Result<T, ApiError>) -> Result<T, ApiError> {
    if let Err(error) = &result {
        let over_http = use_context::<http::request::Parts>()
            .is_some_and(|parts| parts.uri.path().starts_with("/api/"));
        let status = http::StatusCode::from_u16(error.kind.status_code());
        if let (true, Some(response), Ok(status)) = (
            over_http,
            use_context::<leptos_axum::ResponseOptions>(),
            status,
        ) {
            response.set_status(status);
        }
    }
    result
}
