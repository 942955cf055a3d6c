//! The server functions' [`Backend`]: each method is one line that calls the
//! use case of the same name (the hexagonal example's thin server functions),
//! so the UI, the REST API and the CLI share every rule.

use app::{
    api::{
        auth::Principal,
        event::ControlCommand,
        orchestration::{
            OrchestrationCheck, OrchestrationChecked, OrchestrationDetail, OrchestrationImport,
            OrchestrationList, OrchestrationNames, OrchestrationSaved, OrchestrationStart,
        },
        recording::{
            RecordingDetail, RecordingList, RecordingScenario, RecordingStartRequest,
            RecordingStatus, RecordingView, ReplayRequest, ReplayShape, ReplayView,
        },
        schedule::{
            ScheduleDetail, SchedulePreview, SchedulePreviewRequest, ScheduleRequest,
            ScheduleTriggered, ScheduleView,
        },
        suite::{SuiteAccepted, SuiteDetail},
        ui::{
            ActiveExecution, ClearedChaos, HistoryPage, HistoryQuery, LibraryCard, LiveExecution,
            SavedScenario, ScenarioVersionText, ScenarioView, ServiceState,
        },
        ExecuteRequest, ExecuteResponse, ExecutionDetail, ExecutionSummary, LibraryEntry, Overview,
        ServiceInfo,
    },
    scenario::catalog::Catalog,
    ssr::{Backend, BackendFuture},
};

use super::{Coordinator, SuiteControl};
use crate::engine::{Channel, StartedBy};

impl Backend for Coordinator {
    fn overview(&self) -> BackendFuture<'_, Overview> {
        Box::pin(Coordinator::overview(self))
    }

    fn list_services(&self) -> BackendFuture<'_, Vec<ServiceInfo>> {
        Box::pin(async move { Ok(self.services()) })
    }

    fn list_executions(&self, limit: u32) -> BackendFuture<'_, Vec<ExecutionSummary>> {
        Box::pin(self.recent_executions(limit))
    }

    fn list_library(&self) -> BackendFuture<'_, Vec<LibraryEntry>> {
        Box::pin(async move { Ok(self.library()) })
    }

    fn list_scenario_cards(&self) -> BackendFuture<'_, Vec<LibraryCard>> {
        Box::pin(self.scenario_cards())
    }

    fn scenario_view(&self, name: String) -> BackendFuture<'_, ScenarioView> {
        Box::pin(async move { Coordinator::scenario_view(self, &name).await })
    }

    fn start_execution(
        &self,
        request: ExecuteRequest,
        caller: Principal,
    ) -> BackendFuture<'_, ExecuteResponse> {
        let by = StartedBy::new(Channel::Ui, caller.actor());
        Box::pin(Coordinator::start_execution(self, request, by))
    }

    fn live_execution(&self, id: String) -> BackendFuture<'_, LiveExecution> {
        Box::pin(async move { Coordinator::live_execution(self, &id).await })
    }

    fn control_execution(
        &self,
        id: String,
        command: String,
        caller: Principal,
    ) -> BackendFuture<'_, ExecutionDetail> {
        Box::pin(async move {
            self.control_execution_named(&id, &command, caller.actor())
                .await
        })
    }

    fn catalog(&self) -> BackendFuture<'_, Catalog> {
        Box::pin(async move { Ok(Coordinator::catalog(self)) })
    }

    fn save_scenario(
        &self,
        yaml: String,
        opened_from: Option<String>,
    ) -> BackendFuture<'_, SavedScenario> {
        Box::pin(async move { Coordinator::save_scenario(self, &yaml, opened_from).await })
    }

    fn history_page(&self, query: HistoryQuery) -> BackendFuture<'_, HistoryPage> {
        Box::pin(Coordinator::history_page(self, query))
    }

    fn active_executions(&self) -> BackendFuture<'_, Vec<ExecutionSummary>> {
        Box::pin(Coordinator::active_executions(self))
    }

    fn service_states(&self) -> BackendFuture<'_, Vec<ServiceState>> {
        Box::pin(Coordinator::service_states(self))
    }

    fn clear_chaos(&self, service: Option<String>) -> BackendFuture<'_, Vec<ClearedChaos>> {
        Box::pin(async move { self.clear_chaos_outcomes(service.as_deref()).await })
    }

    fn inject_chaos(
        &self,
        service: String,
        request: app::api::rest::InjectChaosRequest,
    ) -> BackendFuture<'_, app::api::rest::InjectedChaos> {
        Box::pin(async move { Coordinator::inject_chaos(self, &service, request).await })
    }

    fn scenario_versions(&self, name: String) -> BackendFuture<'_, Vec<ScenarioVersionText>> {
        Box::pin(async move { self.scenario_version_texts(&name).await })
    }

    fn duplicate_scenario(
        &self,
        name: String,
        new_name: String,
    ) -> BackendFuture<'_, SavedScenario> {
        Box::pin(async move { Coordinator::duplicate_scenario(self, &name, new_name.trim()).await })
    }

    fn active_progress(&self) -> BackendFuture<'_, Vec<ActiveExecution>> {
        Box::pin(Coordinator::active_progress(self))
    }

    fn rerun_execution(&self, id: String, caller: Principal) -> BackendFuture<'_, ExecuteResponse> {
        let by = StartedBy::new(Channel::Ui, caller.actor());
        Box::pin(async move { Coordinator::rerun_execution(self, &id, by).await })
    }

    fn archive_scenario(&self, name: String) -> BackendFuture<'_, ()> {
        Box::pin(async move { Coordinator::archive_scenario(self, &name).await })
    }

    fn compare_executions(
        &self,
        a: String,
        b: String,
    ) -> BackendFuture<'_, app::api::compare::ExecutionComparison> {
        Box::pin(async move { Coordinator::compare_executions(self, &a, &b).await })
    }

    fn previous_execution(&self, id: String) -> BackendFuture<'_, Option<ExecutionSummary>> {
        Box::pin(async move { Coordinator::previous_execution(self, &id).await })
    }

    fn list_schedules(&self) -> BackendFuture<'_, Vec<ScheduleView>> {
        Box::pin(Coordinator::list_schedules(self))
    }

    fn schedule_detail(&self, id: String) -> BackendFuture<'_, ScheduleDetail> {
        Box::pin(async move { Coordinator::schedule_detail(self, &id).await })
    }

    fn create_schedule(
        &self,
        request: ScheduleRequest,
        caller: Principal,
    ) -> BackendFuture<'_, ScheduleView> {
        Box::pin(async move { Coordinator::create_schedule(self, request, &caller.actor()).await })
    }

    fn preview_schedule(
        &self,
        request: SchedulePreviewRequest,
    ) -> BackendFuture<'_, SchedulePreview> {
        Box::pin(async move { Coordinator::preview_schedule(self, request) })
    }

    fn set_schedule_enabled(&self, id: String, enabled: bool) -> BackendFuture<'_, ScheduleView> {
        Box::pin(async move { Coordinator::set_schedule_enabled(self, &id, enabled).await })
    }

    fn trigger_schedule(&self, id: String) -> BackendFuture<'_, ScheduleTriggered> {
        Box::pin(async move { Coordinator::trigger_schedule(self, &id).await })
    }

    fn remove_schedule(&self, id: String) -> BackendFuture<'_, ()> {
        Box::pin(async move { Coordinator::remove_schedule(self, &id).await })
    }

    fn list_recordings(&self) -> BackendFuture<'_, RecordingList> {
        Box::pin(Coordinator::list_recordings(self))
    }

    fn recording_detail(&self, id: String) -> BackendFuture<'_, RecordingDetail> {
        Box::pin(async move { Coordinator::recording_detail(self, &id).await })
    }

    fn recording_status(&self) -> BackendFuture<'_, RecordingStatus> {
        Box::pin(Coordinator::recording_status(self))
    }

    fn start_recording(
        &self,
        request: RecordingStartRequest,
        caller: Principal,
    ) -> BackendFuture<'_, RecordingView> {
        Box::pin(async move { Coordinator::start_recording(self, request, &caller.actor()).await })
    }

    fn stop_recording(&self, id: Option<String>) -> BackendFuture<'_, RecordingView> {
        Box::pin(async move { Coordinator::stop_recording(self, id.as_deref()).await })
    }

    fn remove_recording(&self, id: String) -> BackendFuture<'_, ()> {
        Box::pin(async move { Coordinator::remove_recording(self, &id).await })
    }

    fn import_recording(
        &self,
        text: String,
        caller: Principal,
    ) -> BackendFuture<'_, RecordingView> {
        Box::pin(async move { self.import_recording_text(&text, &caller.actor()).await })
    }

    fn recording_scenario(
        &self,
        id: String,
        shape: ReplayShape,
    ) -> BackendFuture<'_, RecordingScenario> {
        Box::pin(async move { Coordinator::recording_scenario(self, &id, shape).await })
    }

    fn start_replay(
        &self,
        request: ReplayRequest,
        caller: Principal,
    ) -> BackendFuture<'_, ReplayView> {
        let by = StartedBy::new(Channel::Ui, caller.actor());
        Box::pin(Coordinator::start_replay(self, request, by))
    }

    fn replay(&self, execution_id: String) -> BackendFuture<'_, ReplayView> {
        Box::pin(async move { Coordinator::replay(self, &execution_id).await })
    }

    fn control_replay(
        &self,
        execution_id: String,
        command: ControlCommand,
        caller: Principal,
    ) -> BackendFuture<'_, ReplayView> {
        Box::pin(async move {
            Coordinator::control_replay(self, Some(&execution_id), command, caller.actor()).await
        })
    }

    fn list_orchestrations(&self) -> BackendFuture<'_, OrchestrationList> {
        Box::pin(Coordinator::list_orchestrations(self))
    }

    fn orchestration_detail(
        &self,
        id: String,
        version: Option<i64>,
    ) -> BackendFuture<'_, OrchestrationDetail> {
        Box::pin(async move { Coordinator::orchestration_detail(self, &id, version).await })
    }

    fn check_orchestration(
        &self,
        request: OrchestrationCheck,
    ) -> BackendFuture<'_, OrchestrationChecked> {
        Box::pin(Coordinator::check_orchestration(self, request))
    }

    fn orchestration_names(&self) -> BackendFuture<'_, OrchestrationNames> {
        Box::pin(async move {
            let (library, uploaded, templates) = self.known_names().await?;
            let catalog = Coordinator::catalog(self);
            Ok(OrchestrationNames {
                catalog,
                library,
                uploaded,
                templates,
            })
        })
    }

    fn import_orchestration(
        &self,
        request: OrchestrationImport,
        caller: Principal,
    ) -> BackendFuture<'_, OrchestrationSaved> {
        Box::pin(
            async move { Coordinator::import_orchestration(self, request, &caller.actor()).await },
        )
    }

    fn remove_orchestration(&self, id: String) -> BackendFuture<'_, ()> {
        Box::pin(async move { Coordinator::remove_orchestration(self, &id).await })
    }

    fn start_orchestration(
        &self,
        request: OrchestrationStart,
        caller: Principal,
    ) -> BackendFuture<'_, SuiteAccepted> {
        let by = StartedBy::new(Channel::Ui, caller.actor());
        Box::pin(Coordinator::start_orchestration(self, request, by))
    }

    fn suite_detail(&self, id: String) -> BackendFuture<'_, SuiteDetail> {
        Box::pin(async move { Coordinator::suite_detail(self, &id).await })
    }

    fn control_suite(
        &self,
        id: String,
        command: ControlCommand,
        step: Option<String>,
        caller: Principal,
    ) -> BackendFuture<'_, SuiteDetail> {
        let control = match command {
            ControlCommand::Pause => SuiteControl::Pause,
            ControlCommand::Resume => SuiteControl::Resume,
            ControlCommand::SkipPhase => SuiteControl::Skip(step),
            ControlCommand::Stop => SuiteControl::Stop,
        };
        Box::pin(
            async move { Coordinator::control_suite(self, &id, control, caller.actor()).await },
        )
    }

    fn sign_in(
        &self,
        request: app::api::auth::Credentials,
        secure: bool,
    ) -> BackendFuture<'_, (app::api::auth::Me, Vec<String>)> {
        Box::pin(async move {
            let opened = Coordinator::sign_in(self, request).await?;
            let cookies = crate::auth::cookies::session(self, &opened, secure);
            Ok((self.me(Some(opened.principal), Some(opened.csrf)), cookies))
        })
    }

    fn sign_out(&self, session: Option<String>, secure: bool) -> BackendFuture<'_, Vec<String>> {
        Box::pin(async move {
            if let Some(secret) = session {
                Coordinator::sign_out(self, &secret).await?;
            }
            Ok(crate::auth::cookies::cleared(secure))
        })
    }

    fn list_users(&self) -> BackendFuture<'_, Vec<app::api::auth::UserInfo>> {
        Box::pin(Coordinator::list_users(self))
    }

    fn add_user(
        &self,
        user: app::api::auth::NewUser,
    ) -> BackendFuture<'_, app::api::auth::UserInfo> {
        Box::pin(Coordinator::add_user(self, user))
    }

    fn remove_user(&self, name: String) -> BackendFuture<'_, ()> {
        Box::pin(async move { Coordinator::remove_user(self, &name).await })
    }

    fn list_tokens(&self, caller: Principal) -> BackendFuture<'_, Vec<app::api::auth::TokenInfo>> {
        Box::pin(async move { Coordinator::list_tokens(self, &caller).await })
    }

    fn create_token(
        &self,
        caller: Principal,
        request: app::api::auth::NewToken,
    ) -> BackendFuture<'_, app::api::auth::CreatedToken> {
        Box::pin(async move { Coordinator::create_token(self, &caller, request).await })
    }

    fn revoke_token(
        &self,
        caller: Principal,
        id: String,
    ) -> BackendFuture<'_, app::api::auth::TokenInfo> {
        Box::pin(async move { Coordinator::revoke_token(self, &caller, &id).await })
    }

    fn audit_page(
        &self,
        query: app::api::auth::AuditQuery,
    ) -> BackendFuture<'_, app::api::auth::AuditPage> {
        Box::pin(Coordinator::audit_page(self, query))
    }
}
