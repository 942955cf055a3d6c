//! Small widgets the pages share.

pub mod compare_link;
mod compare_pick;
pub mod compare_timeline;
mod confirm;
mod diagnostics;
pub mod diff;
mod forms;
pub mod live;
mod modal;
mod raw_text;
pub mod recording_timeline;
pub mod replay_progress;
mod run_again;
mod run_dialog;
mod scenario_picker;
mod schedule_form;
mod shell;
pub mod template_form;
pub mod timeline;
pub mod zoned_time;

pub use compare_pick::ComparePicker;
pub use confirm::ConfirmButton;
pub use diagnostics::DiagnosticList;
pub use forms::{outcome_of, Outcome, RoleSelect};
pub use modal::modal_focus;
pub use raw_text::raw_text;
pub use run_again::RunAgain;
pub use run_dialog::RunDialog;
pub use scenario_picker::ScenarioPicker;
pub use schedule_form::ScheduleDialog;
pub use shell::AppShell;
pub use template_form::TemplateForm;
pub use timeline::{format_ms, live_timeline_view, timeline_view, AssertionView, PollCounts};
pub use zoned_time::{day_label, day_of, time_of_day, today, viewer_zone, zoned_label, ZonedTime};

use leptos::prelude::*;

use crate::api::{ApiError, ErrorKind};

/// An error shown in place of the content that failed to load.
#[component]
pub fn ErrorPanel(error: ApiError) -> impl IntoView {
    view! {
        <div class="panel panel-error" role="alert">
            <strong>"Could not load this: "</strong>
            {error.message}
        </div>
    }
}

/// Answers 404 when a page's subject does not exist (server rendering only).
pub fn set_not_found_status(error: &ApiError) {
    #[cfg(feature = "ssr")]
    if error.kind == ErrorKind::NotFound {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(http::StatusCode::NOT_FOUND);
        }
    }
    #[cfg(not(feature = "ssr"))]
    let _ = (error, ErrorKind::NotFound);
}

/// An execution state as a badge; the text carries the meaning, colour only helps.
/// A stopped one says who stopped it (`■ stopped by ui`) when `stopped_by` is known.
#[component]
pub fn StatusBadge(
    #[prop(into)] status: String,
    #[prop(default = None)] stopped_by: Option<String>,
) -> impl IntoView {
    let class = format!("badge badge-{status}");
    let mark = match status.as_str() {
        "completed" => "✓ ",
        "failed" | "timed_out" | "interrupted" => "✗ ",
        "running" => "▶ ",
        "paused" => "❚❚ ",
        "recovering" => "↺ ",
        "stopped" => "■ ",
        _ => "",
    };
    let by = stopped_by
        .filter(|_| status == "stopped")
        .map(|by| format!(" by {by}"));
    view! { <span class=class><span aria-hidden="true">{mark}</span>{status}{by}</span> }
}

/// Submits the filter form a `<select>` belongs to, when its choice changes.
/// A handler, not an inline `onchange` attribute: the Content-Security-Policy
/// allows no inline script (docs/api.md, Security).
pub fn submit_form_of(select: &leptos::web_sys::HtmlSelectElement) {
    if let Some(form) = select.form() {
        let _ = form.request_submit();
    }
}

/// For a GET filter form's `on_form_data`: leaves out the fields left empty, so
/// the address carries `?status=failed`, not `?scenario=&status=failed&from=&to=`.
pub fn drop_empty_fields() -> std::sync::Arc<dyn Fn(&leptos::web_sys::FormData)> {
    std::sync::Arc::new(|data: &leptos::web_sys::FormData| {
        let mut empty: Vec<String> = Vec::new();
        for key in data.keys().into_iter().flatten() {
            if let Some(key) = key.as_string() {
                if data.get(&key).as_string().is_some_and(|v| v.is_empty()) {
                    empty.push(key);
                }
            }
        }
        for key in empty {
            data.delete(&key);
        }
    })
}

/// `value` escaped for a URL's query (`&`, `=`, `#`, `%`, spaces and the like).
pub fn query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Loads `path` as a new document (not the router's in-page navigation): after
/// signing in or out, the next page must be rendered for the new viewer, with
/// its CSRF token.
pub fn load_page(path: &str) {
    #[cfg(feature = "hydrate")]
    {
        let _ = window().location().set_href(path);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = path;
}

/// A loading line for `Suspense` fallbacks.
#[component]
pub fn Loading() -> impl IntoView {
    view! { <p class="muted" aria-busy="true">"Loading…"</p> }
}

/// `2026-11-25T03:07:09.718Z` as `2026-11-25 03:07:09 UTC` (other text as it is).
pub fn readable_time(rfc3339: &str) -> String {
    match (rfc3339.get(..10), rfc3339.get(11..19)) {
        (Some(day), Some(time)) if rfc3339.ends_with('Z') => format!("{day} {time} UTC"),
        _ => rfc3339.to_owned(),
    }
}
