//! Server functions of schedules (issue 18; `Coordinator::*_schedule*`): the
//! Schedules page and a scenario page's "Schedule…" form. Reads are for
//! viewers; changes for operators, each audited (`server::auth::rules`).

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use super::csrf::CsrfClient;

use crate::api::{
    schedule::{
        ScheduleDetail, SchedulePreview, SchedulePreviewRequest, ScheduleRequest,
        ScheduleTriggered, ScheduleView,
    },
    ApiError,
};

/// Every schedule, by next due time.
#[server(endpoint = "schedules", input = Json, client = CsrfClient)]
pub async fn list_schedules() -> Result<Vec<ScheduleView>, ApiError> {
    crate::ssr::answer(crate::ssr::backend()?.list_schedules().await)
}

/// One schedule, its due times over the next 7 days and its firings.
#[server(endpoint = "schedule", input = Json, client = CsrfClient)]
pub async fn get_schedule(id: String) -> Result<ScheduleDetail, ApiError> {
    crate::ssr::answer(crate::ssr::backend()?.schedule_detail(id).await)
}

/// Validates and stores a schedule, created by the viewer.
#[server(endpoint = "create-schedule", input = Json, client = CsrfClient)]
pub async fn create_schedule(request: ScheduleRequest) -> Result<ScheduleView, ApiError> {
    crate::ssr::answer(
        crate::ssr::backend()?
            .create_schedule(request, crate::ssr::principal()?)
            .await,
    )
}

/// A timing and its policies in plain words with the next due times; stores
/// nothing (the form's preview while typing).
#[server(endpoint = "preview-schedule", input = Json, client = CsrfClient)]
pub async fn preview_schedule(
    request: SchedulePreviewRequest,
) -> Result<SchedulePreview, ApiError> {
    crate::ssr::answer(crate::ssr::backend()?.preview_schedule(request).await)
}

/// Enables or disables a schedule.
#[server(endpoint = "set-schedule-enabled", input = Json, client = CsrfClient)]
pub async fn set_schedule_enabled(id: String, enabled: bool) -> Result<ScheduleView, ApiError> {
    crate::ssr::answer(
        crate::ssr::backend()?
            .set_schedule_enabled(id, enabled)
            .await,
    )
}

/// Runs a schedule now, whatever its timing says.
#[server(endpoint = "trigger-schedule", input = Json, client = CsrfClient)]
pub async fn trigger_schedule(id: String) -> Result<ScheduleTriggered, ApiError> {
    crate::ssr::answer(crate::ssr::backend()?.trigger_schedule(id).await)
}

/// Removes a schedule and its firing history (its executions stay).
#[server(endpoint = "remove-schedule", input = Json, client = CsrfClient)]
pub async fn remove_schedule(id: String) -> Result<(), ApiError> {
    crate::ssr::answer(crate::ssr::backend()?.remove_schedule(id).await)
}
